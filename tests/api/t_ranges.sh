#!/usr/bin/env bash
# Parcel downloads: byte ranges (single, suffix, open-ended, unsatisfiable,
# malformed, multiple), If-None-Match with the ETag, HEAD, a zero-byte
# parcel, and a parcel that is listed but not uploaded yet.
. "$(dirname "$0")/lib.sh"


# ranged NAME RANGE FIRST LAST: a 206 whose Content-Range and bytes are
# FIRST..LAST of the ten-byte parcel.
ranged() {
  local name=$1 range=$2 first=$3 last=$4
  req GET "/_i/$ID@$SHA" -H "Range: $range"
  local want="bytes $first-$last/10" got
  got=$(cut -c $((first + 1))-$((last + 1)) "$TMP/ten.dat" | tr -d '\n')
  if [ "$STATUS" != 206 ]; then
    fail "$name" "expected HTTP 206, got $STATUS: $(head -c 200 "$BODY")"
  elif [ "$(header Content-Range)" != "$want" ]; then
    fail "$name" "Content-Range '$(header Content-Range)', expected '$want'"
  elif [ "$(cat "$BODY")" != "$got" ] || [ "$(header Content-Length)" != $((last - first + 1)) ]; then
    fail "$name" "body '$(head -c 20 "$BODY")' (Content-Length $(header Content-Length)), expected '$got'"
  else
    pass "$name"
  fi
}

# full NAME [CURL ARGS]: a 200 with the whole ten bytes and no Content-Range.
full() {
  local name=$1; shift
  req GET "/_i/$ID@$SHA" "$@"
  if [ "$STATUS" = 200 ] && cmp -s "$BODY" "$TMP/ten.dat" && [ -z "$(header Content-Range)" ]; then
    pass "$name"
  else
    fail "$name" "got $STATUS, Content-Range '$(header Content-Range)', body '$(head -c 40 "$BODY")'"
  fi
}

start_wharfd || exit 1

printf '0123456789' >"$TMP/ten.dat"
head -c 200000 /dev/urandom >"$TMP/big.dat"
: >"$TMP/empty.dat"
printf 'listed but never uploaded\n' >"$TMP/later.dat"
SHA=$(sha256_of "$TMP/ten.dat")
BIG=$(sha256_of "$TMP/big.dat")
EMPTY=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
LATER=$(sha256_of "$TMP/later.dat")
ID=wharf.test/ranges/1.0.0

check "the empty input's sha256 is the well-known one" test "$(sha256_of "$TMP/empty.dat")" = $EMPTY

cat >"$TMP/invoice.toml" <<EOF
bindleVersion = "1.0.0"

[bindle]
name = "wharf.test/ranges"
version = "1.0.0"

[[parcel]]
[parcel.label]
sha256 = "$SHA"
mediaType = "text/x-digits"
name = "ten.txt"
size = 10

[[parcel]]
[parcel.label]
sha256 = "$BIG"
mediaType = "application/octet-stream"
name = "big.bin"
size = 200000

[[parcel]]
[parcel.label]
sha256 = "$EMPTY"
mediaType = "application/x-empty"
name = "empty"
size = 0

[[parcel]]
[parcel.label]
sha256 = "$LATER"
mediaType = "text/plain"
name = "later.txt"
size = 26
EOF
req POST /_i --data-binary @"$TMP/invoice.toml"
expect_status "create the invoice: 202" 202
req POST "/_i/$ID@$SHA" --data-binary @"$TMP/ten.dat"
expect_status "upload the ten-byte parcel" 200
req POST "/_i/$ID@$BIG" --data-binary @"$TMP/big.dat"
expect_status "upload the 200 KB parcel" 200

full "a plain GET: 200, the whole parcel"
check "Accept-Ranges: bytes on a 200" test "$(header Accept-Ranges)" = bytes
check "Content-Type from the label" test "$(header Content-Type)" = text/x-digits
check "ETag is the quoted sha256" test "$(header ETag)" = "\"$SHA\""
check "Content-Length is the size" test "$(header Content-Length)" = 10

ranged "Range bytes=0-0: the first byte" bytes=0-0 0 0
check "Accept-Ranges: bytes on a 206" test "$(header Accept-Ranges)" = bytes
check "a 206 keeps the label's Content-Type" test "$(header Content-Type)" = text/x-digits
check "a 206 keeps the ETag" test "$(header ETag)" = "\"$SHA\""
ranged "Range bytes=2-4" bytes=2-4 2 4
ranged "Range bytes=-3: the last three" bytes=-3 7 9
ranged "Range bytes=5-: from 5 to the end" bytes=5- 5 9
ranged "Range bytes=9-9: the last byte" bytes=9-9 9 9
ranged "Range bytes=8-100: the end is clamped" bytes=8-100 8 9
ranged "Range bytes=-100: a suffix longer than the parcel is all of it" bytes=-100 0 9
ranged "Range bytes=0-9: exactly all of it" bytes=0-9 0 9

req GET "/_i/$ID@$BIG" -H 'Range: bytes=131070-131089'
dd if="$TMP/big.dat" of="$TMP/big.slice" bs=1 skip=131070 count=20 status=none
check "a range deep into a larger parcel: 206 with the right bytes" \
  bash -c "[ $STATUS = 206 ] && cmp -s '$BODY' '$TMP/big.slice'"
check "and Content-Range names the larger size" test "$(header Content-Range)" = "bytes 131070-131089/200000"

ranged "Range bytes=3-99999999999999999999999 (past 64 bits): clamped" \
  bytes=3-99999999999999999999999 3 9

for r in bytes=10- bytes=10-20 bytes=100-200 bytes=-0 bytes=99999999999999999999999-; do
  req GET "/_i/$ID@$SHA" -H "Range: $r"
  expect_error "Range $r is unsatisfiable: 416" 416
  check "Range $r: Content-Range: bytes */10" test "$(header Content-Range)" = "bytes */10"
done

for r in bytes=abc 'bytes=5-2' items=0-1 'bytes 0-1' bytes= bytes=- 'bytes=1-x'; do
  full "malformed Range '$r' is ignored: 200, the whole parcel" -H "Range: $r"
done
full "multiple ranges: 200, the whole parcel" -H 'Range: bytes=0-1,4-5'

# curl leaves the output file alone when no body arrives: empty it first.
: >"$BODY"
req GET "/_i/$ID@$SHA" -H "If-None-Match: \"$SHA\""
check "If-None-Match with the ETag: 304" test "$STATUS" = 304
check "the 304 has no body" test ! -s "$BODY"
check "the 304 repeats the ETag" test "$(header ETag)" = "\"$SHA\""
# RFC 9110 8.6: a 304 may carry Content-Length only if it is the 200's.
check "the 304 has no Content-Length, or the parcel's (10)" \
  bash -c "! grep -qi '^Content-Length:' '$HDRS' || grep -qix 'Content-Length: 10.' '$HDRS'"
req GET "/_i/$ID@$SHA" -H "If-None-Match: \"other\", \"$SHA\""
check "If-None-Match listing the ETag among others: 304" test "$STATUS" = 304
req GET "/_i/$ID@$SHA" -H 'If-None-Match: *'
check "If-None-Match: * on a stored parcel: 304" test "$STATUS" = 304
full "If-None-Match with another ETag: 200" -H "If-None-Match: \"$BIG\""
ranged "If-None-Match with another ETag and a Range: 206" bytes=2-4 2 4
req GET "/_i/$ID@$SHA" -H "If-None-Match: \"$SHA\"" -H 'Range: bytes=2-4'
check "If-None-Match with the ETag beats a Range: 304" test "$STATUS" = 304

req GET "/_i/$ID@$SHA"
sed '/^Date:/d' "$HDRS" | tr -d '\r' | sort >"$TMP/get.h"
req HEAD "/_i/$ID@$SHA"
expect_status "HEAD of a parcel: 200" 200
sed '/^Date:/d' "$HDRS" | tr -d '\r' | sort >"$TMP/head.h"
check "HEAD has exactly GET's headers" cmp -s "$TMP/get.h" "$TMP/head.h"
check "HEAD's Content-Length is the size" test "$(header Content-Length)" = 10
raw 'HEAD /v1/_i/%s@%s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' "$ID" "$SHA" >"$TMP/head.raw"
check "HEAD sends no body" test "$(tail -c 4 "$TMP/head.raw" | od -An -tx1 | tr -d ' ')" = 0d0a0d0a
req HEAD "/_i/$ID@$SHA" -H 'Range: bytes=2-4'
check "HEAD with a Range: 206 and Content-Length 3" \
  test "$STATUS/$(header Content-Length)/$(header Content-Range)" = "206/3/bytes 2-4/10"
req HEAD "/_i/$ID@$SHA" -H 'Range: bytes=50-'
check "HEAD with an unsatisfiable Range: 416" test "$STATUS" = 416

# Zero bytes: listed, uploaded with an empty body, downloaded empty.
req GET "/_r/missing/$ID"
check "the empty parcel is missing before its upload" grep -q $EMPTY "$BODY"
req POST "/_i/$ID@$EMPTY" --data-binary @"$TMP/empty.dat"
expect_status "upload the zero-byte parcel: 200" 200
req GET "/_r/missing/$ID"
check "the empty parcel is no longer missing" bash -c "! grep -q $EMPTY '$BODY'"
echo stale >"$BODY"
req GET "/_i/$ID@$EMPTY"
expect_status "download the zero-byte parcel: 200" 200
check "its body is empty" test ! -s "$BODY"
check "its Content-Length is 0" test "$(header Content-Length)" = 0
check "its Content-Type is the label's" test "$(header Content-Type)" = application/x-empty
check "its ETag is the empty sha256" test "$(header ETag)" = "\"$EMPTY\""
req HEAD "/_i/$ID@$EMPTY"
check "HEAD of the zero-byte parcel: 200, Content-Length 0" \
  test "$STATUS/$(header Content-Length)" = 200/0
req GET "/_i/$ID@$EMPTY" -H 'Range: bytes=0-0'
expect_error "Range bytes=0-0 of the zero-byte parcel: 416" 416
check "Content-Range: bytes */0" test "$(header Content-Range)" = "bytes */0"
req GET "/_i/$ID@$EMPTY" -H 'Range: bytes=-5'
check "a suffix Range on the zero-byte parcel: 416" test "$STATUS" = 416
req GET "/_i/$ID@$EMPTY" -H "If-None-Match: \"$EMPTY\""
check "If-None-Match on the zero-byte parcel: 304" test "$STATUS" = 304

# Listed but not uploaded yet.
req GET "/_i/$ID@$LATER"
expect_error "a parcel listed but not uploaded: 404" 404
check "the 404 says it has not been uploaded" grep -q 'not been uploaded' "$BODY"
req HEAD "/_i/$ID@$LATER"
check "HEAD of it: 404" test "$STATUS" = 404
req GET "/_i/$ID@$LATER" -H 'Range: bytes=0-0'
expect_error "a Range on it: still 404" 404
req GET "/_i/$ID@$LATER" -H 'If-None-Match: *'
expect_error "If-None-Match: * on it: 404, it does not exist" 404

check "stops cleanly" stop_wharfd
finish
