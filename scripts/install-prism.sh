#!/usr/bin/env bash
# Installs the Prism mock server (@stoplight/prism-cli) into ./node_modules at the repository root,
# for the Telnyx contract suite (tests/telnyx_contract.rs). Idempotent: does nothing when a working
# Prism is already there. Never touches package.json (--no-save).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ -x node_modules/.bin/prism ] && node_modules/.bin/prism --version >/dev/null 2>&1; then
    echo "prism already installed: $(node_modules/.bin/prism --version)"
    exit 0
fi

command -v npm >/dev/null 2>&1 || { echo "npm not found: install Node.js 18+ first" >&2; exit 1; }
npm install --no-save --no-audit --no-fund @stoplight/prism-cli
echo "prism installed: $(node_modules/.bin/prism --version)"
