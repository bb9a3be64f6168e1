#!/usr/bin/env bash
# Installs the real Autobahn TestSuite (`wstest`, autobahntestsuite 25.10.1) into .venv-autobahn/ at the repo root.
# The suite is Python 2.7 only (it pins autobahn 0.10.9 / Twisted 19.10.0), so the venv is made from CPython 2.7
# (pyenv's 2.7.18 on our machines) with virtualenv 20.15.1 — the last release that runs on 2.7 — bootstrapped into
# a throwaway folder so neither the 2.7 install nor the user site is touched. Everything comes from PyPI, pinned in
# conformance/autobahn-requirements.txt. Idempotent: a venv whose stamp matches the requirements is reused.
# Usage: scripts/autobahn-install.sh   (prints the wstest path on the last line)
# Env: FERROSOCKET_PYTHON2 = a python2.7 interpreter to use instead of the search below.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv-autobahn"
reqs="$root/conformance/autobahn-requirements.txt"
stamp="$venv/.ferrosocket-stamp"
want="$(sha256sum "$reqs" | cut -d' ' -f1)"

if [[ -x "$venv/bin/wstest" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] &&
  "$venv/bin/wstest" --autobahnversion >/dev/null 2>&1; then
  echo "$venv/bin/wstest"
  exit 0
fi

find_py2() {
  local cands=()
  [[ -n "${FERROSOCKET_PYTHON2:-}" ]] && cands+=("$FERROSOCKET_PYTHON2")
  cands+=("${PYENV_ROOT:-$HOME/.pyenv}/versions/2.7.18/bin/python")
  if command -v pyenv >/dev/null 2>&1; then
    local p
    p="$(pyenv root 2>/dev/null)/versions" || true
    for d in "$p"/2.7*; do [[ -x "$d/bin/python" ]] && cands+=("$d/bin/python"); done
  fi
  cands+=(python2.7 python2)
  for c in "${cands[@]}"; do
    if "$c" -c 'import sys, ssl, zlib; assert sys.version_info[:2] == (2, 7)' >/dev/null 2>&1; then
      echo "$c"
      return 0
    fi
  done
  return 1
}

py2="$(find_py2)" || {
  echo "autobahn-install: no CPython 2.7 with ssl and zlib found (tried \$FERROSOCKET_PYTHON2, pyenv 2.7.x," \
    "python2.7, python2). Install one, e.g. 'pyenv install 2.7.18'." >&2
  exit 1
}
echo "autobahn-install: using $py2 ($("$py2" -c 'import sys; print(sys.version.split()[0])'))" >&2

boot="$(mktemp -d)"
trap 'rm -rf "$boot"' EXIT
rm -rf "$venv"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONWARNINGS=ignore
"$py2" -m pip install -q --no-warn-script-location --target "$boot" 'virtualenv==20.15.1' >&2
PYTHONPATH="$boot" "$py2" -m virtualenv -q --no-periodic-update "$venv" >&2
"$venv/bin/python" -m pip install -q --no-warn-script-location -r "$reqs" >&2
"$venv/bin/wstest" --autobahnversion >&2
echo "$want" >"$stamp"
echo "$venv/bin/wstest"
