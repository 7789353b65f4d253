#!/usr/bin/env bash
# Install everything and run the whole suite: lint, format, types, then the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
echo "== ruff check";  .venv/bin/ruff check .
echo "== ruff format"; .venv/bin/ruff format --check .
echo "== mypy";        .venv/bin/mypy --strict dashboard
echo "== pytest";      .venv/bin/python -m pytest "$@"
