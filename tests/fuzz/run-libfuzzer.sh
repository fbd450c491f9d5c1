#!/usr/bin/env bash
# Runs every fuzz target under libFuzzer for SECONDS seconds each.
#
#   tests/fuzz/run-libfuzzer.sh SECONDS [TARGET...]
#
# With TARGET names (fuzz_invoice_toml ...), only those run.
# Each tests/fuzz/fuzz_*.c is built with clang and
# -fsanitize=fuzzer,address,undefined against the library (schema/ and
# storage/) and the server's objects (all but server/main.c); a
# fuzz_client_* target against the library and the client's objects (all
# but client/main.c, with libcurl) instead, as in the Makefile.  All are
# instrumented the same way and packed into archives, so that a target
# links only what it uses, under build/libfuzzer/ (or $FUZZ_OUT, so that
# two runs at once do not share one).  Only the archives the chosen
# targets need are built.  A target then runs on a copy of its seed corpus
# in build/libfuzzer/corpus/<target>/, so that the inputs libFuzzer
# discovers never land in the source tree.  Crashing inputs are written to
# build/libfuzzer/artifacts/; copy the ones worth keeping into
# tests/fuzz/corpus/<target>/ so that `make test` replays them for ever.
#
# Exits non-zero when any target failed to build or crashed.
set -uo pipefail

secs=${1:-60}
case "$secs" in
  ''|*[!0-9]*) echo "usage: $0 SECONDS [TARGET...]" >&2; exit 2 ;;
esac
shift || true
only=" $* "

cd "$(dirname "$0")/../.." || exit 2
# The chosen targets, and which side's objects they need.
targets=()
need_server=0 need_client=0
for src in tests/fuzz/fuzz_*.c; do
  [ -e "$src" ] || continue
  name=$(basename "$src" .c)
  [ "$only" = "  " ] || [[ "$only" == *" $name "* ]] || continue
  targets+=("$name")
  case "$name" in
    fuzz_client_*) need_client=1 ;;
    *) need_server=1 ;;
  esac
done
for want in $only; do
  [ -e "tests/fuzz/$want.c" ] || { echo "fuzz: no target tests/fuzz/$want.c" >&2; exit 2; }
done
out=${FUZZ_OUT:-build/libfuzzer}
mkdir -p "$out/obj" "$out/corpus" "$out/artifacts"

cc=${FUZZ_CC:-clang}
cxx=${FUZZ_CXX:-clang++}
pkgs="libmicrohttpd jansson sqlite3 libcrypto tomlplusplus libcrypt libarchive"
[ "$need_client" -eq 0 ] || pkgs="$pkgs libcurl"
pkg_cflags=$(pkg-config --cflags $pkgs 2>/dev/null)
# libwabt ships as a static library without a .pc file.
pkg_libs="$(pkg-config --libs $pkgs 2>/dev/null) -lwabt"
# UBSan must stop at the first report, or libFuzzer would not see it.
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
common="-g -O1 -fno-omit-frame-pointer -I. $san"
cflags="-std=c17 -D_GNU_SOURCE $common"
cxxflags="-std=c++17 $common"

objs=()
build_failed=0
compile() {  # compile COMPILER FLAGS SRC OBJ
  mkdir -p "$(dirname "$4")"
  if ! $1 $2 -fsanitize=fuzzer-no-link $pkg_cflags -c "$3" -o "$4"; then
    echo "fuzz: cannot compile $3" >&2
    build_failed=1
    return 1
  fi
  objs+=("$4")
}
pack() {  # pack ARCHIVE: the objects compiled since the last pack
  [ "$build_failed" -eq 0 ] || exit 1
  rm -f "$1"
  ar rcs "$1" "${objs[@]}" || exit 1
  objs=()
}

for src in schema/*.c storage/*.c; do
  [ -e "$src" ] || continue
  compile "$cc" "$cflags" "$src" "$out/obj/${src%.c}.o"
done
for src in schema/*.cpp; do
  [ -e "$src" ] || continue
  compile "$cxx" "$cxxflags" "$src" "$out/obj/${src%.cpp}.o"
done
# The storage code carries its SQL migrations compiled in, as in the Makefile.
sql=(schema/sql/*.sql)
if [ -e "${sql[0]}" ] && [ -x scripts/embed-sql.sh ]; then
  mkdir -p "$out/obj/gen"
  if scripts/embed-sql.sh "${sql[@]}" > "$out/obj/gen/sql_migrations.c"; then
    compile "$cc" "$cflags" "$out/obj/gen/sql_migrations.c" "$out/obj/gen/sql_migrations.o"
  else
    echo "fuzz: scripts/embed-sql.sh failed" >&2
    build_failed=1
  fi
fi
pack "$out/libwharf.a"

# The server's own parsers are fuzzed too: everything of it but main().
if [ "$need_server" -eq 1 ]; then
  for src in server/*.c; do
    [ -e "$src" ] || continue
    [ "$src" = server/main.c ] && continue
    compile "$cc" "$cflags" "$src" "$out/obj/${src%.c}.o"
  done
  for src in server/*.cpp; do
    [ -e "$src" ] || continue
    compile "$cxx" "$cxxflags" "$src" "$out/obj/${src%.cpp}.o"
  done
  pack "$out/libwharf-server.a"
fi
# So are what the client reads from registries: everything of it but main().
if [ "$need_client" -eq 1 ]; then
  for src in client/*.c; do
    [ -e "$src" ] || continue
    [ "$src" = client/main.c ] && continue
    compile "$cc" "$cflags" "$src" "$out/obj/${src%.c}.o"
  done
  pack "$out/libwharf-client.a"
fi

failed=0
for name in "${targets[@]}"; do
  src="tests/fuzz/$name.c"
  bin="$out/$name"
  case "$name" in
    fuzz_client_*) side="$out/libwharf-client.a" ;;
    *) side="$out/libwharf-server.a" ;;
  esac
  if ! $cc $cflags -fsanitize=fuzzer $pkg_cflags -c "$src" -o "$out/obj/$name.o" ||
     ! $cxx $san -fsanitize=fuzzer -o "$bin" "$out/obj/$name.o" "$side" "$out/libwharf.a" \
         $pkg_libs -lpthread; then
    echo "fuzz: $name: build failed" >&2
    failed=1
    continue
  fi
  corpus="$out/corpus/$name"
  mkdir -p "$corpus"
  if [ -d "tests/fuzz/corpus/$name" ]; then
    cp -n tests/fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null || true
  fi
  log="$out/$name.log"
  echo "fuzz: $name for ${secs}s (log: $log)"
  if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$out/artifacts/$name-" "$corpus" > "$log" 2>&1; then
    echo "fuzz: $name: ok, $(ls "$corpus" | wc -l) corpus inputs"
  else
    echo "fuzz: $name: CRASHED; see $log and $out/artifacts/" >&2
    tail -n 30 "$log" >&2
    failed=1
  fi
done
exit "$failed"
