#!/usr/bin/env bash
# Wasm parcels are validated before they are stored, in a worker process:
# a valid module is stored and described at /v1/_m; a broken one is refused
# with 422 and wabt's reason, and nothing of it is kept; a component is
# accepted as a component; bytes with the wasm magic are checked whatever
# their label; the worker's size limit refuses with its reason.
. "$(dirname "$0")/lib.sh"

command -v wat2wasm >/dev/null || { fail "wat2wasm (Debian package wabt) is needed"; finish; exit; }
# publish NAME FILE MEDIA: an invoice with that one parcel.
publish() {
  printf 'bindleVersion = "1.0.0"\n[bindle]\nname = "%s"\nversion = "1.0.0"\n[[parcel]]\n[parcel.label]\nsha256 = "%s"\nmediaType = "%s"\nname = "%s"\nsize = %s\n' \
    "$1" "$(sha "$2")" "$3" "$(basename "$2")" "$(stat -c %s "$2")" >"$TMP/inv.toml"
  req POST /_i --data-binary @"$TMP/inv.toml"
}
upload() { req POST "/_i/$1/1.0.0@$(sha "$2")" --data-binary @"$2"; }

cat >"$TMP/fib.wat" <<'WAT'
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1 16)
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_s (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2))))))))
WAT
wat2wasm "$TMP/fib.wat" -o "$TMP/fib.wasm"
check "wat2wasm built the test module" test -s "$TMP/fib.wasm"
# A function body whose type does not check: i32.add of one operand.
printf '\0asm\1\0\0\0\1\5\1\x60\0\1\x7f\3\2\1\0\n\5\1\3\0\x6a\x0b' >"$TMP/broken.wasm"
# A component: the magic, then version 0x0d and layer 1.
printf '\0asm\x0d\0\1\0' >"$TMP/component.wasm"
printf '\0asm\1\0\0\0\1\5' >"$TMP/truncated.bin"

start_wharfd || exit 1
publish example.com/fib "$TMP/fib.wasm" application/wasm
expect_status "an invoice with a wasm parcel" 202
upload example.com/fib "$TMP/fib.wasm"
expect_status "a valid module is stored" 200
req GET "/_m/example.com/fib/1.0.0@$(sha "$TMP/fib.wasm")" -H 'Accept: application/json'
expect_status "and described at /v1/_m" 200
expect_body "as valid" '"valid":true'
expect_body "a core module" '"kind":"module"'
expect_body "exporting fib" '"name":"fib"'
expect_body "importing fd_write from WASI" 'wasi_snapshot_preview1'
expect_body "targeting WASI preview 1" '"abi":"wasi_snapshot_preview1"'
req GET "/_m/example.com/fib/1.0.0@$(sha "$TMP/fib.wasm")"
expect_status "in TOML too" 200
expect_body "TOML" 'valid = true'

publish example.com/broken "$TMP/broken.wasm" application/wasm
upload example.com/broken "$TMP/broken.wasm"
expect_error "a module that does not validate is refused with 422" 422 "not a valid wasm module"
req GET "/_i/example.com/broken/1.0.0@$(sha "$TMP/broken.wasm")"
expect_status "and is not stored" 404
check "nor kept on disk" test ! -e "$DATA/parcels/$(sha "$TMP/broken.wasm" | cut -c1-2)/$(sha "$TMP/broken.wasm" | cut -c3-)"
req GET "/_m/example.com/broken/1.0.0@$(sha "$TMP/broken.wasm")"
expect_status "nor described" 404

publish example.com/sneaky "$TMP/truncated.bin" application/octet-stream
upload example.com/sneaky "$TMP/truncated.bin"
expect_error "bytes with the wasm magic are checked whatever the label says" 422 "not a valid wasm module"

publish example.com/component "$TMP/component.wasm" application/wasm
upload example.com/component "$TMP/component.wasm"
expect_status "a component is accepted" 200
req GET "/_m/example.com/component/1.0.0@$(sha "$TMP/component.wasm")" -H 'Accept: application/json'
expect_body "and described as a component" '"kind":"component"'

printf 'just text' >"$TMP/readme.txt"
publish example.com/text "$TMP/readme.txt" text/plain
upload example.com/text "$TMP/readme.txt"
expect_status "a parcel that is not wasm is stored unchecked" 200
req GET "/_m/example.com/text/1.0.0@$(sha "$TMP/readme.txt")"
expect_error "and /v1/_m says it is not a wasm module" 404 "not a wasm module"
check "the server stops cleanly" stop_wharfd

DATA="$TMP/data2" start_wharfd --wasm-max-bytes 64 || exit 1
publish example.com/big "$TMP/fib.wasm" application/wasm
upload example.com/big "$TMP/fib.wasm"
expect_error "a module over wasm-max-bytes is refused, naming the limit" 422 "wasm-max-bytes"
check "the second server stops cleanly" stop_wharfd
finish
