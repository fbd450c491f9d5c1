#!/usr/bin/env bash
# The host key: created 0600 on first start and kept across restarts, served
# at /v1/bindle-keys (with the roles filter), used to sign every accepted
# invoice and every yank.  Signatures are checked with the openssl command,
# not with Wharf's own code, against the cleartext SPEC.md section 2 gives.
. "$(dirname "$0")/lib.sh"

S="$FIX/scaffolds/valid_v1"
CHIP=23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5

# ed_verify KEY_B64 SIG_B64 MESSAGE_FILE: an Ed25519 check by openssl.
ed_verify() {
  # An Ed25519 SubjectPublicKeyInfo is this fixed 12-byte DER prefix + the key.
  { printf '\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00'; printf '%s' "$1" | base64 -d; } >"$TMP/pub.der"
  openssl pkey -pubin -inform DER -in "$TMP/pub.der" -out "$TMP/pub.pem" 2>/dev/null || return 1
  printf '%s' "$2" | base64 -d >"$TMP/sig.bin"
  openssl pkeyutl -verify -pubin -inkey "$TMP/pub.pem" -rawin -in "$3" -sigfile "$TMP/sig.bin" >/dev/null 2>&1
}
# json_field NAME: the first "NAME":"value" string in BODY.
json_field() { grep -o "\"$1\":\"[^\"]*\"" "$BODY" | head -n 1 | cut -d'"' -f4; }

start_wharfd || exit 1
check "the first start creates the host key file" test -f "$DATA/host_key.toml"
check "with mode 0600" test "$(stat -c %a "$DATA/host_key.toml")" = 600
check "and says so" grep -q "created the host key" "$TMP/wharfd.log"

req GET /bindle-keys -H 'Accept: application/json'
expect_status "GET /v1/bindle-keys" 200
HOSTKEY=$(json_field key)
check "it serves a 32-byte public key" test "$(printf '%s' "$HOSTKEY" | base64 -d | wc -c)" -eq 32
expect_body "with the host role" '"roles":["host"]'
req GET /bindle-keys
expect_body "as a Bindle keyring in TOML" 'version = "1.0"'
req GET '/bindle-keys?roles=creator,approver' -H 'Accept: application/json'
check "roles=creator,approver lists no host key" bash -c "! grep -q '\"key\":\"' '$BODY'"
req GET '/bindle-keys?roles=host' -H 'Accept: application/json'
check "roles=host lists it" grep -qF "$HOSTKEY" "$BODY"
req GET '/bindle-keys?roles=pilot'
expect_error "an unknown role is 400" 400 "pilot"

req POST /_i -H 'Accept: application/json' --data-binary @"$S/invoice.toml"
expect_status "create valid_v1" 202
expect_body "the creator signature is kept" '"signature":"1oKW+2RXsE/lSXy3y+0MKKZDhnPModgTxfKuMSMMnVEZlgENIE9qOMTUrQga0QxSiAZiFH15fYkcveC8up8FDA=="'
hostsig=$(grep -o '{"by":"[^"]*","signature":"[^"]*","key":"[^"]*","role":"host","at":[0-9]*}' "$BODY")
check "a host signature was added" test -n "$hostsig"
BY=$(printf '%s' "$hostsig" | cut -d'"' -f4)
SIG=$(printf '%s' "$hostsig" | cut -d'"' -f8)
KEY=$(printf '%s' "$hostsig" | cut -d'"' -f12)
check "by the key /v1/bindle-keys serves" test "$KEY" = "$HOSTKEY"
printf '%s\n%s\n%s\n%s\n~\n%s' "$BY" enterprise.com/warpcore 1.0.0 host "$CHIP" >"$TMP/clear"
check "openssl verifies the host signature over Bindle's cleartext" ed_verify "$KEY" "$SIG" "$TMP/clear"
printf '%s\n%s\n%s\n%s\n~\n%s' "$BY" enterprise.com/warpcore 9.9.9 host "$CHIP" >"$TMP/forged"
check "and refuses it for another version" not ed_verify "$KEY" "$SIG" "$TMP/forged"
req GET /_i/enterprise.com/warpcore/1.0.0 -H 'Accept: application/json'
check "the stored invoice carries the same host signature" grep -qF "$SIG" "$BODY"

# Posting back an invoice this host already signed (say, as a new version)
sed 's/version = "1.0.0"/version = "1.0.1"/' "$S/invoice.toml" >"$TMP/v101.toml"
req GET /_i/enterprise.com/warpcore/1.0.0
sed 's/version = "1.0.0"/version = "1.0.1"/' "$BODY" >"$TMP/resigned.toml"
req POST /_i --data-binary @"$TMP/resigned.toml"
expect_error "an invoice already signed by this host key is refused" 400 "host key"

req DELETE '/_i/enterprise.com/warpcore/1.0.0?reason=breach' -H 'Accept: application/json'
expect_status "yank" 200
req GET '/_i/enterprise.com/warpcore/1.0.0?yanked=true' -H 'Accept: application/json'
ysig=$(grep -o '"yanked_signature":\[{"by":"[^"]*","signature":"[^"]*","key":"[^"]*","role":"host","at":[0-9]*}' "$BODY")
check "the yank is signed by the host" test -n "$ysig"
YSIG=$(printf '%s' "$ysig" | cut -d'"' -f10)
YAT=$(printf '%s' "$ysig" | grep -o '"at":[0-9]*' | cut -d: -f2)
printf '%s\n%s\n%s\nhost\n%s\ntrue\n~\nbreach' "$BY" enterprise.com/warpcore 1.0.0 "$YAT" >"$TMP/yclear"
check "openssl verifies the yank signature, reason and time included" ed_verify "$HOSTKEY" "$YSIG" "$TMP/yclear"

check "stops cleanly" stop_wharfd
start_wharfd || exit 1
req GET /bindle-keys -H 'Accept: application/json'
check "a restart keeps the same host key" test "$(json_field key)" = "$HOSTKEY"
check "stops cleanly again" stop_wharfd

chmod 0644 "$DATA/host_key.toml"
"$WHARFD" --listen 127.0.0.1:0 --data "$DATA" 2>"$TMP/loose.log"
check "a host key file others can read stops wharfd" test $? -ne 0
check "with a message naming the file" grep -q "host_key.toml" "$TMP/loose.log"

finish
