#!/bin/bash
# Warm-ccache rebuild of Lua 5.4 (issue 19 target: mirrored <= 1.1x native): clang-22 under ccache vs
# mirror-build --ccache, after one cold build of each fills the cache; 3 rounds, interleaved.
#   benchmarks/ccache_lua.sh [LUA_TREE]
set -e
MIRROR_BUILD="$(cd "$(dirname "$0")/.." && pwd)/.venv/bin/mirror-build"
SRC=${1:-$HOME/.cache/mirrorpass/sources/lua5.4-5.4.4}  # a Lua 5.4 tree (mirrorpass bench fetches Debian's into the cache)
export CCACHE_DIR=/tmp/luacc-cache
rm -rf /tmp/luacc-n /tmp/luacc-m $CCACHE_DIR
cp -a $SRC /tmp/luacc-n; cp -a $SRC /tmp/luacc-m
build_n() { (cd /tmp/luacc-n/src && make -s clean >/dev/null && /usr/bin/time -f "native %e" make -s -j2 linux CC="ccache clang-22 -std=gnu99" >/dev/null); }
build_m() { (cd /tmp/luacc-m/src && make -s clean >/dev/null && /usr/bin/time -f "mirror %e" "$MIRROR_BUILD" --ccache --progress none -- make -s -j2 linux CC="cc -std=gnu99" >/dev/null 2>/tmp/luacc-m.err; tail -1 /tmp/luacc-m.err); }
build_n 2>&1 | tail -1; build_m   # cold: fills the cache
for i in 1 2 3; do build_n 2>&1 | tail -1; build_m; done
ccache -s | head -12
