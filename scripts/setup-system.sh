#!/usr/bin/env bash
# Installs the Debian packages the tests need when they are missing: bubblewrap (the sandbox of the repo
# environment's bash tool), git, and chromium (the headless browser the viewer's tests drive through
# playwright-core; acc itself never needs or downloads a browser), and redis-server (the queue's tests start their own
# on a free loopback port; acc never starts one). Idempotent: does nothing when everything is there. Needs root (CI runs
# as root); without it, says what to install and fails, and the tests that need the sandbox skip.
set -euo pipefail
missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v git >/dev/null 2>&1 || missing+=(git)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup-system: missing ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup-system: installed ${missing[*]}"
