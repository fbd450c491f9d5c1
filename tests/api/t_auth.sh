#!/usr/bin/env bash
# Who may publish, yank and read (docs/security.md): tokens made by
# `wharfd token`, their scopes, revocation and expiry; HTTP Basic with the
# fixture htpasswd (bcrypt) and with a token as the password; private reads;
# and --auth none refused off loopback.  Signatures are not checked here
# (--verify none): t_trust.sh covers them.
. "$(dirname "$0")/lib.sh"

S="$FIX/scaffolds/valid_v1"
CHIP=23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5

write_invoice() {
  printf 'bindleVersion = "1.0.0"\n\n[bindle]\nname = "%s"\nversion = "%s"\n\n[[parcel]]\n[parcel.label]\nsha256 = "%s"\nmediaType = "text/plain"\nname = "chip.txt"\nsize = 9\n' \
    "$2" "$3" "$CHIP" >"$1"
}
token() { "$WHARFD" token "$@" --data "$DATA" 2>"$TMP/token.err"; }
# as TOKEN METHOD PATH [CURL ARGS]: a request with a bearer token.
as() { local t=$1; shift; req "$@" -H "Authorization: Bearer $t"; }
has_challenge() { grep -qi '^WWW-Authenticate: Bearer' "$HDRS" && grep -qi '^WWW-Authenticate: Basic' "$HDRS"; }

DATA="$TMP/data"
PUSH=$(token create --scopes 'push:example.com/* yank:example.com/app' --description "CI")
check "token create prints one token" bash -c "[[ '$PUSH' =~ ^wht_[0-9a-f]{16}_[0-9a-f]{64}$ ]]"
check "and says it is shown only once" grep -q "shown only this once" "$TMP/token.err"
PUSHID=$(printf '%s' "$PUSH" | cut -d_ -f2)
ANY=$(token create --scopes 'push:*')
ANYID=$(printf '%s' "$ANY" | cut -d_ -f2)
check "a bad scope is refused" not token create --scopes 'publish:*'
check "naming it" grep -q "publish" "$TMP/token.err"
check "so is a missing --scopes" not token create

TRUST=1 start_wharfd --verify none --htpasswd "$FIX/htpasswd" || exit 1
write_invoice "$TMP/app.toml" example.com/app 1.0.0
write_invoice "$TMP/other.toml" other.org/app 1.0.0

req POST /_i --data-binary @"$TMP/app.toml"
expect_error "a push without credentials is 401" 401 "credentials"
check "with Bearer and Basic challenges" has_challenge
as "wht_nonsense" POST /_i --data-binary @"$TMP/app.toml"
expect_error "a malformed token is 401" 401 "malformed"
as "wht_${PUSHID}_$(printf '0%.0s' $(seq 64))" POST /_i --data-binary @"$TMP/app.toml"
expect_error "a token with the wrong secret is 401" 401 "not valid"
as "$PUSH" POST /_i --data-binary @"$TMP/other.toml"
expect_error "a token without the scope for that name is 403" 403 "may not push to other.org/app"
req GET /_i/other.org/app/1.0.0
expect_status "and nothing was stored" 404
as "$PUSH" POST /_i --data-binary @"$TMP/app.toml"
expect_status "a token with push:example.com/* publishes example.com/app" 202

req POST "/_i/example.com/app/1.0.0@$CHIP" --data-binary @"$S/parcels/parcel.dat"
expect_error "a parcel upload without credentials is 401" 401
as "$ANY" POST "/_i/example.com/app/1.0.0@$CHIP" --data-binary @"$S/parcels/parcel.dat"
expect_status "push:* may upload it" 200
req GET /_i/example.com/app/1.0.0
expect_status "reads are anonymous by default" 200
req GET "/_i/example.com/app/1.0.0@$CHIP"
expect_status "parcels too" 200

as "$ANY" DELETE /_i/example.com/app/1.0.0
expect_error "push:* may not yank" 403 "may not yank example.com/app"
req DELETE /_i/example.com/app/1.0.0
expect_error "nor may anyone anonymous" 401
as "$PUSH" DELETE /_i/example.com/app/1.0.0
expect_status "yank:example.com/app may" 200

# Basic: the fixture htpasswd (admin / sw0rdf1sh, bcrypt), and tokens as passwords.
write_invoice "$TMP/basic.toml" basic.org/app 1.0.0
req POST /_i -u admin:wrong --data-binary @"$TMP/basic.toml"
expect_error "Basic with a wrong password is 401" 401 "wrong user name or password"
req POST /_i -u nobody:sw0rdf1sh --data-binary @"$TMP/basic.toml"
expect_error "Basic with an unknown user is 401 with the same message" 401 "wrong user name or password"
req POST /_i -u admin:sw0rdf1sh --data-binary @"$TMP/basic.toml"
expect_status "Basic admin:sw0rdf1sh from the fixture htpasswd publishes" 201
# A body that streams in after the bcrypt check ran off the event thread.
head -c 300000 /dev/urandom >"$TMP/blob"
BLOB=$(sha256sum "$TMP/blob" | cut -d' ' -f1)
sed "s/$CHIP/$BLOB/; s/size = 9/size = 300000/; s#basic.org/app#basic.org/big#" "$TMP/basic.toml" >"$TMP/big.toml"
req POST /_i -u admin:sw0rdf1sh --data-binary @"$TMP/big.toml"
expect_status "Basic: an invoice with a new parcel" 202
req POST "/_i/basic.org/big/1.0.0@$BLOB" -u admin:wrong --data-binary @"$TMP/blob"
expect_error "Basic with a wrong password may not upload" 401
req POST "/_i/basic.org/big/1.0.0@$BLOB" -u admin:sw0rdf1sh --data-binary @"$TMP/blob"
expect_status "Basic uploads a 300 kB parcel" 200
curl -s -o "$TMP/blob.back" "$URL/_i/basic.org/big/1.0.0@$BLOB"
check "which reads back byte for byte" cmp -s "$TMP/blob" "$TMP/blob.back"
write_invoice "$TMP/basic2.toml" example.com/viabasic 1.0.0
req POST /_i -u "ci:$PUSH" --data-binary @"$TMP/basic2.toml"
expect_status "Basic with a token as the password works as the token" 201
req POST /_i -H 'Authorization: Digest foo' --data-binary @"$TMP/basic2.toml"
expect_error "another scheme is 401" 401 "Bearer or Basic"

# Revocation and expiry.
check "token revoke" token revoke "$ANYID"
write_invoice "$TMP/after.toml" example.com/after 1.0.0
as "$ANY" POST /_i --data-binary @"$TMP/after.toml"
expect_error "a revoked token is 401 at once (no restart)" 401 "revoked"
SHORT=$(token create --scopes 'push:*' --expires 1s)
sleep 2.1
as "$SHORT" POST /_i --data-binary @"$TMP/after.toml"
expect_error "an expired token is 401" 401 "expired"
check "an unknown id cannot be revoked" not token revoke 0000000000000000
token list >"$TMP/list"
check "token list shows each token's state" bash -c "grep -q '$ANYID.*revoked' '$TMP/list' && grep -q '$PUSHID.*active.*push:example.com/\* yank:example.com/app / CI' '$TMP/list' && grep -q 'expired' '$TMP/list'"
SECRET=${PUSH##*_}
check "no token secret is in the listing" not grep -q "$SECRET" "$TMP/list"
# grep -r exits 1 when it read everything and found nothing (2 on errors).
check "nor anywhere in the data directory" bash -c "test -s '$DATA/wharf.db'; grep -rq '$SECRET' '$DATA'; test \$? -eq 1"
stop_wharfd || fail "clean stop"

# Private reads.
READ=$(token create --scopes 'read:example.com/*')
TRUST=1 start_wharfd --verify none --read-auth token || exit 1
req GET /_i/example.com/viabasic/1.0.0
expect_error "--read-auth token: an anonymous read is 401" 401
as "$PUSH" GET /_i/example.com/viabasic/1.0.0
expect_error "a token without read scope is 403" 403 "may not read example.com/viabasic"
as "$PUSH" GET /_i/example.com/nothing-here/1.0.0
expect_error "and the same for a bindle that does not exist" 403 "may not read example.com/nothing-here"
as "$READ" GET /_i/example.com/viabasic/1.0.0
expect_status "read:example.com/* reads it" 200
as "$READ" GET /_i/basic.org/app/1.0.0
expect_error "but not another name" 403
as "$READ" GET '/_q?l=50' -H 'Accept: application/json'
expect_status "a search with read:example.com/*" 200
check "shows only names it may read" bash -c "grep -q 'example.com/viabasic' '$BODY' && ! grep -q 'basic.org' '$BODY'"
check "and counts only those in total" grep -q '"total":1,' "$BODY"
req GET /_q
expect_error "an anonymous search is 401" 401
req GET /healthz
expect_status "healthz stays open" 200
req GET /bindle-keys
expect_status "and so do the host keys" 200
stop_wharfd || fail "clean stop"

check "--auth none off loopback is refused at start" \
  bash -c "! '$WHARFD' --listen 0.0.0.0:0 --data '$TMP/d2' --auth none 2>'$TMP/err'"
check "saying why" grep -q "loopback" "$TMP/err"
finish
