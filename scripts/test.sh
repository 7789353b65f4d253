#!/usr/bin/env bash
# Install everything and run the whole suite: lint, format, types, then the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
echo "== ruff check";  .venv/bin/ruff check .
echo "== ruff format"; .venv/bin/ruff format --check .
echo "== mypy";        .venv/bin/mypy --strict dashboard
# Known vulnerabilities in the installed dependencies; skipped, saying why, when no
# vulnerability database answers from this machine (scripts/audit_deps.py).
echo "== dependency audit"; .venv/bin/python scripts/audit_deps.py
echo "== pytest";      .venv/bin/python -m pytest "$@"
