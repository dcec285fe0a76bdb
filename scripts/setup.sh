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
# mirror-cc runs on every compiler call of a build. pip's console-script stub starts Python with site,
# whose editable-install finder alone costs ~16 ms; this launcher starts it with -S and puts the
# checkout on sys.path itself (the client needs only the standard library; a local compile loads site
# then: mirrorpass/cli/mirror_cc.py). Rewritten on every run, as a pip reinstall restores the stub.
.venv/bin/python - <<'PY'
import os, sys
root = os.getcwd()
path = os.path.join(root, ".venv", "bin", "mirror-cc")
if " " not in sys.executable:  # a shebang takes no blanks; the stub stays then
    text = (f"#!{sys.executable} -S\n# mirror-cc launcher written by scripts/setup.sh (see there)\n"
            f"import sys\nsys.path.insert(0, {root!r})\nfrom mirrorpass.cli.mirror_cc import main\nmain()\n")
    if not os.path.exists(path) or open(path).read() != text:
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.chmod(path + ".tmp", 0o755)
        os.replace(path + ".tmp", path)
PY
make -s -C runtime CC=clang-22
