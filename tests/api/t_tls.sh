#!/usr/bin/env bash
# --tls-cert/--tls-key serve the same API over HTTPS; a missing half of the
# pair is refused at start.
. "$(dirname "$0")/lib.sh"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
  -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
check "made a throw-away certificate" test -s "$TMP/cert.pem"

"$WHARFD" --listen 127.0.0.1:0 --data "$TMP/d0" --tls-cert "$TMP/cert.pem" 2>"$TMP/half.log"
check "tls-cert without tls-key exits 2" test $? -eq 2
check "and says they go together" grep -q "tls-cert and tls-key go together" "$TMP/half.log"

# The real defaults: a token for writes, a creator signature (the fixture's).
TOK=$("$WHARFD" token create --data "$TMP/d1" --scopes 'push:enterprise.com/*' 2>/dev/null)
log="$TMP/tls.log"
"$WHARFD" --listen 127.0.0.1:0 --data "$TMP/d1" --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem" 2>"$log" &
PID=$!
for _ in $(seq 1 100); do grep -q listening "$log" && break; sleep 0.05; done
PORT=$(sed -n 's#^wharfd: listening on https://127\.0\.0\.1:\([0-9]*\)$#\1#p' "$log")
check "announces an https URL" test -n "$PORT"

out=$(curl -sS --cacert "$TMP/cert.pem" "https://127.0.0.1:$PORT/healthz")
check "healthz over HTTPS, verified against the certificate" test "$out" = 'status = "ok"'
S="$FIX/scaffolds/valid_v1"
code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$TMP/cert.pem" -X POST \
  -H "Authorization: Bearer $TOK" --data-binary @"$S/invoice.toml" "https://127.0.0.1:$PORT/v1/_i")
check "create a signed invoice over HTTPS with a token" test "$code" = 202
code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$TMP/cert.pem" -X POST \
  -H "Authorization: Bearer $TOK" --data-binary @"$S/parcels/parcel.dat" \
  "https://127.0.0.1:$PORT/v1/_i/enterprise.com/warpcore/1.0.0@23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5")
check "upload a parcel over HTTPS" test "$code" = 200
curl -sS --cacert "$TMP/cert.pem" -o "$TMP/got" \
  "https://127.0.0.1:$PORT/v1/_i/enterprise.com/warpcore/1.0.0@23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5"
check "download it over HTTPS (no sendfile there) byte for byte" cmp -s "$TMP/got" "$S/parcels/parcel.dat"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")
check "plain HTTP to the TLS port gets no 200" test "$code" != 200
check "stops cleanly" stop_wharfd

finish
