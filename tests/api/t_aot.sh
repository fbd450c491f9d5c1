#!/usr/bin/env bash
# Ahead-of-time artifacts through wharfd: a valid module is queued for
# every --aot-targets triple when it is stored; /v1/_a answers 202 while
# it builds, then the shared object with its provenance, which the host's
# attestation covers (checked here with openssl, not Wharf's code); a
# module wasm2c cannot translate is declined with the reason; the same
# source is never built twice; the builds survive a restart.
. "$(dirname "$0")/lib.sh"

command -v wat2wasm >/dev/null || { fail "wat2wasm (Debian package wabt) is needed"; finish; exit; }
publish() {  # publish NAME FILE: an invoice with that one wasm parcel, and the upload
  printf 'bindleVersion = "1.0.0"\n[bindle]\nname = "%s"\nversion = "1.0.0"\n[[parcel]]\n[parcel.label]\nsha256 = "%s"\nmediaType = "application/wasm"\nname = "%s"\nsize = %s\n' \
    "$1" "$(sha "$2")" "$(basename "$2")" "$(stat -c %s "$2")" >"$TMP/inv.toml"
  req POST /_i --data-binary @"$TMP/inv.toml"
  req POST "/_i/$1/1.0.0@$(sha "$2")" --data-binary @"$2"
}
# wait_built PATH: polls until the answer is not 202 (at most 120 s).
wait_built() {
  local i
  for i in $(seq 1 240); do
    req GET "$1"
    [ "$STATUS" != 202 ] && return 0
    sleep 0.5
  done
  return 1
}
ed_verify() {  # ed_verify KEY_B64 SIG_B64 MESSAGE_FILE (openssl, as t_host_key.sh)
  { printf '\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00'; printf '%s' "$1" | base64 -d; } >"$TMP/pub.der"
  openssl pkey -pubin -inform DER -in "$TMP/pub.der" -out "$TMP/pub.pem" 2>/dev/null || return 1
  printf '%s' "$2" | base64 -d >"$TMP/sig.bin"
  openssl pkeyutl -verify -pubin -inkey "$TMP/pub.pem" -rawin -in "$3" -sigfile "$TMP/sig.bin" >/dev/null 2>&1
}

wat2wasm tests/aot/fib.wat -o "$TMP/fib.wasm"
printf '(module (func (export "v") (result v128) (v128.const i32x4 1 2 3 4)))' >"$TMP/simd.wat"
wat2wasm "$TMP/simd.wat" -o "$TMP/simd.wasm"
FIB=$(sha "$TMP/fib.wasm")

start_wharfd --aot-targets x86_64-linux-gnu,aarch64-linux-gnu --aot-workers 2 || exit 1
publish example.com/fib "$TMP/fib.wasm"
expect_status "a valid module is stored" 200
# Before anyone asks /v1/_a (which would queue a build late), the upload
# itself must have queued one build per configured target.
req GET "/_m/example.com/fib/1.0.0@$FIB" -H 'Accept: application/json'
check "the upload queued a build for each target" bash -c "python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(sorted(a[\"target\"] for a in d[\"aot\"]) != [\"aarch64-linux-gnu\", \"x86_64-linux-gnu\"])' <'$BODY'"
check "the x86_64 artifact gets built" wait_built "/_a/example.com/fib/1.0.0@$FIB/x86_64-linux-gnu"
expect_status "and is served" 200
req GET "/_a/example.com/fib/1.0.0@$FIB/x86_64-linux-gnu"; cp "$BODY" "$TMP/fib.so"
check "as an ELF shared object" bash -c "head -c 4 '$TMP/fib.so' | od -An -c | grep -q 'E   L   F'"
check "with its provenance in headers" test "$(header X-Wharf-Source-Sha256)" = "$FIB"
TOOLCHAIN=$(header X-Wharf-Toolchain)
ATT=$(header X-Wharf-Attestation)
ASHA=$(sha "$TMP/fib.so")
check "the ETag is the artifact's sha256" bash -c "grep -qi '^ETag: \"$ASHA\"' '$HDRS'"
HOSTKEY=$(curl -s -H 'Accept: application/json' "$URL/bindle-keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"][0]["key"])')
printf 'wharf-aot-attestation-v1\n%s\n%s\n%s\n%s' "$FIB" x86_64-linux-gnu "$TOOLCHAIN" "$ASHA" >"$TMP/att"
check "openssl verifies the host's attestation over (source, target, toolchain, artifact)" ed_verify "$HOSTKEY" "$ATT" "$TMP/att"
printf 'wharf-aot-attestation-v1\n%s\n%s\n%s\n%s' "$FIB" aarch64-linux-gnu "$TOOLCHAIN" "$ASHA" >"$TMP/att2"
check "and refuses it for another target" not ed_verify "$HOSTKEY" "$ATT" "$TMP/att2"
check "the aarch64 artifact gets built" wait_built "/_a/example.com/fib/1.0.0@$FIB/aarch64-linux-gnu"
req GET "/_a/example.com/fib/1.0.0@$FIB/aarch64-linux-gnu"; cp "$BODY" "$TMP/fib-arm.so"
expect_status "and is served" 200
# e_machine (offset 18, little-endian) is 0xb7 for AArch64.
check "for AArch64" test "$(od -An -tx1 -j18 -N1 "$TMP/fib-arm.so" | tr -d ' ')" = b7
# The served artifacts run: fib(20) through Wharf's entry API, natively and
# under qemu, against what wabt's interpreter says.
gcc -std=c17 -D_GNU_SOURCE -O1 -I. -o "$TMP/harness" tests/aot/harness.c -ldl
aarch64-linux-gnu-gcc -std=c17 -D_GNU_SOURCE -O1 -I. -o "$TMP/harness-arm" tests/aot/harness.c -ldl
printf '%s\n(func (export "probe") (result i32) (call $fib (i32.const 20))))\n' "$(sed '$d' tests/aot/fib.wat)" >"$TMP/probe.wat"
wat2wasm "$TMP/probe.wat" -o "$TMP/probe.wasm"
EXPECT=$(wasm-interp "$TMP/probe.wasm" --run-all-exports | sed -n 's/^probe() => i32:\([0-9]*\)$/\1/p')
check "wasm-interp computes fib(20)" test "$EXPECT" = 6765
echo "fib 1 20" | "$TMP/harness" "$TMP/fib.so" >"$TMP/native.out"
check "the x86_64 artifact gives the same" grep -qx "ok $EXPECT" "$TMP/native.out"
echo "fib 1 20" | qemu-aarch64 -L /usr/aarch64-linux-gnu "$TMP/harness-arm" "$TMP/fib-arm.so" >"$TMP/arm.out" 2>&1
check "and so does the aarch64 one under qemu" grep -qx "ok $EXPECT" "$TMP/arm.out"
req GET "/_m/example.com/fib/1.0.0@$FIB" -H 'Accept: application/json'
check "/v1/_m lists both builds as done" bash -c "python3 -c 'import json,sys; d=json.load(sys.stdin); s={a[\"target\"]: a[\"state\"] for a in d[\"aot\"]}; sys.exit(s != {\"x86_64-linux-gnu\": \"done\", \"aarch64-linux-gnu\": \"done\"})' <'$BODY'"

req GET "/_a/example.com/fib/1.0.0@$FIB/riscv64-linux-gnu"
expect_error "a target this server does not build for is 404" 404 "does not precompile"
publish example.com/simd "$TMP/simd.wasm"
expect_status "a SIMD module is valid and stored" 200
req GET "/_a/example.com/simd/1.0.0@$(sha "$TMP/simd.wasm")/x86_64-linux-gnu"
expect_error "but its artifact is declined, saying why" 404 "SIMD"

# wharf pull --target: the module and, beside it, its attested artifact.
export XDG_CONFIG_HOME="$TMP/config" XDG_CACHE_HOME="$TMP/cache" HOME="$TMP/home"
"$WHARF" --server "$URL" push example.com/fibpull/1.0.0 "$TMP/fib.wasm" >/dev/null 2>&1
check "wharf push of the module" test $? -eq 0
"$WHARF" --server "$URL" --json pull example.com/fibpull/1.0.0 -o "$TMP/pulled" --target x86_64-linux-gnu >"$TMP/pull.json" 2>"$TMP/pull.err"
check "wharf pull --target x86_64-linux-gnu exits 0" test $? -eq 0
check "writes the module" cmp -s "$TMP/fib.wasm" "$TMP/pulled/fib.wasm"
check "and its attested artifact beside it, the bytes the server built" cmp -s "$TMP/fib.so" "$TMP/pulled/fib.wasm.x86_64-linux-gnu.so"
# A forged attestation (rewritten in the database) is refused.
python3 - "$DATA/wharf.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE aot_builds SET attestation = ? WHERE target = 'x86_64-linux-gnu'", ("A" * 86 + "==",))
db.commit()
PY
rm -rf "$TMP/pulled"
"$WHARF" --server "$URL" pull example.com/fibpull/1.0.0 -o "$TMP/pulled" --target x86_64-linux-gnu >/dev/null 2>"$TMP/pull.err"
check "a forged attestation fails the pull" test $? -eq 1
check "saying so" grep -q "not attested by a host key you trust" "$TMP/pull.err"
check "and the artifact is not written" test ! -e "$TMP/pulled/fib.wasm.x86_64-linux-gnu.so"

# The same bytes under another name: nothing is built again.
publish example.com/fib-again "$TMP/fib.wasm"
req GET "/_a/example.com/fib-again/1.0.0@$FIB/x86_64-linux-gnu"; cp "$BODY" "$TMP/again.so"
expect_status "the same source is served at once under another bindle" 200
check "the same artifact" cmp -s "$TMP/fib.so" "$TMP/again.so"
check "the server stops cleanly" stop_wharfd

start_wharfd --aot-targets x86_64-linux-gnu,aarch64-linux-gnu || exit 1
req GET "/_a/example.com/fib/1.0.0@$FIB/x86_64-linux-gnu"; cp "$BODY" "$TMP/after.so"
expect_status "after a restart the artifact is still there" 200
check "unchanged" cmp -s "$TMP/fib.so" "$TMP/after.so"
check "the restarted server stops cleanly" stop_wharfd

# A stop in the middle of a build ends the compiler too, leaves no build
# directory, and the build is queued again at the next start.
python3 - "$TMP/slow.wat" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("(module\n")
    for i in range(3000):
        f.write(f'(func (export "f{i}") (param i32) (result i32) (local i32) (local.set 1 (i32.const {i})) (block (loop (local.set 1 (i32.add (i32.mul (local.get 1) (i32.const 31)) (local.get 0))) (br_if 1 (i32.gt_u (local.get 1) (i32.const 1000000))) (br 0))) (local.get 1))\n')
    f.write(")\n")
PY
wat2wasm "$TMP/slow.wat" -o "$TMP/slow.wasm"
SLOW=$(sha "$TMP/slow.wasm")
mkdir -p "$TMP/tmpdir"
TMPDIR="$TMP/tmpdir" start_wharfd --aot-targets x86_64-linux-gnu --aot-workers 1 || exit 1
publish example.com/slow "$TMP/slow.wasm"
expect_status "a 3000-function module is stored" 200
# in_tmpdir: some process has its working directory under $TMP/tmpdir (the
# compiler runs inside its build directory) or names it in its arguments.
in_tmpdir() {
  local p
  for p in /proc/[0-9]*; do
    case "$(readlink "$p/cwd" 2>/dev/null)" in "$TMP/tmpdir"/*) return 0 ;; esac
  done
  pgrep -f "$TMP/tmpdir/" >/dev/null
}
building() {
  local i
  for i in $(seq 1 200); do
    req GET "/_m/example.com/slow/1.0.0@$SLOW" -H 'Accept: application/json'
    grep -q '"state":"building"' "$BODY" && pgrep -x cc1 >/dev/null && in_tmpdir && return 0
    sleep 0.1
  done
  return 1
}
check "its build starts" building
check "the server stops cleanly during the build" stop_wharfd
sleep 0.5
check "no process of that build is left running" not in_tmpdir
check "no build directory is left behind" test -z "$(ls -A "$TMP/tmpdir")"
TMPDIR="$TMP/tmpdir" start_wharfd --aot-targets x86_64-linux-gnu --aot-workers 1 || exit 1
check "after a restart the build is queued again and finishes" wait_built "/_a/example.com/slow/1.0.0@$SLOW/x86_64-linux-gnu"
expect_status "serving the artifact" 200
check "the last server stops cleanly" stop_wharfd
finish
