#!/usr/bin/env bash
# Extract every marked string into dashboard/locale/messages.pot and merge it into each
# language's catalogue.  Catalogues (.po) are compiled in memory at start-up: no .mo files.
#   bash scripts/i18n.sh            # extract and update
#   bash scripts/i18n.sh init es    # start a new language
set -euo pipefail
cd "$(dirname "$0")/.."
pybabel=.venv/bin/pybabel
$pybabel -q extract -F babel.cfg --no-location --sort-output -k ngettext:1,2 \
  --project dashboard --copyright-holder "dashboard contributors" -o dashboard/locale/messages.pot .
if [[ "${1:-}" == "init" ]]; then
  $pybabel -q init -i dashboard/locale/messages.pot -d dashboard/locale -l "$2"
else
  $pybabel -q update --no-fuzzy-matching -i dashboard/locale/messages.pot -d dashboard/locale
fi
