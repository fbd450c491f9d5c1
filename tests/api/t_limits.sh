#!/usr/bin/env bash
# Limits: invoice size (with Content-Length and chunked), parcel count,
# parcel size, header size and uploads in progress, each refused with the
# right status while the server keeps serving; bad limit values on the
# command line; and the flag > environment > config file precedence.
. "$(dirname "$0")/lib.sh"



# invoice NAME N [SIZE]: an invoice for NAME/1.0.0 with N parcels whose
# labels say SIZE bytes (the sha256 of parcel i is that of "parcel i").
invoice() {
  local name=$1 n=$2 size=${3:-8} i sha
  cat <<EOF
bindleVersion = "1.0.0"

[bindle]
name = "$name"
version = "1.0.0"
EOF
  for i in $(seq 1 "$n"); do
    sha=$(printf 'parcel %d' "$i" | sha256sum | cut -c1-64)
    cat <<EOF

[[parcel]]
[parcel.label]
sha256 = "$sha"
mediaType = "application/octet-stream"
name = "p$i"
size = $size
EOF
  done
}

# ---------------------------------------------------------------- bad values
"$WHARFD" --max-parcel-bytes nonsense --listen 127.0.0.1:0 --data "$TMP/never" 2>"$TMP/err"
rc=$?
check "--max-parcel-bytes nonsense: exit status 2" test "$rc" = 2
check "the message names the option" grep -q 'max-parcel-bytes' "$TMP/err"
check "the message names the bad value" grep -q 'nonsense' "$TMP/err"
check "nothing was created on a usage error" test ! -e "$TMP/never"
for bad in '--max-parcels -1' '--max-uploads 0' '--max-invoice-bytes 12Q' \
           '--max-header-bytes 99999999999999999999999' '--idle-timeout 1.5' '--no-such-limit 3'; do
  # shellcheck disable=SC2086
  "$WHARFD" $bad --listen 127.0.0.1:0 --data "$TMP/never" 2>"$TMP/err"
  rc=$?
  opt=${bad%% *}
  if [ "$rc" = 2 ] && grep -q -- "${opt#--}" "$TMP/err"; then pass "wharfd $bad: exit 2 naming ${opt#--}"
  else fail "wharfd $bad: exit 2 naming ${opt#--}" "exit $rc: $(head -c 200 "$TMP/err")"; fi
done
WHARF_MAX_PARCELS=many "$WHARFD" --listen 127.0.0.1:0 --data "$TMP/never" 2>"$TMP/err"
rc=$?
check "WHARF_MAX_PARCELS=many: exit 2 naming the variable" \
  bash -c "[ $rc = 2 ] && grep -q WHARF_MAX_PARCELS '$TMP/err'"
printf 'max_parcels = "lots"\n' >"$TMP/bad.toml"
"$WHARFD" --config "$TMP/bad.toml" --listen 127.0.0.1:0 --data "$TMP/never" 2>"$TMP/err"
rc=$?
check "a config file with a bad value: exit 2 naming file and key" \
  bash -c "[ $rc = 2 ] && grep -q bad.toml '$TMP/err' && grep -Eq 'max[_-]parcels' '$TMP/err'"
printf 'max_parcelz = 3\n' >"$TMP/typo.toml"
"$WHARFD" --config "$TMP/typo.toml" --listen 127.0.0.1:0 --data "$TMP/never" 2>"$TMP/err"
rc=$?
check "a config file with an unknown key: exit 2 naming it" \
  bash -c "[ $rc = 2 ] && grep -q max_parcelz '$TMP/err'"

# ---------------------------------------------------------------- small limits
start_wharfd --max-invoice-bytes 2K --max-parcel-bytes 1K --max-parcels 3 \
  --max-header-bytes 4K --max-uploads 1 || exit 1

ALIVE_ID=wharf.test/limits-good/1.0.0
invoice wharf.test/limits-good 0 >"$TMP/good.toml"
req POST /_i --data-binary @"$TMP/good.toml"
expect_status "a small invoice is created" 201

# An invoice of 2 KiB plus a bit: a long description under [bindle] keeps it
# valid, so only its size is wrong.
{ invoice wharf.test/limits-big 0; printf 'description = "%s"\n' "$(head -c 2100 /dev/zero | tr '\0' d)"; } \
  >"$TMP/big.toml"
check "the big invoice is over 2 KiB" test "$(stat -c %s "$TMP/big.toml")" -gt 2048
req POST /_i --data-binary @"$TMP/big.toml"
expect_error "an invoice over --max-invoice-bytes (Content-Length): 413" 413 "max-invoice-bytes"
req POST /_i -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/big.toml"
expect_error "an invoice over --max-invoice-bytes (chunked): 413" 413 "max-invoice-bytes"
head -c 1048576 /dev/zero | tr '\0' '#' >"$TMP/huge.toml"
req POST /_i -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/huge.toml"
expect_error "a 1 MiB chunked invoice: 413" 413
req GET /_i/wharf.test/limits-big/1.0.0
expect_status "the oversized invoice was not stored" 404
{ invoice wharf.test/limits-fits 0; printf 'description = "%s"\n' "$(head -c 1800 /dev/zero | tr '\0' d)"; } \
  >"$TMP/fits.toml"
req POST /_i -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/fits.toml"
expect_status "an invoice just under the limit, chunked: 201" 201
alive "invoice size"

invoice wharf.test/limits-four 4 >"$TMP/four.toml"
req POST /_i --data-binary @"$TMP/four.toml"
expect_error "4 parcels with --max-parcels 3: 413" 413 "parcels"
invoice wharf.test/limits-three 3 >"$TMP/three.toml"
req POST /_i --data-binary @"$TMP/three.toml"
expect_status "3 parcels with --max-parcels 3: 202" 202
alive "parcel count"

# A label over max-parcel-bytes can be listed, but its upload is refused.
head -c 1025 /dev/urandom >"$TMP/p1025.dat"
head -c 1024 /dev/urandom >"$TMP/p1024.dat"
head -c 1000 /dev/urandom >"$TMP/p1000.dat"
S1025=$(sha256_of "$TMP/p1025.dat") S1024=$(sha256_of "$TMP/p1024.dat") S1000=$(sha256_of "$TMP/p1000.dat")
SZ=wharf.test/limits-size/1.0.0
cat >"$TMP/size.toml" <<EOF
bindleVersion = "1.0.0"

[bindle]
name = "wharf.test/limits-size"
version = "1.0.0"

[[parcel]]
[parcel.label]
sha256 = "$S1025"
mediaType = "application/octet-stream"
name = "over"
size = 1025

[[parcel]]
[parcel.label]
sha256 = "$S1024"
mediaType = "application/octet-stream"
name = "at"
size = 1024

[[parcel]]
[parcel.label]
sha256 = "$S1000"
mediaType = "application/octet-stream"
name = "under"
size = 1000
EOF
req POST /_i --data-binary @"$TMP/size.toml"
expect_status "an invoice listing a parcel over --max-parcel-bytes: 202" 202
req POST "/_i/$SZ@$S1025" --data-binary @"$TMP/p1025.dat"
expect_error "uploading a 1025-byte parcel with --max-parcel-bytes 1K: 413" 413 "max-parcel-bytes"
req POST "/_i/$SZ@$S1025" -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/p1025.dat"
expect_error "the same upload chunked: 413" 413 "max-parcel-bytes"
check "the oversized parcel was not stored" \
  test "$(find "$DATA/parcels" -path "$DATA/parcels/.tmp" -prune -o -type f -print | wc -l)" -eq 0
req POST "/_i/$SZ@$S1024" --data-binary @"$TMP/p1024.dat"
expect_status "a parcel of exactly 1K uploads: 200" 200
alive "parcel size"

# Headers: libmicrohttpd answers 413 or 431 itself; either is right.
big=$(head -c 20000 /dev/zero | tr '\0' h)
req GET /healthz -H "X-Padding: $big"
check "a 20 KB header value: 413 or 431" test "$STATUS" = 413 -o "$STATUS" = 431
alive "a 20 KB header"
req GET "/_i/wharf.test/$big/1.0.0"
check "a 20 KB URL: 414, 413 or 431" test "$STATUS" = 414 -o "$STATUS" = 413 -o "$STATUS" = 431
alive "a 20 KB URL"
req GET /healthz -H "X-Padding: $(head -c 6000 /dev/zero | tr '\0' h)"
check "a 6 KB header with --max-header-bytes 4K: 413 or 431" test "$STATUS" = 413 -o "$STATUS" = 431
req GET /healthz -H "X-Padding: $(head -c 2500 /dev/zero | tr '\0' h)"
expect_status "a 2.5 KB header with --max-header-bytes 4K: served" 200
big_headers=()
for i in $(seq 1 400); do big_headers+=(-H "X-H$i: v"); done
req GET /healthz "${big_headers[@]}"
check "400 small headers (over 4K in all): 413 or 431" test "$STATUS" = 413 -o "$STATUS" = 431
alive "many headers"

# Uploads in progress: hold one open (Expect: 100-continue tells us when the
# server has taken it), then a second is refused with 503 and Retry-After.
exec 8<>"/dev/tcp/127.0.0.1/$PORT"
printf 'POST /v1/_i/%s@%s HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\nConnection: close\r\nExpect: 100-continue\r\n\r\n' \
  "$SZ" "$S1000" >&8
line=""
IFS= read -r -t 10 line <&8
check "the held upload is accepted (100 Continue)" bash -c "[[ '${line%$'\r'}' == 'HTTP/1.1 100'* ]]"
IFS= read -r -t 5 _ <&8
head -c 400 "$TMP/p1000.dat" >&8
sleep 0.2
big4=$(sed -n 's/^sha256 = "\(.*\)"$/\1/p' "$TMP/three.toml" | head -n 1)
printf 'parcel 1' >"$TMP/three-1.dat"
req POST "/_i/wharf.test/limits-three/1.0.0@$big4" --data-binary @"$TMP/three-1.dat"
expect_error "a second upload with --max-uploads 1: 503" 503 "max-uploads"
check "the 503 says when to retry (Retry-After)" test -n "$(header Retry-After)"
req POST "/_i/$SZ@$S1024" --data-binary @"$TMP/p1024.dat"
expect_status "an upload of an already stored parcel needs no slot: 200" 200
alive "an upload held open"
: >"$TMP/held.out"
tail -c +401 "$TMP/p1000.dat" >&8
timeout 10 cat <&8 >"$TMP/held.out" &
catpid=$!
for _ in $(seq 1 100); do grep -q '^HTTP/1.1 200' "$TMP/held.out" && break; sleep 0.05; done
check "the held upload completes: 200" grep -q '^HTTP/1.1 200' "$TMP/held.out"
exec 8<&- 8>&-
wait "$catpid" 2>/dev/null
for _ in $(seq 1 50); do
  req POST "/_i/wharf.test/limits-three/1.0.0@$big4" --data-binary @"$TMP/three-1.dat"
  [ "$STATUS" = 503 ] || break
  sleep 0.1
done
expect_status "after it, the second upload succeeds" 200
req GET "/_i/$SZ@$S1000"
check "the held upload's bytes are stored intact" cmp -s "$BODY" "$TMP/p1000.dat"

check "stops cleanly" stop_wharfd

# ---------------------------------------------------------------- precedence
# max_parcels: file 1, env 2, flag 3.  Each run gets a fresh data directory.
printf '# limits for the test\nmax_parcels = 1\nmax_invoice_bytes = "64K"\n' >"$TMP/wharfd.toml"
invoice wharf.test/prec 1 >"$TMP/p1.toml"
invoice wharf.test/prec 2 >"$TMP/p2.toml"
invoice wharf.test/prec 3 >"$TMP/p3.toml"
invoice wharf.test/prec 4 >"$TMP/p4.toml"

DATA=$TMP/data-file
start_wharfd --config "$TMP/wharfd.toml" || exit 1
req POST /_i --data-binary @"$TMP/p2.toml"
expect_error "config file max_parcels = 1: 2 parcels are refused" 413
req POST /_i --data-binary @"$TMP/p1.toml"
expect_status "config file max_parcels = 1: 1 parcel is fine" 202
check "stops cleanly (config file)" stop_wharfd

DATA=$TMP/data-env
WHARF_MAX_PARCELS=2 start_wharfd --config "$TMP/wharfd.toml" || exit 1
req POST /_i --data-binary @"$TMP/p3.toml"
expect_error "WHARF_MAX_PARCELS=2 over the file's 1: 3 parcels are refused" 413
req POST /_i --data-binary @"$TMP/p2.toml"
expect_status "WHARF_MAX_PARCELS=2 over the file's 1: 2 parcels are fine" 202
check "stops cleanly (env)" stop_wharfd

DATA=$TMP/data-flag
WHARF_MAX_PARCELS=2 start_wharfd --config "$TMP/wharfd.toml" --max-parcels 3 || exit 1
req POST /_i --data-binary @"$TMP/p4.toml"
expect_error "--max-parcels 3 over env and file: 4 parcels are refused" 413
req POST /_i --data-binary @"$TMP/p3.toml"
expect_status "--max-parcels 3 over env and file: 3 parcels are fine" 202
check "stops cleanly (flag)" stop_wharfd

DATA=$TMP/data-wharfconfig
WHARF_CONFIG=$TMP/wharfd.toml start_wharfd || exit 1
req POST /_i --data-binary @"$TMP/p2.toml"
expect_error "WHARF_CONFIG names the config file too" 413
check "stops cleanly (WHARF_CONFIG)" stop_wharfd

finish
