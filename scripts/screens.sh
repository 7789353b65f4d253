#!/usr/bin/env bash
# The gallery: a screenshot of every state of the door display (both orientations) and of the
# phone, in English and Arabic, from the scenarios of the browser tests
# (tests/browser/scenarios.py): docs/screens/*.png and docs/screens.md.
#   bash scripts/screens.sh                      # everything (a few minutes)
#   bash scripts/screens.sh --only late,moved    # some states, to look at while working
#   bash scripts/screens.sh --full /tmp/screens  # also each view at full size
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x .venv/bin/python ]] || bash scripts/install.sh --test
exec .venv/bin/python -m tests.browser.gallery "$@"
