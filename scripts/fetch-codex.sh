#!/usr/bin/env bash
# Fetches the pinned codex release (the Rust exec-server we test and bench against) into a cache
# directory once, and prints the path of its `codex` executable. Not a package dependency: the
# tarball is ~167 MB, so `npm install` never downloads it; tests, CI and the bench call this script.
#
#   scripts/fetch-codex.sh            # prints /…/codex-0.169.0/bin/codex
#
# Cache: $EXEC_SERVER_CACHE_DIR, else ${XDG_CACHE_HOME:-$HOME/.cache}/exec-server.
# Only linux x64 has a binary here (the package is @openai/codex@<version>-linux-x64).
set -euo pipefail

VERSION=0.169.0
# sha512 integrity of @openai/codex@0.169.0-linux-x64 as published (checked after download).
INTEGRITY_PREFIX="sha512-o05NyAOCDygSP"

cache_root="${EXEC_SERVER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/exec-server}"
dest="$cache_root/codex-$VERSION"
bin="$dest/bin/codex"

if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -qx "codex-cli $VERSION"; then
  echo "$bin"
  exit 0
fi

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "fetch-codex: codex $VERSION is only fetched for Linux x86_64 (this is $(uname -s)-$(uname -m))" >&2
  exit 3
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "fetch-codex: downloading @openai/codex@$VERSION-linux-x64 (~167 MB) into $dest" >&2
(cd "$work" && npm pack --json --silent "@openai/codex@$VERSION-linux-x64" >pack.json)
integrity="$(node -e 'const p=require(process.argv[1]);process.stdout.write(p[0].integrity)' "$work/pack.json")"
case "$integrity" in
  "$INTEGRITY_PREFIX"*) ;;
  *) echo "fetch-codex: unexpected integrity $integrity for codex $VERSION" >&2; exit 4 ;;
esac
tar -xzf "$work"/openai-codex-*.tgz -C "$work" package/vendor
mkdir -p "$cache_root"
rm -rf "$dest.partial" && mkdir -p "$dest.partial"
# Keep the vendor layout: codex finds its bundled bwrap and PATH helpers next to bin/.
cp -a "$work/package/vendor/x86_64-unknown-linux-musl/." "$dest.partial/"
rm -rf "$dest" && mv "$dest.partial" "$dest"
"$bin" --version | grep -qx "codex-cli $VERSION" || { echo "fetch-codex: $bin does not report codex-cli $VERSION" >&2; exit 5; }
echo "$bin"
