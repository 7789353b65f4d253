#!/usr/bin/env bash
# Install and run the server on the shipped programme.  Extra arguments go to `dashboard serve`,
# e.g. to watch the shipped week happen:  bash scripts/run.sh --at 2023-12-13T14:59:30 --speed 10
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/dashboard serve "$@"
