#!/usr/bin/env bash
# Standalone bindles (Bindle's format) with `wharf export` and `wharf import`
# against real wharfd servers: Bindle's fixture tarball and directory import
# as they are, keeping the creator's signature; a pushed release exports to
# a tarball with the standalone layout (top directory = sha256 of
# NAME/VERSION), holding the server's invoice byte for byte and every
# parcel; the same export twice, and once more from an empty cache, gives
# identical bytes; importing it into a second, fresh server publishes the
# same invoice plus only that server's own host signature, with the same
# parcel bytes; a malicious or tampered tarball is refused with the entry
# named, publishing nothing; and import leaves no temporary files behind.
. "$(dirname "$0")/lib.sh"

: "${WHARF:?set WHARF to the wharf binary}"
export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/home/config" XDG_CACHE_HOME="$TMP/home/cache"
export TMPDIR="$TMP/tmpdir"
unset WHARF_URL WHARF_TOKEN WHARF_KEYS
mkdir -p "$HOME" "$TMPDIR"
OUT="$TMP/out" ERR="$TMP/err"
FIX_ID=1927aefa8fdc8327499e918300e2e49ecb271321530cc5881fcd069ca8372dcd
FIX_TGZ="$FIX/standalone/$FIX_ID.tar.gz"
FIX_DIR="$FIX/standalone/$FIX_ID"
NAME=wharf.test/standalone VERSION=2.0.0 ID=wharf.test/standalone/2.0.0

w() { "$WHARF" --server "$URL" "$@" >"$OUT" 2>"$ERR"; RC=$?; }
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
tmp_empty() { [ -z "$(ls -A "$TMPDIR")" ]; }

start_wharfd || exit 1

# ---- Bindle's fixture, as a tarball
w import "$FIX_TGZ"
expect_rc "import of Bindle's standalone tarball: exit 0" 0
check "prints the bindle id" grep -qx "enterprise.com/warpcore/1.0.0" "$OUT"
req GET /_i/enterprise.com/warpcore/1.0.0
expect_status "the fixture is published" 200
check "with its creator's signature unchanged" \
  grep -qF 'signature = "1oKW+2RXsE/lSXy3y+0MKKZDhnPModgTxfKuMSMMnVEZlgENIE9qOMTUrQga0QxSiAZiFH15fYkcveC8up8FDA=="' "$BODY"
req GET "/_i/enterprise.com/warpcore/1.0.0@23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5"
check "and its parcel's bytes" cmp -s "$BODY" "$FIX_DIR/parcels/23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5.dat"
w --json import "$FIX_TGZ"
expect_rc "importing it again: exit 0" 0
check "is a no-op (existed, nothing uploaded)" \
  test "$(json_get "'%s %d' % (d['existed'], d['uploaded'])")" = "True 0"
check "no temporary directory is left behind" tmp_empty

# ---- a release pushed with wharf, exported
mkdir -p "$TMP/files"
printf '\0asm\1\0\0\0' >"$TMP/files/app.wasm"
head -c 300000 /dev/urandom >"$TMP/files/data.bin"
printf 'hello\n' >"$TMP/files/readme.txt"
w push "$ID" "$TMP/files/app.wasm" "$TMP/files/data.bin" "$TMP/files/readme.txt"
expect_rc "push a 3-parcel release" 0
req GET "/_i/$ID"
cp "$BODY" "$TMP/server-a.toml"

w export "$ID" -o "$TMP/a.tar.gz"
expect_rc "export: exit 0" 0
check "prints the file" grep -qxF "$TMP/a.tar.gz" "$OUT"
TOP=$(printf '%s' "$NAME/$VERSION" | sha256sum | cut -d' ' -f1)
{
  echo "$TOP/"; echo "$TOP/invoice.toml"; echo "$TOP/parcels/"
  for f in app.wasm data.bin readme.txt; do echo "$TOP/parcels/$(sha256_of "$TMP/files/$f").dat"; done | sort
} >"$TMP/want.list"
tar tzf "$TMP/a.tar.gz" >"$TMP/got.list" 2>&1
check "tar lists exactly the standalone layout, top directory = sha256 of NAME/VERSION, sorted" \
  cmp -s "$TMP/want.list" "$TMP/got.list"
check "every entry has mtime 0 and owner 0/0" \
  bash -c "tar tzvf '$TMP/a.tar.gz' | awk '\$2 != \"0/0\" || \$4 != \"1970-01-01\" { bad=1 } END { exit bad }'"
mkdir -p "$TMP/x" && tar xzf "$TMP/a.tar.gz" -C "$TMP/x"
check "its invoice.toml is the server's invoice, byte for byte" cmp -s "$TMP/x/$TOP/invoice.toml" "$TMP/server-a.toml"
same=0
for f in app.wasm data.bin readme.txt; do
  cmp -s "$TMP/files/$f" "$TMP/x/$TOP/parcels/$(sha256_of "$TMP/files/$f").dat" && same=$((same + 1))
done
check "and its parcels are the pushed files" test "$same" = 3

w --json export "$ID" -o "$TMP/b.tar.gz"
expect_rc "export again, --json: exit 0" 0
check "the JSON says bindle, file, parcels and bytes" \
  test "$(json_get "'%s %s %d %d' % (d['bindle'], d['file'], d['parcels'], d['bytes'])")" = \
       "$ID $TMP/b.tar.gz 3 $(stat -c %s "$TMP/b.tar.gz")"
check "the same export twice gives identical bytes" cmp -s "$TMP/a.tar.gz" "$TMP/b.tar.gz"
rm -rf "$XDG_CACHE_HOME"
w export "$ID" -o "$TMP/c.tar.gz"
expect_rc "export with an empty cache: exit 0" 0
check "gives identical bytes too" cmp -s "$TMP/a.tar.gz" "$TMP/c.tar.gz"
check "and fills the cache" test -f "$XDG_CACHE_HOME/wharf/parcels/$(sha256_of "$TMP/files/data.bin" | cut -c1-2)/$(sha256_of "$TMP/files/data.bin")"

w export wharf.test/standalone/9.9.9 -o "$TMP/none.tar.gz"
expect_rc "export of a missing bindle: exit 1" 1 "HTTP 404"
check "and writes no file" test ! -e "$TMP/none.tar.gz"
w export "$ID"
expect_rc "export without -o: exit 2" 2 "-o"
w import
expect_rc "import without FILE: exit 2" 2

# A yanked release exports only with --yanked.
w push wharf.test/standalone/3.0.0 "$TMP/files/readme.txt"
w yank wharf.test/standalone/3.0.0
w export wharf.test/standalone/3.0.0 -o "$TMP/y.tar.gz"
expect_rc "export of a yanked bindle: exit 1" 1 "--yanked"
w export wharf.test/standalone/3.0.0 --yanked -o "$TMP/y.tar.gz"
expect_rc "with --yanked: exit 0" 0
check "and the invoice says yanked" bash -c "tar xzOf '$TMP/y.tar.gz' --wildcards '*/invoice.toml' | grep -q '^yanked = true'"

HOST_A=$(curl -s "$URL/bindle-keys?roles=host" | sed -n 's/^key = "\(.*\)"$/\1/p')
check "server A's host signature is in the export" grep -qF "key = \"$HOST_A\"" "$TMP/server-a.toml"
stop_wharfd
check "server A stops cleanly" test $? = 0

# ---- a second, fresh server
DATA="$TMP/data-b"
start_wharfd || exit 1
HOST_B=$(curl -s "$URL/bindle-keys?roles=host" | sed -n 's/^key = "\(.*\)"$/\1/p')
check "the two servers have different host keys" test -n "$HOST_B" -a "$HOST_A" != "$HOST_B"
w --json import "$TMP/a.tar.gz"
expect_rc "import into the second server: exit 0" 0
check "uploads all 3 parcels" test "$(json_get "'%s %d' % (d['bindle'], d['uploaded'])")" = "$ID 3"
req GET "/_i/$ID"
cp "$BODY" "$TMP/server-b.toml"
check "its invoice starts with server A's bytes, unchanged" \
  bash -c "head -c $(stat -c %s "$TMP/server-a.toml") '$TMP/server-b.toml' | cmp -s - '$TMP/server-a.toml'"
tail -c +$(($(stat -c %s "$TMP/server-a.toml") + 1)) "$TMP/server-b.toml" >"$TMP/added.toml"
check "and adds only one signature: server B's host signature" \
  bash -c "[ \$(grep -c '^\[\[signature\]\]' '$TMP/added.toml') = 1 ] && grep -qx 'role = \"host\"' '$TMP/added.toml' && grep -qxF 'key = \"$HOST_B\"' '$TMP/added.toml' && [ \$(grep -c . '$TMP/added.toml') = 6 ]"
same=0
for f in app.wasm data.bin readme.txt; do
  req GET "/_i/$ID@$(sha256_of "$TMP/files/$f")"
  cmp -s "$BODY" "$TMP/files/$f" && same=$((same + 1))
done
check "its parcels are the same bytes" test "$same" = 3
check "no temporary directory is left behind" tmp_empty

w import "$FIX_DIR"
expect_rc "import of Bindle's standalone directory: exit 0" 0
req GET /_i/enterprise.com/warpcore/1.0.0
expect_status "publishes it" 200

w import "$TMP/y.tar.gz"
expect_rc "import of a yanked export: exit 1" 1 "yanked"

# ---- archives that must be refused, publishing nothing
mk_evil() {  # mk_evil NAME: a copy of the export's tree, changed by the caller, packed
  rm -rf "$TMP/evil" && mkdir -p "$TMP/evil" && cp -r "$TMP/x/$TOP" "$TMP/evil/$TOP"
  chmod -R u+w "$TMP/evil"
  EVIL="$TMP/evil/$TOP" EVIL_TGZ="$TMP/$1.tar.gz"
}
pack() { tar czf "$EVIL_TGZ" -C "$TMP/evil" "$TOP"; }

mk_evil symlink
DATA_SHA=$(sha256_of "$TMP/files/data.bin")
sed -i 's/^version = "2.0.0"$/version = "2.0.1"/' "$EVIL/invoice.toml"
rm "$EVIL/parcels/$DATA_SHA.dat" && ln -s /etc/passwd "$EVIL/parcels/$DATA_SHA.dat" && pack
w import "$EVIL_TGZ"
expect_rc "a tarball with a symbolic link: exit 1" 1 "parcels/$DATA_SHA.dat\" is a symbolic link"

mk_evil tampered
sed -i 's/^version = "2.0.0"$/version = "2.0.2"/' "$EVIL/invoice.toml"
printf 'x' >>"$EVIL/parcels/$DATA_SHA.dat" && pack
w import "$EVIL_TGZ"
expect_rc "a tarball with a tampered parcel: exit 1" 1 "$DATA_SHA.dat\" does not match its name"

mk_evil extra
sed -i 's/^version = "2.0.0"$/version = "2.0.3"/' "$EVIL/invoice.toml"
printf 'surprise' >"$EVIL/run.sh" && pack
w import "$EVIL_TGZ"
expect_rc "a tarball with another file: exit 1" 1 "run.sh\" is not part of a standalone bindle"

printf 'not a tarball\n' >"$TMP/junk.tar.gz"
w import "$TMP/junk.tar.gz"
expect_rc "a file that is no tarball: exit 1" 1 "not a tar"

ok=0
for v in 2.0.1 2.0.2 2.0.3; do req GET "/_i/wharf.test/standalone/$v"; [ "$STATUS" = 404 ] && ok=$((ok + 1)); done
check "none of them was published" test "$ok" = 3
check "and no temporary directory is left behind" tmp_empty

stop_wharfd
check "server B stops cleanly" test $? = 0
finish
