#!/usr/bin/env bash
# wharf pull against a real wharfd with the secure defaults: an app with a
# oneOf entrypoint group, feature-labelled parcels and an optional group,
# pulled with two runtime profiles (each gets exactly its set); the cache
# (a second pull moves no parcel bytes); trust on first use of creator keys
# and trusted host keys; a corrupted parcel; names that would escape the
# output directory; and a pull whose server dies half-way, then resumes.
. "$(dirname "$0")/lib.sh"

export XDG_CONFIG_HOME="$TMP/config" XDG_CACHE_HOME="$TMP/cache" HOME="$TMP/home"
unset WHARF_URL WHARF_TOKEN WHARF_KEYS
OUT="$TMP/out" ERR="$TMP/err"
w() { "$WHARF" --server "$URL" "$@" >"$OUT" 2>"$ERR"; RC=$?; }
json_get() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)" <"$OUT"; }
listing() { (cd "$1" && find . -type f | sort | sed 's#^\./##' | tr '\n' ' '); }

# The release: two entrypoints (one per runtime), a library everyone needs,
# docs on request, and an aarch64-only helper.
A="$TMP/app"
mkdir -p "$A/docs"
# Valid (empty) modules made distinct by a custom section: wharfd validates
# every wasm parcel.
printf '\0asm\1\0\0\0\0\5\4wasi' >"$A/app-wasi.wasm"
printf '\0asm\1\0\0\0\0\3\2js' >"$A/app-js.wasm"
printf '\0asm\1\0\0\0\0\4\3lib' >"$A/lib.wasm"
printf '# App\n' >"$A/docs/README.md"
printf 'arm helper' >"$A/arm-helper.bin"
label() { printf '[[parcel]]\n[parcel.label]\nsha256 = "%s"\nmediaType = "%s"\nname = "%s"\nsize = %s\n' \
  "$(sha "$A/$1")" "$2" "$1" "$(stat -c %s "$A/$1")"; }
{
  printf 'bindleVersion = "1.0.0"\n\n[bindle]\nname = "example.com/app"\nversion = "1.0.0"\n\n'
  printf '[[group]]\nname = "entrypoint"\nrequired = true\nsatisfiedBy = "oneOf"\n\n'
  printf '[[group]]\nname = "docs"\nsatisfiedBy = "optional"\n\n'
  label app-wasi.wasm application/wasm
  printf '[parcel.label.feature.wasm]\nruntime = "wasi"\n[parcel.conditions]\nmemberOf = ["entrypoint"]\n\n'
  label app-js.wasm application/wasm
  printf '[parcel.label.feature.wasm]\nruntime = "js"\n[parcel.conditions]\nmemberOf = ["entrypoint"]\n\n'
  label lib.wasm application/wasm
  printf '\n'
  label docs/README.md text/markdown
  printf '[parcel.conditions]\nmemberOf = ["docs"]\n\n'
  label arm-helper.bin application/octet-stream
  printf '[parcel.label.feature.arch]\ntarget = "aarch64-linux-gnu"\n'
} >"$A/invoice.toml"

DATA="$TMP/data"
TOKEN=$("$WHARFD" token create --data "$DATA" --scopes 'push:*' 2>/dev/null)
TRUST=1 start_wharfd || exit 1
w --token "$TOKEN" push "$A"
check "push the app" test "$RC" -eq 0

# A fresh user pulls it: no keys, no pins, no cache.
export XDG_CONFIG_HOME="$TMP/config2" XDG_CACHE_HOME="$TMP/cache2"
w pull example.com/app/1.0.0 -o "$TMP/wasi" --feature wasm.runtime=wasi
check "pull with the wasi profile exits 0" test "$RC" -eq 0
check "gets exactly the wasi entrypoint and the library" test "$(listing "$TMP/wasi")" = "app-wasi.wasm lib.wasm "
check "byte for byte" bash -c "cmp -s '$A/app-wasi.wasm' '$TMP/wasi/app-wasi.wasm' && cmp -s '$A/lib.wasm' '$TMP/wasi/lib.wasm'"
check "the first pull pins the creator, and says so" grep -q "first pull of example.com/app: pinned its creator" "$ERR"
check "in pins.toml" grep -q 'name = "example.com/app"' "$XDG_CONFIG_HOME/wharf/pins.toml"
check "and notes that the host key is not trusted yet" grep -q "wharf keys fetch" "$ERR"

w --json pull example.com/app/1.0.0 -o "$TMP/js" --feature wasm.runtime=js \
  --feature arch.target=aarch64-linux-gnu --group docs
check "pull with the js+aarch64 profile and the docs group exits 0" test "$RC" -eq 0
check "gets exactly its set, docs in their directory" \
  test "$(listing "$TMP/js")" = "app-js.wasm arm-helper.bin docs/README.md lib.wasm "
check "the library came from the cache" test "$(json_get "[f['cached'] for f in d['files'] if f['name']=='lib.wasm'][0]")" = True

w --json pull example.com/app/1.0.0 -o "$TMP/again" --feature wasm.runtime=wasi
check "a second pull of the same release" test "$RC" -eq 0
check "transfers no parcel bytes" test "$(json_get "d['bytes_fetched']")" = 0
w pull example.com/app/1.0.0 -o "$TMP/none" --group nosuchgroup
check "a profile asking for a group the release lacks fails" test "$RC" -eq 1
check "naming it" grep -q "nosuchgroup" "$ERR"
w pull example.com/app/1.0.0 -o "$TMP/bad" --feature nodot
check "a malformed --feature is bad usage" test "$RC" -eq 2

# Trusting the server's host key; then a server with another host key.
HOSTKEY=$(curl -s -H 'Accept: application/json' "$URL/bindle-keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"][0]["key"])')
"$WHARF" keys add "this server" "$HOSTKEY" --role host >/dev/null 2>&1
w pull example.com/app/1.0.0 -o "$TMP/hosted" --feature wasm.runtime=wasi
check "with the host key trusted the pull still passes" test "$RC" -eq 0
check "without the note" not grep -q "wharf keys fetch" "$ERR"
SHA_LIB=$(sha "$A/lib.wasm")
printf 'corrupted!!!' >"$DATA/parcels/${SHA_LIB:0:2}/${SHA_LIB:2}"
rm -rf "$XDG_CACHE_HOME"
w pull example.com/app/1.0.0 -o "$TMP/corrupt" --feature wasm.runtime=wasi
check "a parcel whose bytes were changed on the server fails the pull" test "$RC" -eq 1
check "as a digest mismatch" grep -qi "mismatch" "$ERR"
check "and nothing of it is written" test ! -e "$TMP/corrupt/lib.wasm"
cp "$A/lib.wasm" "$DATA/parcels/${SHA_LIB:0:2}/${SHA_LIB:2}"
stop_wharfd || fail "clean stop"

# Another server (another host key) where someone else published the same name.
export XDG_CONFIG_HOME="$TMP/config3"
DATA="$TMP/data2"
TOKEN2=$("$WHARFD" token create --data "$DATA" --scopes 'push:*' 2>/dev/null)
TRUST=1 start_wharfd || exit 1
sed 's/version = "1.0.0"/version = "1.0.1"/' "$A/invoice.toml" >"$TMP/inv101"
cp "$TMP/inv101" "$A/invoice.toml"
w --token "$TOKEN2" push "$A"
check "someone else publishes example.com/app 1.0.1 elsewhere" test "$RC" -eq 0
MALLORY=$("$WHARF" --json keys list | python3 -c 'import json,sys; print(json.load(sys.stdin)["signing"]["keys"][0]["key"])' 2>/dev/null)
export XDG_CONFIG_HOME="$TMP/config2"
w pull example.com/app/1.0.1 -o "$TMP/other" --feature wasm.runtime=wasi
check "pulling it fails loudly: the name is pinned to another creator" test "$RC" -eq 1
check "saying so" grep -q "pinned to 1 creator key" "$ERR"
check "and what to do" grep -q "wharf keys add" "$ERR"
check "writing nothing" test ! -e "$TMP/other"
if [ -n "$MALLORY" ]; then
  "$WHARF" keys add "the other publisher" "$MALLORY" >/dev/null 2>&1
  w pull example.com/app/1.0.1 -o "$TMP/other" --feature wasm.runtime=wasi
  check "once the user trusts that key, the creator check passes but the host key is not trusted" test "$RC" -eq 1
  check "saying so" grep -q "not signed by a host key you trust" "$ERR"
else
  fail "read the other publisher's key from wharf --json keys list"
fi
stop_wharfd || fail "clean stop"

# Names that would escape the output directory never get written.
export XDG_CONFIG_HOME="$TMP/config4" XDG_CACHE_HOME="$TMP/cache4"
DATA="$TMP/data3"
TRUST=1 start_wharfd --verify none --auth none || exit 1
printf 'x' >"$TMP/x"
printf 'bindleVersion = "1.0.0"\n[bindle]\nname = "evil.org/app"\nversion = "1.0.0"\n[[parcel]]\n[parcel.label]\nsha256 = "%s"\nmediaType = "text/plain"\nname = "../escaped.txt"\nsize = 1\n' "$(sha "$TMP/x")" >"$TMP/evil.toml"
req POST /_i --data-binary @"$TMP/evil.toml"
if [ "$STATUS" = 202 ]; then
  req POST "/_i/evil.org/app/1.0.0@$(sha "$TMP/x")" --data-binary @"$TMP/x"
  mkdir -p "$TMP/sandbox"
  w pull evil.org/app/1.0.0 -o "$TMP/sandbox/out"
  check "a label name with .. is refused by pull" test "$RC" -eq 1
  check "and nothing lands outside the directory" test ! -e "$TMP/sandbox/escaped.txt"
else
  check "the server refuses a label name with .. outright" test "$STATUS" = 400
fi

# The server dies half-way through a parcel: pull fails, keeps what it
# had, and the next pull resumes with a range request.
head -c $((24 * 1024 * 1024)) /dev/urandom >"$TMP/big.bin"
w push example.org/big/1.0.0 "$TMP/big.bin"
check "push a 24 MiB parcel" test "$RC" -eq 0
RELAY_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$TMP/relay.py" <<'PY'
# Relays to wharfd, but sends only half of a parcel's body, then dies.
import http.server, os, sys, urllib.request
up, port = sys.argv[1], int(sys.argv[2])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        req = urllib.request.Request(up + self.path, headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
        try:
            r = urllib.request.urlopen(req)
        except urllib.error.HTTPError as e:
            r = e
        body = r.read()
        self.send_response(r.status)
        for k, v in r.headers.items():
            if k.lower() not in ("connection", "transfer-encoding"):
                self.send_header(k, v)
        self.end_headers()
        if "@" in self.path:
            self.wfile.write(body[: len(body) // 2]); self.wfile.flush(); os._exit(0)
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY
python3 "$TMP/relay.py" "$BASE" "$RELAY_PORT" &
RELAY=$!
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$RELAY_PORT/healthz" && break; sleep 0.1; done
"$WHARF" --server "http://127.0.0.1:$RELAY_PORT/v1" pull example.org/big/1.0.0 -o "$TMP/big" >"$OUT" 2>"$ERR"
check "a pull whose server dies half-way fails" test $? -eq 1
check "keeping the half it got" test "$(stat -c %s "$XDG_CACHE_HOME/wharf/partial/$(sha "$TMP/big.bin")" 2>/dev/null || echo 0)" -eq $((12 * 1024 * 1024))
kill "$RELAY" 2>/dev/null; wait "$RELAY" 2>/dev/null
w --json pull example.org/big/1.0.0 -o "$TMP/big"
check "pulled again, it completes" test "$RC" -eq 0
check "fetching only the missing half" test "$(json_get "d['bytes_fetched']")" = $((12 * 1024 * 1024))
check "byte for byte" cmp -s "$TMP/big.bin" "$TMP/big/big.bin"
check "the server stops cleanly" stop_wharfd
finish
