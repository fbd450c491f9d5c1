#!/usr/bin/env bash
# The client against a real wharfd: info, search and yank (and push, once
# it is built), with tokens and --json.  The server runs with the secure
# defaults, so the client must send its token.
. "$(dirname "$0")/lib.sh"

export XDG_CONFIG_HOME="$TMP/config" XDG_CACHE_HOME="$TMP/cache" HOME="$TMP/home"
unset WHARF_URL WHARF_TOKEN WHARF_KEYS
S="$FIX/scaffolds/valid_v1"
OUT="$TMP/out" ERR="$TMP/err"
# w ARGS...: runs the client against this server; sets RC.
w() { "$WHARF" --server "$URL" "$@" >"$OUT" 2>"$ERR"; RC=$?; }
is_json() { python3 -c 'import json,sys; json.load(sys.stdin)' <"$OUT"; }

DATA="$TMP/data"
TOKEN=$("$WHARFD" token create --data "$DATA" --scopes 'push:enterprise.com/* yank:enterprise.com/*' 2>/dev/null)
TRUST=1 start_wharfd || exit 1
req POST /_i -H "Authorization: Bearer $TOKEN" --data-binary @"$S/invoice.toml"
expect_status "publish the fixture with curl" 202

w info enterprise.com/warpcore/1.0.0
check "info exits 0" test "$RC" -eq 0
check "and lists the parcel by label" grep -q "isolinear_chip.txt" "$OUT"
check "and both signers" bash -c "grep -q 'signed by Starfleet Command.* as creator' '$OUT' && grep -q 'as host' '$OUT'"
w --json info enterprise.com/warpcore/1.0.0
check "info --json is the invoice as JSON" bash -c "python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"bindle\"][\"name\"]==\"enterprise.com/warpcore\"' <'$OUT'"
w info enterprise.com/warpcore/9.9.9
check "info of a missing bindle exits 1" test "$RC" -eq 1
check "saying what the server said" grep -q "HTTP 404" "$ERR"
w info not-an-id
check "info of something that is not NAME/VERSION exits 2" test "$RC" -eq 2

w search warp
check "search finds it" grep -q "^enterprise.com/warpcore 1.0.0" "$OUT"
w --json search --strict --version '^1' warp
check "search --json parses" is_json
check "and holds the hit" grep -q '"total": 1' "$OUT"
w search --version '^2' warp
check "a range that excludes it finds nothing" test ! -s "$OUT"

w yank enterprise.com/warpcore/1.0.0 --reason "bad chip"
check "yank without a token exits 1" test "$RC" -eq 1
check "saying a token is needed" grep -q "token" "$ERR"
w --token "$TOKEN" yank enterprise.com/warpcore/1.0.0 --reason "bad chip & worse"
check "yank with a token exits 0" test "$RC" -eq 0
req GET '/_i/enterprise.com/warpcore/1.0.0?yanked=true' -H 'Accept: application/json'
expect_body "the reason arrives intact" '"yanked_reason":"bad chip & worse"'
WHARF_TOKEN="$TOKEN" w yank enterprise.com/warpcore/1.0.0
check "yanking again is a no-op (token from WHARF_TOKEN)" test "$RC" -eq 0
w info enterprise.com/warpcore/1.0.0
check "info of a yanked bindle exits 1" test "$RC" -eq 1
check "and says to add --yanked" grep -q -- "--yanked" "$ERR"
w info --yanked enterprise.com/warpcore/1.0.0
check "with --yanked it shows it" grep -q "(yanked)" "$OUT"
w info enterprise.com/warpcore/1.0.0 --server http://127.0.0.1:1/v1
check "an unreachable server exits 1" test "$RC" -eq 1
check "naming it" grep -q "127.0.0.1:1" "$ERR"
# push: Bindle's scaffolds and standalone layout, files, re-pushes.
PUSHTOK=$("$WHARFD" token create --data "$DATA" --scopes 'push:*' 2>/dev/null)
w --token "$PUSHTOK" push "$FIX/scaffolds/lotsa_parcels"
check "push of the lotsa_parcels scaffold exits 0" test "$RC" -eq 0
check "and prints the bindle id" grep -qx "enterprise.com/cargobay/1.0.0" "$OUT"
check "creating a signing key on first use, and saying so" grep -q "you had no signing key, so created" "$ERR"
for f in "$FIX"/scaffolds/lotsa_parcels/parcels/*.dat; do
  sha=$(sha256sum "$f" | cut -d' ' -f1)
  curl -s -o "$TMP/back" "$URL/_i/enterprise.com/cargobay/1.0.0@$sha"
  check "parcel $(basename "$f") reads back byte for byte" cmp -s "$f" "$TMP/back"
done
w --json pull enterprise.com/cargobay/1.0.0 -o "$TMP/cargobay"
check "pull of the scaffold exits 0" test "$RC" -eq 0
for f in "$FIX"/scaffolds/lotsa_parcels/parcels/*.dat; do
  sha=$(sha256sum "$f" | cut -d' ' -f1)
  got=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print([x['name'] for x in d['files'] if x['sha256']==sys.argv[2]][0])" "$OUT" "$sha" 2>/dev/null)
  check "pulled $(basename "$f") under its label name ${got:-?}, byte for byte" cmp -s "$f" "$TMP/cargobay/$got"
done
w --json --token "$PUSHTOK" push "$FIX/scaffolds/lotsa_parcels"
check "pushing it again is a no-op" test "$RC" -eq 0
check "that uploads nothing" grep -q '"uploaded": 0' "$OUT"
check "and knows it existed" grep -q '"existed": true' "$OUT"

mkdir -p "$TMP/app"
for i in $(seq 1 200); do printf 'parcel %s\n' "$i" >"$TMP/app/p$i.txt"; done
printf '\0asm\1\0\0\0' >"$TMP/app/mod.bin"
w --json --token "$PUSHTOK" push example.com/many/1.0.0 "$TMP"/app/p*.txt "$TMP/app/mod.bin" --parallel 16
check "push NAME/VERSION of 201 files exits 0" test "$RC" -eq 0
check "uploading all of them" grep -q '"uploaded": 201' "$OUT"
req GET /_i/example.com/many/1.0.0 -H 'Accept: application/json'
check "the invoice labels .txt as text/plain" grep -q '"mediaType":"text/plain","name":"p1.txt"' "$BODY"
check "and a file with the wasm magic as application/wasm" grep -q '"mediaType":"application/wasm","name":"mod.bin"' "$BODY"
req GET /_r/missing/example.com/many/1.0.0 -H 'Accept: application/json'
expect_body "nothing is missing" '"missing":[]'
XDG_CACHE_HOME="$TMP/cache-many" w --json pull example.com/many/1.0.0 -o "$TMP/many" --parallel 16
check "pull of the 201-parcel release in parallel exits 0" test "$RC" -eq 0
check "fetching every byte once from a fresh cache" bash -c "python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(not (len(d[\"files\"])==201 and d[\"bytes_fetched\"]==sum(f[\"size\"] for f in d[\"files\"])))' <'$OUT'"
check "and every file matches what was pushed" diff -r "$TMP/app" "$TMP/many"

printf 'changed' >"$TMP/app/p1.txt"
w --token "$PUSHTOK" push example.com/many/1.0.0 "$TMP"/app/p*.txt "$TMP/app/mod.bin"
check "another release under a published id is refused" test "$RC" -eq 1
check "saying versions are immutable" grep -q "immutable" "$ERR"
cp -r "$FIX/scaffolds/valid_v2" "$TMP/v2"
chmod -R u+w "$TMP/v2"
for f in "$TMP"/v2/parcels/*; do printf 'garbage!!!' >"$f"; done
w --token "$PUSHTOK" push "$TMP/v2"
check "a directory whose file does not match its label is refused" test "$RC" -eq 1
req GET /_i/enterprise.com/warpcore/2.0.0
expect_status "before anything is posted" 404
w push example.com/notoken/1.0.0 "$TMP/app/p2.txt"
check "push without a token exits 1" test "$RC" -eq 1
check "saying how to give one" grep -q "WHARF_TOKEN" "$ERR"
w --token "$PUSHTOK" push "$FIX/scaffolds/valid_v1"
check "re-signing someone else's release with a key not bound to its name fails" test "$RC" -eq 1
check "with the server's reason" grep -q "enterprise.com/warpcore is bound to 1 key" "$ERR"
check "the server stops cleanly" stop_wharfd

# Bindle's standalone layout, on a fresh server; extraction under our own TMPDIR.
TMPDIR_PUSH="$TMP/tmpdir"; mkdir -p "$TMPDIR_PUSH"; export TMPDIR="$TMPDIR_PUSH"
DATA="$TMP/data2"
PUSHTOK=$("$WHARFD" token create --data "$DATA" --scopes 'push:*' 2>/dev/null)
TRUST=1 start_wharfd || exit 1
SA=$(ls -d "$FIX"/standalone/*/ | head -n 1)
w --json --token "$PUSHTOK" push "$(ls "$FIX"/standalone/*.tar.gz | head -n 1)"
check "the standalone .tar.gz pushes as is" test "$RC" -eq 0
check "uploading its parcel" grep -q '"uploaded": 1' "$OUT"
check "leaving no extracted directory behind" test -z "$(ls -A "$TMPDIR_PUSH")"
w --json --token "$PUSHTOK" push "$SA"
check "the standalone directory is the same release" grep -q '"existed": true' "$OUT"
w pull enterprise.com/warpcore/1.0.0 -o "$TMP/warpcore"
check "the standalone bindle pulls back" test "$RC" -eq 0
check "its parcel under its label name, byte for byte" \
  cmp -s "$SA/parcels/23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5.dat" "$TMP/warpcore/isolinear_chip.txt"
curl -s -o "$TMP/back" "$URL/_i/enterprise.com/warpcore/1.0.0@23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5"
check "which reads back byte for byte" cmp -s "$SA/parcels/23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5.dat" "$TMP/back"
check "the second server stops cleanly" stop_wharfd
finish
