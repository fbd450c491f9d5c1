#!/usr/bin/env bash
# The flows of Bindle's own test scaffolds: create with missing parcels,
# upload, dedupe across bindles, _r/missing, yank and yanked=true, and a
# restart that keeps everything.
. "$(dirname "$0")/lib.sh"

S="$FIX/scaffolds"
V1=enterprise.com/warpcore/1.0.0
V2=enterprise.com/warpcore/2.0.0
CHIP=23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5
CHIP2=5e244f1c791ee45ec9cc02b281e3b58524e757561e9dc39cdd7ec0f4d328a3d3

start_wharfd || exit 1

req GET /healthz
expect_status "healthz answers 200" 200

req POST /_i -H 'Content-Type: application/toml' --data-binary @"$S/valid_v1/invoice.toml"
expect_status "create valid_v1 with its parcel missing: 202" 202
expect_body "create reply lists the missing parcel" "$CHIP"
expect_body "create reply keeps the creator signature" 'signature = "1oKW+2RXsE'

req GET "/_r/missing/$V1"
expect_status "missing answers 200" 200
expect_body "missing lists the parcel" "$CHIP"

req POST "/_i/$V1@$CHIP" --data-binary @"$S/valid_v1/parcels/parcel.dat"
expect_status "upload the parcel: 200" 200

req GET "/_r/missing/$V1"
check "nothing missing after the upload" bash -c "! grep -q sha256 '$BODY'"

req GET "/_i/$V1@$CHIP"
expect_status "download the parcel: 200" 200
check "downloaded bytes equal the fixture" cmp -s "$BODY" "$S/valid_v1/parcels/parcel.dat"
check "ETag is the quoted sha256" test "$(header ETag)" = "\"$CHIP\""
check "Content-Type comes from the label" test "$(header Content-Type)" = "text/plain"

# valid_v2 shares isolinear_chip.txt with v1: it is stored once.
req POST /_i -H 'Content-Type: application/toml' --data-binary @"$S/valid_v2/invoice.toml"
expect_status "create valid_v2: 202 (one new parcel)" 202
sed -n '/^\[\[missing\]\]/,$p' "$BODY" >"$TMP/missing"
check "v2 reports only the new parcel missing" bash -c "grep -q $CHIP2 '$TMP/missing' && ! grep -q $CHIP '$TMP/missing'"
req POST "/_i/$V2@$CHIP2" --data-binary @"$S/valid_v2/parcels/parcel.dat"
expect_status "upload v2's new parcel" 200
check "the shared parcel is one file on disk" test "$(find "$DATA/parcels" -type f | wc -l)" -eq 2

# An invoice whose parcels are all stored is complete at once.
sed 's/version = "2.0.0"/version = "2.0.1"/' "$S/valid_v2/invoice.toml" >"$TMP/v201.toml"
req POST /_i --data-binary @"$TMP/v201.toml"
expect_status "create with every parcel already stored: 201" 201

req POST /_i --data-binary @"$S/valid_v1/invoice.toml"
expect_status "create the same bindle again: 409" 409
expect_body "409 says it exists" "already exists"

req GET "/_i/$V1" -H 'Accept: application/json'
expect_status "GET invoice as JSON" 200
check "JSON content type" test "$(header Content-Type)" = "application/json"
expect_body "JSON body has the name" '"name":"enterprise.com/warpcore"'

req HEAD "/_i/$V1"
expect_status "HEAD invoice: 200" 200
head_len=$(header Content-Length)
head_type=$(header Content-Type)
req GET "/_i/$V1"
check "HEAD announces the Content-Length GET sends" test "$head_len" = "$(stat -c %s "$BODY")"
check "HEAD announces GET's Content-Type" test "$head_type" = "$(header Content-Type)"
raw 'HEAD /v1/_i/%s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' "$V1" >"$TMP/head.raw"
check "HEAD sends no body after the headers" test "$(tail -c 4 "$TMP/head.raw" | od -An -tx1 | tr -d ' ')" = 0d0a0d0a

req DELETE "/_i/$V1?reason=warp%20core%20breach"
expect_status "yank: 200" 200
req GET "/_i/$V1"
expect_status "GET yanked: 403" 403
req GET "/_i/$V1?yanked=true"
expect_status "GET yanked with yanked=true: 200" 200
expect_body "the yanked invoice says so" "yanked = true"
expect_body "the yank reason is kept" 'yanked_reason = "warp core breach"'
req DELETE "/_i/$V1"
expect_status "yank again: 200, a no-op" 200
req GET "/_i/$V1?yanked=true"
expect_body "a second yank keeps the first reason" 'yanked_reason = "warp core breach"'
req POST "/_i/$V1@$CHIP" --data-binary @"$S/valid_v1/parcels/parcel.dat"
expect_status "upload to a yanked bindle: 403" 403

req GET "/_q?q=warpcore"
expect_body "query hides yanked bindles" 'version = "2.0.0"'
check "query leaves out the yanked 1.0.0" bash -c "! grep -q 'version = \"1.0.0\"' '$BODY'"
req GET "/_q?q=warpcore&yanked=true"
expect_body "query with yanked=true includes it" 'version = "1.0.0"'

check "stops cleanly on SIGTERM" stop_wharfd

start_wharfd || exit 1
req GET "/_i/$V2"
expect_status "after a restart the invoice is there" 200
req GET "/_i/$V2@$CHIP2"
check "after a restart the parcel is there" cmp -s "$BODY" "$S/valid_v2/parcels/parcel.dat"
req GET "/_i/$V1"
expect_status "after a restart the yank holds" 403
check "stops cleanly again" stop_wharfd

finish
