#!/usr/bin/env bash
# Trusting a registry: `wharf keys fetch` (the server's host keys, shown by
# fingerprint, added to the keyring once) and `wharf verify NAME/VERSION`
# (a published release checked as a local invoice is, plus its host
# signature against the host keys the user trusts).  Fingerprints are
# computed here with base64 and sha256sum, never with wharf's code.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sign.sh"

: "${WHARF:?set WHARF to the wharf binary}"
S="$FIX/scaffolds/valid_v1"
CHIP=23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5
ID=enterprise.com/warpcore/1.0.0

export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/config" XDG_CACHE_HOME="$TMP/cache"
unset WHARF_URL WHARF_TOKEN WHARF_KEYS
mkdir -p "$HOME"
KEYRING="$XDG_CONFIG_HOME/wharf/keyring.toml"
OUT="$TMP/out" ERR="$TMP/err"

# w ARGS...: runs wharf against this server with stdin not a terminal;
# sets RC, with stdout in $OUT and stderr in $ERR.
w() { "$WHARF" --server "$URL" "$@" </dev/null >"$OUT" 2>"$ERR"; RC=$?; }
is_json() { python3 -c 'import json,sys; json.load(sys.stdin)' <"$OUT"; }
json_get() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)" <"$OUT"; }
expect_rc() {
  local name=$1 code=$2 text=${3:-}
  if [ "$RC" != "$code" ]; then
    fail "$name" "exit $RC, expected $code; stderr: $(head -c 400 "$ERR")"
  elif [ -n "$text" ] && ! grep -qiF -- "$text" "$ERR"; then
    fail "$name" "stderr lacks '$text': $(head -c 400 "$ERR")"
  else
    pass "$name"
  fi
}
# The keys of a keyring file, one per line, sorted (Python's TOML parser).
keyring_keys() {
  python3 -c 'import sys,tomllib; [print(k["key"]) for k in tomllib.load(open(sys.argv[1],"rb")).get("key",[])]' "$1" | sort
}
# sig_line STATE ROLE KEY: verify printed a signature line with these
# (keys hold '+' and '/', so they are matched as fixed strings).
sig_line() { grep -E "^ *$1 +$2 " "$OUT" | grep -qF " $3 "; }
# host_key: the key /v1/bindle-keys lists, read by curl and Python.
host_key() {
  curl -sS -H 'Accept: application/json' "$URL/bindle-keys" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["key"][0]["key"])'
}
# fingerprint KEY_B64: the first 16 bytes of the SHA-256 of the raw key,
# hex, in groups of four digits joined by ':'.
fingerprint() {
  printf '%s' "$1" | base64 -d | sha256sum | cut -c1-32 | sed 's/..../&:/g; s/:$//'
}
# publish: posts valid_v1 and its parcel with curl.
publish() {
  req POST /_i -H 'Content-Type: application/toml' --data-binary @"$S/invoice.toml"
  [ "$STATUS" = 202 ] || return 1
  req POST "/_i/$ID@$CHIP" --data-binary @"$S/parcels/parcel.dat"
  [ "$STATUS" = 200 ]
}

start_wharfd || exit 1
check "publish valid_v1 with curl" publish
HOSTKEY=$(host_key)
FP=$(fingerprint "$HOSTKEY")
check "the server lists a 32-byte host key" test "$(printf '%s' "$HOSTKEY" | base64 -d | wc -c)" -eq 32

# ---- keys fetch ----
w keys fetch
expect_rc "keys fetch without --yes, stdin not a terminal: exit 2" 2 "--yes"
check "and it trusts nothing" test ! -e "$KEYRING"
check "but it shows the fingerprint first" grep -qF "$FP" "$OUT"

w keys fetch --yes
expect_rc "keys fetch --yes succeeds" 0
check "it adds the host key /v1/bindle-keys lists to the keyring" \
  test "$(keyring_keys "$KEYRING")" = "$HOSTKEY"
check "with the host role only" \
  python3 -c 'import sys,tomllib; k=tomllib.load(open(sys.argv[1],"rb"))["key"][0]; assert k["roles"]==["host"]' "$KEYRING"
check "labelled with the server it came from" grep -qF "(from $URL)" "$KEYRING"
check "it prints the fingerprint: SHA-256 of the raw key, grouped" grep -qE "fingerprint +$FP\$" "$OUT"
check "and the server URL" grep -qF "$URL" "$OUT"
check "the fingerprint is 8 groups of 4 hex digits" bash -c "[[ '$FP' =~ ^[0-9a-f]{4}(:[0-9a-f]{4}){7}$ ]]"

cp "$KEYRING" "$TMP/keyring.before"
w keys fetch --yes
expect_rc "keys fetch twice succeeds" 0
check "and is a no-op: the keyring is unchanged" cmp -s "$KEYRING" "$TMP/keyring.before"
check "saying the key is already trusted" grep -q "already trusted" "$OUT"
w keys fetch
expect_rc "with nothing new, stdin not a terminal needs no --yes" 0

# On a terminal (script(1) gives it one) wharf asks, and only a yes trusts.
export XDG_CONFIG_HOME="$TMP/tty"
printf 'n\n' | script -qec "'$WHARF' --server '$URL' keys fetch" /dev/null >"$OUT" 2>&1; RC=$?
check "on a terminal, wharf asks on stderr" grep -qF "trust these keys? [y/N]" "$OUT"
check "answering n exits 1" test "$RC" = 1
check "and trusts nothing" test ! -e "$XDG_CONFIG_HOME/wharf/keyring.toml"
printf 'y\n' | script -qec "'$WHARF' --server '$URL' keys fetch" /dev/null >"$OUT" 2>&1; RC=$?
check "answering y exits 0" test "$RC" = 0
check "and trusts the host key" test "$(keyring_keys "$XDG_CONFIG_HOME/wharf/keyring.toml")" = "$HOSTKEY"
export XDG_CONFIG_HOME="$TMP/config"

w --json keys fetch
expect_rc "keys fetch --json succeeds" 0
check "its output parses as JSON" is_json
check "it lists the host key" test "$(json_get 'd["keys"][0]["key"]')" = "$HOSTKEY"
check "with the same fingerprint" test "$(json_get 'd["keys"][0]["fingerprint"]')" = "$FP"
check "as already trusted, not added" test "$(json_get 'd["keys"][0]["state"], d["keys"][0]["added"], d["added"]')" = "already trusted False 0"

w keys fetch extra
expect_rc "keys fetch with an argument is bad usage" 2
w keys fetch --server http://127.0.0.1:1/v1 --yes
expect_rc "keys fetch from a dead server exits 1, naming it" 1 "127.0.0.1:1"

# A key first trusted as a creator gets the host role added, not a twin.
export XDG_CONFIG_HOME="$TMP/config2"
w keys add "Someone" "$HOSTKEY"
w keys fetch --yes --json
expect_rc "keys fetch of a key trusted in another role succeeds" 0
check "it adds the host role to that entry" test "$(json_get 'd["keys"][0]["state"]')" = "host role added"
check "and the keyring still holds the key once, as creator and host" \
  python3 -c 'import sys,tomllib; ks=tomllib.load(open(sys.argv[1],"rb"))["key"]; assert len(ks)==1 and ks[0]["roles"]==["creator","host"] and ks[0]["label"]=="Someone", ks' "$XDG_CONFIG_HOME/wharf/keyring.toml"
export XDG_CONFIG_HOME="$TMP/config"

# ---- verify NAME/VERSION ----
w verify "$ID"
expect_rc "verify NAME/VERSION fails (exit 1) without the creator key" 1 "unknown key"
check "the creator signature shows as untrusted" grep -qE '^ *untrusted +creator' "$OUT"
check "the host signature shows as verified" sig_line verified host "$HOSTKEY"

w keys add --from "$FIX/keyring.toml"
expect_rc "trust the fixture's creator key" 0
w verify "$ID"
expect_rc "verify NAME/VERSION passes with the creator and the host key trusted" 0
check "it says the host signature is trusted" grep -q "signed by a host key you trust" "$OUT"
w --json verify "$ID" --strategy GreedyVerification
expect_rc "verify --json --strategy GreedyVerification passes" 0
check "its output parses" is_json
check "and reports the host check" test "$(json_get 'd["verified"], d["host"]["ok"], d["host"]["verified"], d["file"]')" = "True True 1 None"

w verify enterprise.com/warpcore/9.9.9
expect_rc "verify of a release the server lacks exits 1" 1 "HTTP 404"
w verify "$TMP/no/such/file.toml"
expect_rc "a missing file path is still read as a file" 1 "$TMP/no/such/file.toml"
w verify "$S/invoice.toml"
expect_rc "a local file still verifies (no host check for files)" 0

# Only the creator key trusted, no host key: passes with a note.
export XDG_CONFIG_HOME="$TMP/config3"
w keys add --from "$FIX/keyring.toml"
w verify "$ID"
expect_rc "with no host key trusted, verify passes" 0 "wharf keys fetch"

# A key trusted only as a server's host key does not count as a creator:
# an invoice signed as creator with the host key itself (made here with
# openssl, from the seed in the server's host_key.toml) is refused.
export XDG_CONFIG_HOME="$TMP/config4"
w keys fetch --yes
SEED=$(python3 -c 'import sys,tomllib,base64; print(base64.b64decode(tomllib.load(open(sys.argv[1],"rb"))["key"][0]["keypair"])[:32].hex())' "$DATA/host_key.toml")
# An Ed25519 PKCS#8 private key is this fixed 16-byte DER prefix + the seed.
printf '302e020100300506032b657004220420%s' "$SEED" | xxd -r -p |
  openssl pkey -inform DER -out "$TMP/host.pem" 2>/dev/null
sed '/^\[\[signature\]\]/,$d' "$S/invoice.toml" >"$TMP/hostsigned.toml"
sign_invoice "$TMP/hostsigned.toml" host "Mallory <mallory@example.com>" creator
check "the forged creator signature is by the host key" grep -qF "key = \"$HOSTKEY\"" "$TMP/hostsigned.toml"
w verify "$TMP/hostsigned.toml"
expect_rc "a creator signature by a key trusted only as host fails" 1 "only as a server's host key"
check "and shows as untrusted" grep -qE '^ *untrusted +creator' "$OUT"
export XDG_CONFIG_HOME="$TMP/config"

# ---- the host key changes: a new server with a fresh data directory ----
check "stop the first server" stop_wharfd
OLDKEY=$HOSTKEY
DATA="$TMP/data2" start_wharfd || exit 1
check "publish valid_v1 on the new server" publish
NEWKEY=$(host_key)
check "the new server has another host key" test "$NEWKEY" != "$OLDKEY"
w verify "$ID"
expect_rc "verify fails when the host signature is by a key not trusted" 1 "not a host key you trust"
check "the message names the new host key" grep -qF "$NEWKEY" "$ERR"
check "and the signature shows as untrusted" sig_line untrusted host "$NEWKEY"
w --json verify "$ID"
check "verify --json says so too" test "$(json_get 'd["verified"], d["host"]["ok"]')" = "False False"
w keys fetch --yes
w verify "$ID"
expect_rc "after trusting the new host key, verify passes" 0

check "stop the server" stop_wharfd
finish
