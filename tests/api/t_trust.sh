#!/usr/bin/env bash
# Signature checks on publish and namespace keys (SPEC.md section 2,
# docs/security.md): the default strategy, trust on first use of a name,
# a second key trying to take a name over, operators binding and unbinding
# keys, a server keyring, --new-names keyring and other strategies.
# Signatures are made with the openssl command (sign.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sign.sh"

S="$FIX/scaffolds"
CHIP=23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5

# write_invoice FILE NAME VERSION: an unsigned invoice with one parcel.
write_invoice() {
  printf 'bindleVersion = "1.0.0"\n\n[bindle]\nname = "%s"\nversion = "%s"\n\n[[parcel]]\n[parcel.label]\nsha256 = "%s"\nmediaType = "text/plain"\nname = "chip.txt"\nsize = 9\n' \
    "$2" "$3" "$CHIP" >"$1"
}
post() { req POST /_i -H 'Content-Type: application/toml' --data-binary @"$1"; }
admin() { "$WHARFD" "$@" --data "$DATA" >"$TMP/admin.out" 2>"$TMP/admin.err"; }

new_key mallory
new_key alice
new_key approver

TRUST=1 start_wharfd --auth none || exit 1

write_invoice "$TMP/unsigned.toml" example.com/app 1.0.0
post "$TMP/unsigned.toml"
expect_error "an unsigned invoice is refused by the default strategy" 400 "signature check (CreativeIntegrity) failed"
req GET /_i/example.com/app/1.0.0
expect_status "and nothing was stored" 404

post "$S/valid_v1/invoice.toml"
expect_status "Bindle's signed valid_v1 is accepted (its key claims the new name)" 202
check "wharfd keys list shows the name bound to the fixture key" \
  bash -c "'$WHARFD' keys list enterprise.com/warpcore --data '$DATA' | grep -q 'Kcs1TSFDkN+dED0Y6Np0fPBqmvUz0EAULIlUsnlU1sw=.*Starfleet Command'"
post "$S/valid_v2/invoice.toml"
expect_status "valid_v2, by the bound key, is accepted" 202

sed 's/version = "2.0.0"/version = "2.0.1"/' "$S/valid_v2/invoice.toml" >"$TMP/tampered.toml"
post "$TMP/tampered.toml"
expect_error "a signed invoice with its version changed fails the check" 400 "signature"

write_invoice "$TMP/takeover.toml" enterprise.com/warpcore 3.0.0
sign_invoice "$TMP/takeover.toml" mallory "Mallory <m@evil.example>" creator
post "$TMP/takeover.toml"
expect_error "a second key cannot publish under a bound name" 400 "enterprise.com/warpcore is bound to 1 key"
req GET /_i/enterprise.com/warpcore/3.0.0
expect_status "and nothing was stored" 404

write_invoice "$TMP/mine.toml" mallory.example/tool 1.0.0
sign_invoice "$TMP/mine.toml" mallory "Mallory <m@evil.example>" creator
post "$TMP/mine.toml"
expect_status "the same key may claim a name nobody holds" 202

write_invoice "$TMP/twice.toml" example.com/twice 1.0.0
sign_invoice "$TMP/twice.toml" alice "Alice" creator
sign_invoice "$TMP/twice.toml" alice "Alice" approver
post "$TMP/twice.toml"
expect_error "a key that signs twice is refused" 400 "already signed"

write_invoice "$TMP/badsig.toml" example.com/badsig 1.0.0
sign_invoice "$TMP/badsig.toml" alice "Alice" creator
sed -i 's/^by = "Alice"/by = "Alice2"/' "$TMP/badsig.toml"
post "$TMP/badsig.toml"
expect_error "a signature whose signer label was changed fails" 400 "Alice2"

# Operators: bind a second key, then unbind it.
check "wharfd keys add binds a key" admin keys add enterprise.com/warpcore "$(pub_b64 mallory)" --label "Mallory (approved)"
post "$TMP/takeover.toml"
expect_status "after which that key may publish under the name" 202
check "wharfd keys add refuses a key bound already" not admin keys add enterprise.com/warpcore "$(pub_b64 mallory)"
check "wharfd keys remove unbinds it" admin keys remove enterprise.com/warpcore "$(pub_b64 mallory)"
write_invoice "$TMP/takeover2.toml" enterprise.com/warpcore 3.0.1
sign_invoice "$TMP/takeover2.toml" mallory "Mallory <m@evil.example>" creator
post "$TMP/takeover2.toml"
expect_error "and after that it may not again" 400 "bound to 1 key"
check "removing a key not bound fails with a message" not admin keys remove enterprise.com/warpcore "$(pub_b64 alice)"
check "saying so" grep -q "not bound" "$TMP/admin.err"
check "a bad key is refused naming it" not admin keys add example.com/x "not-a-key"
check "as neither key nor keyring file" grep -q "neither a base64 Ed25519 public key" "$TMP/admin.err"
check "wharfd keys list of every name lists both claimed names" \
  bash -c "'$WHARFD' keys list --data '$DATA' | grep -c '' | grep -qx 2"

# Removing a name's last key (say, it leaked) does not reopen the name.
check "wharfd keys remove of the name's only key" admin keys remove mallory.example/tool "$(pub_b64 mallory)"
write_invoice "$TMP/grab.toml" mallory.example/tool 2.0.0
sign_invoice "$TMP/grab.toml" alice "Alice" creator
post "$TMP/grab.toml"
expect_error "another key cannot claim a name that has versions but no keys" 400 "no bound keys"
write_invoice "$TMP/grab2.toml" mallory.example/tool 2.0.0
sign_invoice "$TMP/grab2.toml" mallory "Mallory <m@evil.example>" creator
post "$TMP/grab2.toml"
expect_error "nor can the removed key" 400 "no bound keys"
stop_wharfd || fail "clean stop"

# A name published while nothing was checked is not up for grabs later.
DATA="$TMP/data0" start_wharfd || exit 1
write_invoice "$TMP/legacy.toml" legacy.org/app 1.0.0
post "$TMP/legacy.toml"
expect_status "--verify none publishes an unsigned invoice" 202
stop_wharfd || fail "clean stop"
DATA="$TMP/data0" TRUST=1 start_wharfd --auth none || exit 1
write_invoice "$TMP/legacy2.toml" legacy.org/app 2.0.0
sign_invoice "$TMP/legacy2.toml" mallory "Mallory" creator
post "$TMP/legacy2.toml"
expect_error "with checks on, a first signed version cannot claim that name" 400 "no bound keys"
DATA="$TMP/data0" check "until an operator binds a key" admin keys add legacy.org/app "$(pub_b64 mallory)"
post "$TMP/legacy2.toml"
expect_status "after which that key publishes it" 202
stop_wharfd || fail "clean stop"

# A server keyring: its keys may publish under any name, and with
# --new-names keyring only they may claim new names.
printf 'version = "1.0"\n\n[[key]]\nlabel = "Alice"\nroles = ["creator"]\nkey = "%s"\n' "$(pub_b64 alice)" >"$TMP/keyring.toml"
DATA="$TMP/data2" TRUST=1 start_wharfd --auth none --keyring "$TMP/keyring.toml" --new-names keyring || exit 1
write_invoice "$TMP/newname.toml" example.org/new 1.0.0
sign_invoice "$TMP/newname.toml" mallory "Mallory" creator
post "$TMP/newname.toml"
expect_error "--new-names keyring: an unknown key may not claim a new name" 400 "signature"
write_invoice "$TMP/alice.toml" example.org/new 1.0.0
sign_invoice "$TMP/alice.toml" alice "Alice" creator
post "$TMP/alice.toml"
expect_status "a keyring key may" 202
post "$S/valid_v1/invoice.toml"
expect_error "the fixture key is unknown to this server" 400 "signature"
stop_wharfd || fail "clean stop"

# Another strategy: creator and approver both needed.
DATA="$TMP/data3" TRUST=1 start_wharfd --auth none --verify 'MultipleAttestation[Creator, Approver]' || exit 1
write_invoice "$TMP/ma.toml" example.net/ma 1.0.0
sign_invoice "$TMP/ma.toml" alice "Alice" creator
post "$TMP/ma.toml"
expect_error "MultipleAttestation[Creator,Approver] refuses a creator-only invoice" 400 "approver"
stop_wharfd || fail "clean stop"

check "--verify with an unknown strategy is refused at start" \
  bash -c "! '$WHARFD' --listen 127.0.0.1:0 --data '$TMP/d4' --verify Sometimes 2>'$TMP/err'"
check "naming the setting" grep -q "verify" "$TMP/err"
check "--new-names keyring without a keyring is refused" \
  bash -c "! '$WHARFD' --listen 127.0.0.1:0 --data '$TMP/d4' --new-names keyring 2>/dev/null"
finish
