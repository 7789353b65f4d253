#!/usr/bin/env bash
# axe-core, the accessibility checker the browser tests run in every page they open
# (tests/browser/axe.py).  A test dependency, vendored like htmx is for the pages: the tests
# never reach the network.  The minified build and its licence (MPL-2.0) live in
# tests/browser/vendor/, with the version and the file's sha256 in axe-core.txt.
#
#   bash scripts/vendor_axe.sh            # check the vendored file against axe-core.txt
#   bash scripts/vendor_axe.sh --fetch [VERSION]   # fetch VERSION (default: the one recorded)
#                                                  # from the npm registry, and record it
set -euo pipefail
cd "$(dirname "$0")/.."
vendor=tests/browser/vendor
record="$vendor/axe-core.txt"
recorded() { sed -n "s/^$1 = //p" "$record"; }

if [[ "${1:-}" != "--fetch" ]]; then
  version=$(recorded version)
  expected=$(recorded sha256)
  actual=$(sha256sum "$vendor/axe.min.js" | cut -d' ' -f1)
  if [[ "$actual" != "$expected" ]]; then
    echo "$vendor/axe.min.js: sha256 $actual, axe-core.txt records $expected" >&2
    exit 1
  fi
  head -c 200 "$vendor/axe.min.js" | grep -q "axe v$version" \
    || { echo "$vendor/axe.min.js is not axe-core $version" >&2; exit 1; }
  echo "axe-core $version: $vendor/axe.min.js matches its sha256"
  exit 0
fi

version="${2:-$(recorded version 2>/dev/null || true)}"
version="${version:-4}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# npm pack checks the tarball against the registry's integrity hash.
(cd "$work" && npm pack --silent "axe-core@$version" > name)
tarball="$work/$(cat "$work/name")"
tar -xzf "$tarball" -C "$work" package/axe.min.js package/LICENSE package/package.json
version=$(node -p "require('$work/package/package.json').version")
mkdir -p "$vendor"
cp "$work/package/axe.min.js" "$vendor/axe.min.js"
cp "$work/package/LICENSE" "$vendor/LICENSE.axe-core"
cat > "$record" <<RECORD
# axe-core, vendored by scripts/vendor_axe.sh from the npm registry (MPL-2.0: LICENSE.axe-core)
version = $version
sha256 = $(sha256sum "$vendor/axe.min.js" | cut -d' ' -f1)
tarball_sha256 = $(sha256sum "$tarball" | cut -d' ' -f1)
RECORD
cat "$record"
