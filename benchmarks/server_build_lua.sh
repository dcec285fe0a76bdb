#!/bin/bash
# Build time of Lua 5.4 (34 compiles and 2 links, make -j2) with the compile server and without it
# (issue 19 target: <= 1.25x native): clang-22, mirror-build (which starts and stops the server),
# mirror-build with MIRRORPASS_SERVER=off; ROUNDS rounds, interleaved; prints "<build> <seconds>".
#   benchmarks/server_build_lua.sh [LUA_TREE] [ROUNDS]
set -e
MIRROR_BUILD="$(cd "$(dirname "$0")/.." && pwd)/.venv/bin/mirror-build"
SRC=${1:-$HOME/.cache/mirrorpass/sources/lua5.4-5.4.4}  # a Lua 5.4 tree (mirrorpass bench fetches Debian's into the cache)
ROUNDS=${2:-3}
[ -d "$SRC/src" ] || { echo "server_build_lua.sh: no Lua tree at $SRC (run mirrorpass bench --projects lua once)" >&2; exit 2; }
grep -m1 'model name' /proc/cpuinfo; date -u +%FT%TZ
rm -rf /tmp/luasrv; mkdir -p /tmp/luasrv; cp -a "$SRC" /tmp/luasrv/tree
one() {  # name, command...
  local name=$1; shift
  (cd /tmp/luasrv/tree/src && make -s clean >/dev/null && /usr/bin/time -f "$name %e" "$@" >/dev/null 2>/tmp/luasrv/err; tail -1 /tmp/luasrv/err)
}
for i in $(seq "$ROUNDS"); do
  one native make -s -j2 linux CC="clang-22 -std=gnu99"
  one server env MIRRORPASS_SERVER=on "$MIRROR_BUILD" --progress none -- make -s -j2 linux CC="cc -std=gnu99"
  one no-server env MIRRORPASS_SERVER=off "$MIRROR_BUILD" --progress none -- make -s -j2 linux CC="cc -std=gnu99"
done
