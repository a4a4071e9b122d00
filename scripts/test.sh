#!/usr/bin/env bash
# Runs the whole test suite against real databases: SQLite files and a PostgreSQL server
# (scripts/with-postgres.sh finds or starts one). Extra arguments go to `cargo test`.
# The reliability cases run at their bounded CI size here; scripts/reliability.sh runs them in full.
set -euo pipefail
cd "$(dirname "$0")/.."
# The console's browser suite (tests/console) needs chromium, chromium-driver and axe-core.
./scripts/install-chromium.sh
exec ./scripts/with-postgres.sh cargo test --all-targets "$@"
