#!/bin/sh
# Installs Debian's `redis-server` (Redis 7), the real Redis that the cluster tests (__test__/redis-*.spec.ts) and
# `npm run bench:cluster` start themselves on a free 127.0.0.1 port, without persistence, and iproute2 if `ip` is
# missing (the multi-host test's network namespaces). Idempotent: does nothing when both are there. Never leaves Redis running as a system service: if the package started
# one, it is stopped and disabled here (the tests own every redis-server they talk to).
# CI runs as root; elsewhere run it with sudo once.
set -eu
# The multi-host test (__test__/redis-netns.spec.ts) builds its hosts with iproute2's `ip netns`.
need="redis-server"
if ! command -v ip >/dev/null 2>&1 && [ ! -x /usr/sbin/ip ]; then need="$need iproute2"; fi
if command -v redis-server >/dev/null 2>&1 && [ "$need" = "redis-server" ]; then
  exit 0
fi
if command -v redis-server >/dev/null 2>&1; then need="iproute2"; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-redis: $need missing and not root; run: sudo sh scripts/install-redis.sh" >&2
  exit 1
fi
echo "[ferrosocket] installing Debian's $need with apt-get (the cluster tests start their own redis-server; once)"
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d exit 101 tells invoke-rc.d not to start services during this install (restored afterwards).
policy=/usr/sbin/policy-rc.d
had_policy=0
if [ -e "$policy" ]; then had_policy=1; fi
if [ "$had_policy" -eq 0 ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
fi
status=0
# shellcheck disable=SC2086 # $need is a list of package names
apt-get update && apt-get install -y --no-install-recommends $need || status=$?
if [ "$had_policy" -eq 0 ]; then rm -f "$policy"; fi
[ "$status" -eq 0 ] || exit "$status"
# In case a service was started anyway (systemd present, or a policy that allowed it): stop it and keep it off.
# `systemctl disable` works without a running systemd too (it removes the enablement links).
if command -v systemctl >/dev/null 2>&1; then
  systemctl disable redis-server >/dev/null 2>&1 || true
  if [ -d /run/systemd/system ]; then systemctl stop redis-server >/dev/null 2>&1 || true; fi
fi
if command -v service >/dev/null 2>&1; then
  service redis-server stop >/dev/null 2>&1 || true
fi
if command -v update-rc.d >/dev/null 2>&1; then
  update-rc.d redis-server disable >/dev/null 2>&1 || true
fi
command -v redis-server >/dev/null 2>&1
