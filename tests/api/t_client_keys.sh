#!/usr/bin/env bash
# The client's offline commands: `wharf keys` (create, list, add, export),
# `wharf sign` and `wharf verify` on local invoices, where settings come
# from, exit statuses and --json.  No server is started.  Signatures that
# wharf makes are checked with the openssl command against the cleartext of
# SPEC.md section 2, never with wharf itself.
. "$(dirname "$0")/lib.sh"

: "${WHARF:?set WHARF to the wharf binary}"
S="$FIX/scaffolds/valid_v1"
CHIP=23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5
STARFLEET=Kcs1TSFDkN+dED0Y6Np0fPBqmvUz0EAULIlUsnlU1sw=

# Every wharf run below sees only this test's home and config directory.
export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/home/config"
unset WHARF_URL WHARF_TOKEN WHARF_KEYS
mkdir -p "$HOME"
CFG="$XDG_CONFIG_HOME/wharf"
OUT="$TMP/out" ERR="$TMP/err"

# w ARGS...: runs wharf; sets RC, with stdout in $OUT and stderr in $ERR.
w() { "$WHARF" "$@" >"$OUT" 2>"$ERR"; RC=$?; }
not() { ! "$@"; }
is_json() { python3 -c 'import json,sys; json.load(sys.stdin)' <"$OUT"; }
# json_get EXPR: evaluates a Python expression over the JSON document `d` in OUT.
json_get() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)" <"$OUT"; }
# expect_rc NAME CODE [TEXT]: RC is CODE and stderr mentions TEXT.
expect_rc() {
  local name=$1 code=$2 text=${3:-}
  if [ "$RC" != "$code" ]; then
    fail "$name" "exit $RC, expected $code; stderr: $(head -c 300 "$ERR")"
  elif [ -n "$text" ] && ! grep -qiF -- "$text" "$ERR"; then
    fail "$name" "stderr lacks '$text': $(head -c 300 "$ERR")"
  else
    pass "$name"
  fi
}

# ed_verify KEY_B64 SIG_B64 MESSAGE_FILE: an Ed25519 check by openssl.
ed_verify() {
  # An Ed25519 SubjectPublicKeyInfo is this fixed 12-byte DER prefix + the key.
  { printf '\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00'; printf '%s' "$1" | base64 -d; } >"$TMP/pub.der"
  openssl pkey -pubin -inform DER -in "$TMP/pub.der" -out "$TMP/pub.pem" 2>/dev/null || return 1
  printf '%s' "$2" | base64 -d >"$TMP/sig.bin"
  openssl pkeyutl -verify -pubin -inkey "$TMP/pub.pem" -rawin -in "$3" -sigfile "$TMP/sig.bin" >/dev/null 2>&1
}
# sig_field FILE N FIELD: a field of the N-th [[signature]] of a TOML invoice,
# read with Python's own TOML parser.
sig_field() {
  python3 -c 'import sys,tomllib; print(tomllib.load(open(sys.argv[1],"rb"))["signature"][int(sys.argv[2])][sys.argv[3]])' "$1" "$2" "$3"
}

# ---- keys create / list ----
w keys create --label "Alice <alice@example.com>"
expect_rc "keys create succeeds" 0
check "it writes the secret-key file under XDG_CONFIG_HOME" test -f "$CFG/secret_keys.toml"
check "with mode 0600" test "$(stat -c %a "$CFG/secret_keys.toml")" = 600
check "in a directory with mode 0700" test "$(stat -c %a "$CFG")" = 700
check "and says where the file is" grep -qF "$CFG/secret_keys.toml" "$OUT"
ALICE=$(sed -n 's/^public key: *//p' "$OUT")
check "it prints a 32-byte public key" test "$(printf '%s' "$ALICE" | base64 -d | wc -c)" -eq 32
check "the file holds that key's keypair" \
  test "$(python3 -c 'import sys,tomllib,base64; print(base64.b64encode(base64.b64decode(tomllib.load(open(sys.argv[1],"rb"))["key"][0]["keypair"])[32:]).decode())' "$CFG/secret_keys.toml")" = "$ALICE"

w keys list
expect_rc "keys list succeeds" 0
check "keys list shows the key" grep -qF "$ALICE" "$OUT"
check "with its label and role" grep -qE "creator +Alice <alice@example.com>" "$OUT"

w keys create --label "Alice <alice@example.com>"
expect_rc "a second key with the same label is refused" 1 "already holds a key labelled"
w keys create --json --role approver --role proxy
expect_rc "keys create --json succeeds" 0
check "its --json output parses" is_json
check "it carries the roles asked for" test "$(json_get '",".join(d["roles"])')" = "approver,proxy"
check "and the default label \$USER@hostname" test "$(json_get 'd["label"]')" = "${USER:-$(id -un)}@$(python3 -c 'import socket; print(socket.gethostname())')"
APPROVER=$(json_get 'd["key"]')
w keys list --json
check "keys list --json parses" is_json
check "and lists both signing keys" test "$(json_get 'len(d["signing"]["keys"])')" = 2

# ---- export, and add --from on another account ----
w keys export --label "Alice <alice@example.com>"
expect_rc "keys export succeeds" 0
cp "$OUT" "$TMP/alice.keyring.toml"
check "it is a Bindle keyring" grep -q '^version = "1.0"' "$TMP/alice.keyring.toml"
check "with Alice's key and a labelSignature" \
  test "$(python3 -c 'import sys,tomllib; k=tomllib.load(open(sys.argv[1],"rb"))["key"]; print(len(k), k[0]["key"], len(k[0]["labelSignature"]))' "$TMP/alice.keyring.toml")" = "1 $ALICE 88"
printf '%s' "Alice <alice@example.com>" >"$TMP/label"
check "whose labelSignature openssl verifies over the label" ed_verify "$ALICE" \
  "$(python3 -c 'import sys,tomllib; print(tomllib.load(open(sys.argv[1],"rb"))["key"][0]["labelSignature"])' "$TMP/alice.keyring.toml")" \
  "$TMP/label"
check "and no secret" not grep -q keypair "$TMP/alice.keyring.toml"
w keys export --json
check "keys export --json parses" is_json

BOB_HOME="$TMP/bob"
w_bob() { HOME="$BOB_HOME" XDG_CONFIG_HOME="$BOB_HOME/config" w "$@"; }
w_bob keys add --from "$TMP/alice.keyring.toml"
expect_rc "another user's keys add --from accepts the export" 0
w_bob keys list
check "and then lists Alice's key as trusted" grep -qF "$ALICE" "$OUT"
w_bob keys add --from "$TMP/alice.keyring.toml"
expect_rc "adding the same keyring again changes nothing and succeeds" 0
sed 's/^label = "Alice/label = "Mallory/' "$TMP/alice.keyring.toml" >"$TMP/forged.keyring.toml"
w_bob keys add --from "$TMP/forged.keyring.toml"
expect_rc "a keyring entry whose label was changed is refused" 1 "labelSignature"

# ---- sign, then verify, then openssl ----
cp "$S/invoice.toml" "$TMP/inv.toml"
w sign "$TMP/inv.toml" --label "Alice <alice@example.com>"
expect_rc "sign succeeds" 0
check "the invoice now has two signatures" \
  test "$(python3 -c 'import sys,tomllib; print(len(tomllib.load(open(sys.argv[1],"rb"))["signature"]))' "$TMP/inv.toml")" = 2
check "the fixture's signature is kept" grep -qF 1oKW+2RXsE/lSXy3y+0MKKZDhnPModgTxfKuMSMMnVEZlgENIE9qOMTUrQga0QxSiAZiFH15fYkcveC8up8FDA== "$TMP/inv.toml"
check "no temporary file is left beside it" test "$(ls "$TMP" | grep -c 'inv.toml.tmp')" = 0
check "the new signature is by Alice's key" test "$(sig_field "$TMP/inv.toml" 1 key)" = "$ALICE"
check "as a creator" test "$(sig_field "$TMP/inv.toml" 1 role)" = creator
printf '%s\n%s\n%s\n%s\n~\n%s' "Alice <alice@example.com>" enterprise.com/warpcore 1.0.0 creator "$CHIP" >"$TMP/clear"
check "openssl verifies it over Bindle's cleartext" ed_verify "$ALICE" "$(sig_field "$TMP/inv.toml" 1 signature)" "$TMP/clear"
printf '%s\n%s\n%s\n%s\n~\n%s' "Alice <alice@example.com>" enterprise.com/warpcore 1.0.0 approver "$CHIP" >"$TMP/clear2"
check "and refuses it for another role" not ed_verify "$ALICE" "$(sig_field "$TMP/inv.toml" 1 signature)" "$TMP/clear2"

w verify "$TMP/inv.toml" --strategy 'MultipleAttestation[Creator]'
expect_rc "verify with your own key (and no keyring) fails on the unknown fixture key" 1 "unknown key"
w keys add "Starfleet Command <starfleet@ufp.com>" "$STARFLEET"
expect_rc "keys add LABEL KEY succeeds" 0
check "it writes the keyring" grep -qF "$STARFLEET" "$CFG/keyring.toml"
w verify "$TMP/inv.toml"
expect_rc "sign then verify passes" 0
check "verify prints both signatures as verified" test "$(grep -c '^ *verified ' "$OUT")" = 2
w verify --json "$TMP/inv.toml"
check "verify --json parses" is_json
check "and says verified" test "$(json_get 'd["verified"]')" = True

w sign "$TMP/inv.toml" --label "Alice <alice@example.com>"
expect_rc "signing twice with the same key fails, naming the key" 1 "Alice <alice@example.com>"
w sign "$TMP/inv.toml" --role approver -o "$TMP/approved.toml" --json
expect_rc "sign --role approver -o OUT picks the approver key" 0
check "sign --json parses" is_json
check "the approver signature is in OUT" test "$(sig_field "$TMP/approved.toml" 2 key)" = "$APPROVER"
check "and the input is left alone" test "$(grep -c '^\[\[signature\]\]' "$TMP/inv.toml")" = 2
w verify "$TMP/approved.toml" --strategy 'MultipleAttestation[Creator,Approver]'
expect_rc "MultipleAttestation[Creator,Approver] passes on it" 0

sed 's/^version = "1.0.0"/version = "1.0.1"/' "$TMP/inv.toml" >"$TMP/tampered.toml"
w verify "$TMP/tampered.toml"
expect_rc "a tampered invoice (version changed) fails verification" 1 "does not verify"
check "and verify shows the signatures as invalid" grep -q '^ *invalid ' "$OUT"

# A JSON invoice is read, and written back as TOML.
python3 -c 'import json,sys,tomllib; d=tomllib.load(open(sys.argv[1],"rb")); d.pop("signature"); json.dump(d,open(sys.argv[2],"w"))' "$S/invoice.toml" "$TMP/unsigned.json"
w sign "$TMP/unsigned.json" -o "$TMP/from-json.toml" --label "Alice <alice@example.com>"
expect_rc "sign reads a JSON invoice" 0
check "and writes TOML" grep -q '^bindleVersion = "1.0.0"' "$TMP/from-json.toml"
w verify "$TMP/from-json.toml"
expect_rc "which verifies" 0

# ---- the Bindle fixture ----
FRESH="$TMP/fresh"
w_fresh() { HOME="$FRESH" XDG_CONFIG_HOME="$FRESH/config" w "$@"; }
w_fresh verify "$S/invoice.toml"
expect_rc "the fixture invoice fails without its key, naming the unknown key" 1 "unknown key"
check "the message names the signer's key" grep -qF "$STARFLEET" "$ERR"
w_fresh keys add --from "$FIX/keyring.toml"
expect_rc "keys add --from the fixture keyring" 0
w_fresh verify "$S/invoice.toml"
expect_rc "then the fixture invoice verifies" 0
check "its signature shows as verified" test "$(grep -E '^ *verified +creator ' "$OUT" | grep -cF "$STARFLEET")" = 1

# ---- sign without any key ----
cp "$S/invoice.toml" "$TMP/inv2.toml"
w_fresh sign "$TMP/inv2.toml"
expect_rc "sign with no key at all succeeds" 0
check "after creating one" test -f "$FRESH/config/wharf/secret_keys.toml"
check "and saying so on stderr" grep -q "no signing key" "$ERR"

# ---- errors and usage ----
w verify "$TMP/nonexistent.toml"
expect_rc "a missing invoice exits 1, naming the file" 1 "$TMP/nonexistent.toml"
w sign "$TMP/nonexistent.toml"
expect_rc "sign of a missing invoice exits 1, naming the file" 1 "$TMP/nonexistent.toml"
w keys add --from "$TMP/nonexistent.toml"
expect_rc "keys add --from a missing keyring exits 1, naming the file" 1 "$TMP/nonexistent.toml"
w
expect_rc "no command is bad usage" 2
w frobnicate
expect_rc "an unknown command is bad usage" 2 "frobnicate"
w sign
expect_rc "sign without an invoice is bad usage" 2 "wharf help sign"
w keys create --role host
expect_rc "keys create --role host is bad usage" 2 "host"
w keys create --bogus
expect_rc "an unknown option is bad usage" 2 "--bogus"
w verify --strategy Sometimes "$TMP/inv.toml"
expect_rc "an unknown strategy is bad usage" 2 "strategy"
w keys add "Someone" not-base64
expect_rc "keys add with a malformed key is bad usage" 2 "public key"
w keys add "Someone" "$STARFLEET" --from "$FIX/keyring.toml"
expect_rc "keys add with both a key and --from is bad usage" 2
w keys add "Other name" "$STARFLEET"
expect_rc "trusting a key again under another label fails" 1 "already trusted"
w sign "$TMP/inv.toml" --label "Nobody"
expect_rc "sign --label with no such key fails" 1 "Nobody"
w help sign
check "help sign prints its usage" test "$RC" = 0 -a -n "$(grep 'usage: wharf sign' "$OUT")"
w keys add --help
check "keys add --help prints its usage" test "$RC" = 0 -a -n "$(grep 'usage: wharf keys add' "$OUT")"
w --json keys list
check "global flags work before the command" is_json

# ---- where settings come from ----
printf 'keys = "from-config.toml"\n' >"$CFG/config.toml"
w keys create --label conf
check "config.toml's keys (relative to its directory) is used" test -f "$CFG/from-config.toml"
WHARF_KEYS="$TMP/from-env.toml" w keys create --label env
check "env WHARF_KEYS beats config.toml" test -f "$TMP/from-env.toml"
check "and config's file is left alone" test "$(grep -c '^\[\[key\]\]' "$CFG/from-config.toml")" = 1
WHARF_KEYS="$TMP/from-env.toml" w keys create --label flag --keys "$TMP/flagdir/from-flag.toml"
check "a --keys flag beats env" test -f "$TMP/flagdir/from-flag.toml"
check "and env's file is left alone" test "$(grep -c '^\[\[key\]\]' "$TMP/from-env.toml")" = 1
check "a new directory for it is 0700" test "$(stat -c %a "$TMP/flagdir")" = 700
WHARF_KEYS="$TMP/from-env.toml" w --json keys list
check "keys list reads the file env names" test "$(json_get 'd["signing"]["file"]')" = "$TMP/from-env.toml"

printf 'sever = "http://example.com/v1"\n' >"$CFG/config.toml"
w keys list
expect_rc "an unknown config setting is refused, naming the file" 1 "$CFG/config.toml"
printf 'token = "s3cret"\n' >"$CFG/config.toml"
chmod 0644 "$CFG/config.toml"
w keys list
expect_rc "a config file with a token that others can read is refused" 1 "chmod 600"
chmod 0600 "$CFG/config.toml"
w keys list
expect_rc "and accepted once it is 0600" 0
rm -f "$CFG/config.toml"

chmod 0644 "$CFG/secret_keys.toml"
w keys list
expect_rc "a secret-key file others can read is refused, naming it" 1 "$CFG/secret_keys.toml"
chmod 0600 "$CFG/secret_keys.toml"

finish
