#!/usr/bin/env bash
# Run by `npm test` (pretest): installs the two system programs the tests drive when they are missing.
#   redis-server: the Redis adapter tests start a throwaway one (global-setup.ts), unless REDIS_URL is set.
#   chromium:     the embed widget's browser test drives Debian's Chromium with playwright-core (no download),
#                 at CHROMIUM_PATH when set.
# Installs with apt-get as root, or through sudo when it needs no password; otherwise says what to run.
set -euo pipefail

missing=()
if [[ -z "${REDIS_URL:-}" ]] && ! command -v redis-server >/dev/null 2>&1; then missing+=(redis-server); fi
if [[ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]]; then missing+=(chromium); fi
((${#missing[@]})) || exit 0

fail() {
  printf 'npm test needs %s: %s\n' "${missing[*]}" "$1" >&2
  exit 1
}

command -v apt-get >/dev/null 2>&1 ||
  fail "install them with your system's package manager (or set REDIS_URL to a running Redis and CHROMIUM_PATH to a Chromium)."
if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  fail "run \`sudo apt-get install -y --no-install-recommends ${missing[*]}\` once, then npm test again."
fi

echo "Installing ${missing[*]} (apt-get), once: the tests need them"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q
"${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
