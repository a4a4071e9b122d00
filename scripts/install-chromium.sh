#!/usr/bin/env bash
# Installs what the console's browser tests (tests/console/) need, when missing:
# - Debian's chromium and chromium-driver (WebDriver), through apt;
# - axe-core from npm, into a cache outside the repository ($AXE_CORE_DIR, default
#   ~/.cache/switchboard/axe-core), from which the tests inject axe.min.js into each page.
# Idempotent. Without apt (not Debian) it says so and leaves chromium alone: the browser tests
# then skip with the same message.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    echo "chromium already installed: $(chromium --version 2>/dev/null || echo unknown)"
elif command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium chromium-driver
    echo "chromium installed: $(chromium --version 2>/dev/null || echo unknown)"
else
    echo "install-chromium: apt-get is not available; install chromium and chromium-driver by hand" \
        "(the console browser tests skip without them)" >&2
fi

axe_dir="${AXE_CORE_DIR:-$HOME/.cache/switchboard/axe-core}"
if [ -f "$axe_dir/node_modules/axe-core/axe.min.js" ]; then
    echo "axe-core already installed in $axe_dir"
elif command -v npm >/dev/null 2>&1; then
    mkdir -p "$axe_dir"
    npm install --prefix "$axe_dir" --no-save --no-audit --no-fund --silent axe-core@4
    echo "axe-core installed in $axe_dir"
else
    echo "install-chromium: npm not found; axe-core checks need Node.js (npm)" >&2
fi
