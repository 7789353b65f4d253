#!/usr/bin/env bash
# Refresh the vendored htmx from the npm registry.  Screens often sit on closed networks, so
# nothing is loaded from a CDN: the file lives in static/vendor/ with its version in the name,
# and the templates name it through dashboard/live/render.py (HTMX).  Pages use only htmx's
# public API (htmx.swap, in static/js/live.js, which has its own WebSocket client): no
# extension to keep in step.
#
#   bash scripts/vendor.sh [HTMX_VERSION]
set -euo pipefail
cd "$(dirname "$0")/.."
htmx="${1:-2.0.11}"   # htmx 2: htmx 4 changed htmx.swap's signature (one context object)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "htmx.org@$htmx" >/dev/null)
mkdir -p static/vendor
rm -f static/vendor/htmx-*.js
tar -xzf "$work/htmx.org-$htmx.tgz" -C "$work" package/dist/htmx.min.js package/LICENSE
cp "$work/package/dist/htmx.min.js" "static/vendor/htmx-$htmx.min.js"
cp "$work/package/LICENSE" static/vendor/LICENSE.htmx
sed -i "s|^HTMX = .*|HTMX = \"vendor/htmx-$htmx.min.js\"|" dashboard/live/render.py
ls -l static/vendor
