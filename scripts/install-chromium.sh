#!/bin/sh
# Installs Debian's `chromium`, the headless browser peer of __test__/interop-chromium.spec.ts (driven by
# playwright-core with executablePath /usr/bin/chromium). Idempotent: does nothing when it is already there.
# CI runs as root; elsewhere run it with sudo once.
set -eu
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-chromium: /usr/bin/chromium missing and not root; run: sudo sh scripts/install-chromium.sh" >&2
  exit 1
fi
echo "[ferrosocket] installing Debian's chromium with apt-get (the headless browser interop peer; once)"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends chromium
test -x /usr/bin/chromium
