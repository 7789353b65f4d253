#!/usr/bin/env bash
# Refresh the vendored front-end files from the npm registry.  Screens often sit on closed
# networks, so nothing is loaded from a CDN: the files live in static/vendor/ with their version
# in the name, and the templates name them through dashboard/web/assets.py (VENDOR).
#
#   bash scripts/vendor.sh [HTMX_VERSION] [WS_EXT_VERSION]
set -euo pipefail
cd "$(dirname "$0")/.."
htmx="${1:-2.0.11}"   # htmx 2: htmx 4 renamed the ws attributes and changed reconnects
ws="${2:-2.0.4}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "htmx.org@$htmx" "htmx-ext-ws@$ws" >/dev/null)
mkdir -p static/vendor
rm -f static/vendor/htmx-*.js static/vendor/htmx-ext-ws-*.js
tar -xzf "$work/htmx.org-$htmx.tgz" -C "$work" package/dist/htmx.min.js package/LICENSE
cp "$work/package/dist/htmx.min.js" "static/vendor/htmx-$htmx.min.js"
cp "$work/package/LICENSE" static/vendor/LICENSE.htmx
rm -rf "$work/package"
tar -xzf "$work/htmx-ext-ws-$ws.tgz" -C "$work" package/dist/ws.min.js
cp "$work/package/dist/ws.min.js" "static/vendor/htmx-ext-ws-$ws.min.js"
sed -i "s/^HTMX_VERSION = .*/HTMX_VERSION = \"$htmx\"/; s/^WS_EXT_VERSION = .*/WS_EXT_VERSION = \"$ws\"/" \
  dashboard/web/assets.py 2>/dev/null || true
ls -l static/vendor
