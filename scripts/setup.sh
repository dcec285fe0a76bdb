#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian bookworm machine: clang-22, the .venv with mirror-cc,
# mirror-build and mirrorpass, and the runtime archive. Safe to run again; does nothing twice.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v clang-22 >/dev/null 2>&1 || need_apt+=(clang-22)
command -v make >/dev/null 2>&1 || need_apt+=(make)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
# Real libraries the tests link, uninstrumented (tests/deps): zlib and readline with their headers.
[ -e /usr/include/zlib.h ] || need_apt+=(zlib1g-dev)
[ -e /usr/include/readline/readline.h ] || need_apt+=(libreadline-dev)
# The build cache the tests run mirror-cc under (tests/driver/test_ccache.py).
command -v ccache >/dev/null 2>&1 || need_apt+=(ccache)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} with apt-get" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  if ! apt-cache policy clang-22 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    "${sudo_cmd[@]}" apt-get update -qq
  fi
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.mirrorpass-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
  touch "$stamp"
fi
make -s -C runtime CC=clang-22
