#!/usr/bin/env bash
# Install the project into ./.venv.  `--test` adds the test tools and Debian's Chromium
# (the browser tests drive it through Playwright; Playwright never downloads a browser here).
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
if [[ "${1:-}" == "--test" ]]; then extras="[test]"; fi

if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras}"

# c3voc-schedule-tools (a real reader of our /schedule.json) pins old libraries (icalendar<6,
# lxml<5, pytz<2023): it gets a virtualenv of its own, which the tests call as a subprocess, so
# the product's own dependencies stay current.  Nothing to do when it is already there.
if [[ -n "$extras" ]] && ! .venv-c3voc/bin/python -c "import voc.schedule" >/dev/null 2>&1; then
  python3 -m venv .venv-c3voc
  .venv-c3voc/bin/python -m pip install --quiet --disable-pip-version-check "c3voc-schedule-tools==1.1.0"
fi

if [[ -n "$extras" ]] && ! command -v chromium >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser tests..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
  else
    echo "Browser tests need Debian's chromium: sudo apt-get install chromium" >&2
  fi
fi
