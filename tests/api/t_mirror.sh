#!/usr/bin/env bash
# `wharf mirror` and `wharfd mirror` (docs/cli.md): artifacts copied from
# the CNCF distribution registry (Debian docker-registry, on loopback with
# htpasswd Basic auth) into a wharfd that checks signatures and tokens.  A
# SemVer tag becomes a bindle whose invoice names the source and the
# upstream digest and carries a proxy signature that verifies, whose parcels
# are upstream's bytes, and whose OCI view is upstream's manifest; other
# tags are OCI-only; a second run fetches nothing; missing or wrong
# credentials are clear 401s; a blob corrupted upstream stores nothing; a
# changed upstream version is a conflict; credentials from the environment
# and config.toml (0600); the server's trust rule for mirrors (a proxy
# signature stands in for the creator's, for mirror invoices only); the
# server-side job, once and every N seconds until SIGTERM; and the Bearer
# token flow, mirroring from a second wharfd through its /v2/token.
. "$(dirname "$0")/lib.sh"

: "${WHARF:?set WHARF to the wharf binary}"
for p in docker-registry skopeo python3; do
  command -v "$p" >/dev/null || { fail "$p is needed (Debian packages docker-registry, skopeo)"; finish; exit; }
done
export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/home/config" XDG_CACHE_HOME="$TMP/home/cache"
export XDG_RUNTIME_DIR="$TMP/home/run"
unset WHARF_URL WHARF_TOKEN WHARF_KEYS WHARF_MIRROR_CREDS
mkdir -p "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
printf '{"default":[{"type":"insecureAcceptAnything"}]}\n' >"$TMP/policy.json"
OUT="$TMP/out" ERR="$TMP/err"
CREDS=admin:sw0rdf1sh
REG_PID="" W2_PID=""
stop_others() {
  for p in $REG_PID $W2_PID; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  REG_PID="" W2_PID=""
}
trap 'stop_others; _cleanup' EXIT

# w ARGS...: runs wharf against the main wharfd; RC, stdout in OUT, stderr in ERR.
w() { "$WHARF" --server "$URL" "$@" >"$OUT" 2>"$ERR"; RC=$?; }
expect_rc() {
  local name=$1 code=$2 text=${3:-}
  if [ "$RC" != "$code" ]; then
    fail "$name" "exit $RC, expected $code; stdout: $(head -c 300 "$OUT"); stderr: $(head -c 400 "$ERR")"
  elif [ -n "$text" ] && ! grep -qiF -- "$text" "$OUT" "$ERR"; then
    fail "$name" "output lacks '$text': $(head -c 300 "$OUT") / $(head -c 400 "$ERR")"
  else
    pass "$name"
  fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---- the upstream registry
REG="$TMP/registry"
mkdir -p "$REG/storage"
RPORT=""
for try in 1 2 3; do
  RPORT=$(free_port)
  cat >"$REG/config.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $REG/storage
http:
  addr: 127.0.0.1:$RPORT
auth:
  htpasswd:
    realm: test
    path: $FIX/htpasswd
EOF
  docker-registry serve "$REG/config.yml" >"$REG/log" 2>&1 &
  REG_PID=$!
  for i in $(seq 1 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$RPORT/v2/")" = 401 ] && break
    kill -0 "$REG_PID" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$REG_PID" 2>/dev/null && break
  wait "$REG_PID" 2>/dev/null; REG_PID=""
done
check "docker-registry serves on loopback with htpasswd auth" test -n "$REG_PID"
[ -n "$REG_PID" ] || { sed 's/^/#   /' "$REG/log" | tail -n 5; finish; exit; }
SRC="oci://127.0.0.1:$RPORT"

# artifact DIR TAG BYTES: an OCI layout of a wasm artifact (a
# application/vnd.wasm.config.v0+json config, one application/wasm layer
# holding BYTES, printf format); sets MAN, CFG and LAYER to the files.
artifact() {
  local dir=$1 tag=$2
  mkdir -p "$dir/blobs/sha256"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
  printf "$3" >"$dir/module.wasm"
  LAYER="$dir/blobs/sha256/$(sha "$dir/module.wasm")"
  mv "$dir/module.wasm" "$LAYER"
  printf '{"architecture":"wasm","os":"wasip1","layerDigests":["sha256:%s"]}' "$(sha "$LAYER")" >"$dir/config"
  CFG="$dir/blobs/sha256/$(sha "$dir/config")"
  mv "$dir/config" "$CFG"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.wasm.config.v0+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/wasm","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.title":"hello.wasm"}}]}' \
    "$(sha "$CFG")" "$(size "$CFG")" "$(sha "$LAYER")" "$(size "$LAYER")" >"$dir/manifest"
  MAN="$dir/blobs/sha256/$(sha "$dir/manifest")"
  mv "$dir/manifest" "$MAN"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
    "$(sha "$MAN")" "$(size "$MAN")" "$tag" >"$dir/index.json"
}
# upload DIR:TAG REPO:TAG: skopeo copies a layout into the registry.
upload() {
  skopeo --policy "$TMP/policy.json" copy --dest-tls-verify=false --dest-creds "$CREDS" \
    "oci:$1" "docker://127.0.0.1:$RPORT/$2" >"$TMP/skopeo.out" 2>"$TMP/skopeo.err" ||
    { sed 's/^/#   /' "$TMP/skopeo.err" | tail -n 5; return 1; }
}

# An empty module with a custom section, so that each artifact differs.
artifact "$TMP/hello" 1.0.0 '\0asm\1\0\0\0\0\6\5hello'
M=$(sha "$MAN") L=$(sha "$LAYER") C=$(sha "$CFG") HELLO_LAYER=$LAYER
check "skopeo pushes the wasm artifact as app/hello:1.0.0" upload "$TMP/hello:1.0.0" app/hello:1.0.0
check "and as app/hello:latest" upload "$TMP/hello:1.0.0" app/hello:latest
check "the registry keeps the manifest's bytes (same digest)" \
  test "$(curl -s -u "$CREDS" -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
          "http://127.0.0.1:$RPORT/v2/app/hello/manifests/1.0.0" | sha256sum | cut -d' ' -f1)" = "$M"

# ---- the Wharf server: real trust defaults (CreativeIntegrity, tofu, tokens)
DATA="$TMP/data"
TOKEN=$("$WHARFD" token create --scopes '*:*' --data "$DATA" 2>/dev/null)
TRUST=1 start_wharfd || exit 1
export WHARF_TOKEN=$TOKEN

w mirror "http://127.0.0.1:$RPORT/app/hello"
expect_rc "a source that is not oci:// is bad usage" 2 "oci://HOST"
w mirror "$SRC/App/hello"
expect_rc "so is an invalid repository name" 2 "not a valid repository name"
w mirror "$SRC/app/hello:.bad"
expect_rc "an invalid tag" 2 "not a valid tag"
w mirror "$SRC/app/hello@sha256:abc"
expect_rc "a malformed digest" 2 "digest"
w mirror "$SRC/app/hello" --to "Bad/Name"
expect_rc "a --to that is no repository name" 2 "--to"
w mirror "$SRC/app/hello" --src-creds nocolon
expect_rc "--src-creds without a colon" 2 "USER:PASS"
w mirror "$SRC/app/hello" --src-creds a:b --src-token t
expect_rc "--src-creds with --src-token" 2 "not both"
w mirror --help
expect_rc "--help prints the usage" 0 "usage: wharf mirror"

w mirror "$SRC/app/hello" --plain-http --to app/hello
expect_rc "without credentials: exit 1" 1 "requires credentials"
check "the message says 401 and how to give credentials" grep -q "HTTP 401.*--src-creds USER:PASS" "$ERR"
w mirror "$SRC/app/hello" --plain-http --src-creds admin:wrong --to app/hello
expect_rc "with a wrong password: exit 1, the credentials are refused" 1 'refused the credentials of "admin"'
w mirror "$SRC/app/hello" --to app/hello --src-creds "$CREDS"
expect_rc "over https against a plain-http registry: exit 1, --plain-http suggested" 1 "--plain-http"
req GET /_i/app/hello/1.0.0
expect_status "none of these stored anything" 404

w mirror "$SRC/app/hello" --plain-http --src-creds "$CREDS" --to app/hello
expect_rc "wharf mirror of every tag: exit 0" 0
check "1.0.0 is mirrored" grep -Eq '^1\.0\.0 +mirrored +sha256:' "$OUT"
check "latest is OCI-only" grep -Eq '^latest +OCI-only' "$OUT"
check "the totals: 2 blobs fetched" grep -q "2 tags: 1 mirrored, 0 up to date, 1 OCI-only, 0 conflicts, 0 failed; 2 blobs fetched" "$OUT"
check "a proxy key was made for the user, and said so" grep -q "you had no signing key" "$ERR"

req GET /_i/app/hello/1.0.0 -H 'Accept: application/json'
expect_status "bindle app/hello/1.0.0 exists" 200
cp "$BODY" "$TMP/inv.json"
check "its wharf.mirror.source names the registry, repository and digest" \
  test "$(jget "$TMP/inv.json" 'd["annotations"]["wharf.mirror.source"]')" = "127.0.0.1:$RPORT/app/hello@sha256:$M"
check "its wharf.oci.manifest is the upstream digest" \
  test "$(jget "$TMP/inv.json" 'd["annotations"]["wharf.oci.manifest"]')" = "sha256:$M"
check "it is signed in the proxy role (and by the host), nothing else" \
  test "$(jget "$TMP/inv.json" '",".join(sorted(s["role"] for s in d["signature"]))')" = host,proxy
w verify --strategy 'MultipleAttestation[Proxy]' app/hello/1.0.0
expect_rc "wharf verify: the proxy signature verifies" 0
check "by the user's own key" grep -Eq '^ +verified +proxy .*\(your key\)' "$OUT"
w verify app/hello/1.0.0
expect_rc "wharf verify with the default strategy: a mirror passes by its proxy signature" 0 \
  "a mirror: MultipleAttestation[Proxy]"
mkdir -p "$TMP/other/config" "$TMP/other/cache"
XDG_CONFIG_HOME="$TMP/other/config" XDG_CACHE_HOME="$TMP/other/cache" \
  w pull app/hello/1.0.0 -o "$TMP/other/pulled"
expect_rc "another user pulls the mirror through /v1: exit 0" 0
check "and pins the mirror's proxy key on first use, saying so" \
  grep -q "pinned its mirror's proxy" "$ERR"
check "the module pulled is upstream's wasm layer, and the OCI config is left out" \
  bash -c "[ \$(find '$TMP/other/pulled' -type f | wc -l) = 1 ] && cmp -s \"\$(find '$TMP/other/pulled' -type f)\" '$HELLO_LAYER'"
req GET "/_i/app/hello/1.0.0@$L"
check "the wasm parcel's bytes are upstream's layer" cmp -s "$BODY" "$HELLO_LAYER"
curl -s -u "$CREDS" -o "$TMP/upstream.blob" "http://127.0.0.1:$RPORT/v2/app/hello/blobs/sha256:$L"
check "which is what the registry serves" cmp -s "$BODY" "$TMP/upstream.blob"
req GET "/_i/app/hello/1.0.0@$C"
check "the config is a parcel too, byte for byte" cmp -s "$BODY" "$CFG"
check "the name is now bound to the proxy key (trust on first use)" \
  bash -c "'$WHARFD' keys list app/hello --data '$DATA' | grep -qF '$(jget "$TMP/inv.json" '[s["key"] for s in d["signature"] if s["role"]=="proxy"][0]')'"

# ---- the OCI view is upstream's
req GET /v2/app/hello/manifests/1.0.0 -H 'Accept: application/vnd.oci.image.manifest.v1+json'
check "GET /v2/app/hello/manifests/1.0.0 gives upstream's bytes" test "$(sha "$BODY")" = "$M"
req GET /v2/app/hello/manifests/latest -H 'Accept: application/vnd.oci.image.manifest.v1+json'
check "and so does the OCI-only tag latest" test "$(sha "$BODY")" = "$M"
skopeo --policy "$TMP/policy.json" copy --src-tls-verify=false --src-no-creds \
  "docker://127.0.0.1:$PORT/app/hello:1.0.0" "oci:$TMP/pulled:1.0.0" >"$TMP/skopeo.out" 2>"$TMP/skopeo.err"
check "skopeo pulls app/hello:1.0.0 from Wharf" test $? = 0
check "with upstream's manifest digest" \
  test "$(jget "$TMP/pulled/index.json" 'd["manifests"][0]["digest"]')" = "sha256:$M"
check "and upstream's wasm layer" cmp -s "$TMP/pulled/blobs/sha256/$L" "$HELLO_LAYER"

# ---- run again: nothing new
w --json mirror "$SRC/app/hello" --plain-http --src-creds "$CREDS" --to app/hello
expect_rc "the second run: exit 0" 0
check "fetches 0 blobs" test "$(jget "$OUT" 'd["blobs_fetched"]')" = 0
check "and reports both tags up to date" \
  test "$(jget "$OUT" '",".join(t["state"] for t in d["tags"])')" = up-to-date,up-to-date
check "with the upstream digest" test "$(jget "$OUT" 'd["tags"][0]["digest"]')" = "sha256:$M"

# ---- credentials from the environment and from config.toml
WHARF_MIRROR_CREDS=$CREDS w mirror "$SRC/app/hello:1.0.0" --plain-http --to app/hello
expect_rc "WHARF_MIRROR_CREDS gives the credentials" 0 "up to date"
CFGF="$XDG_CONFIG_HOME/wharf/config.toml"
mkdir -p "$(dirname "$CFGF")"
printf '[registries."127.0.0.1:%s"]\nusername = "admin"\npassword = "sw0rdf1sh"\n' "$RPORT" >"$CFGF"
chmod 644 "$CFGF"
w mirror "$SRC/app/hello:1.0.0" --plain-http --to app/hello
expect_rc "a config.toml with a registry password that others may read is refused" 1 "chmod 600"
chmod 600 "$CFGF"
w mirror "$SRC/app/hello:1.0.0" --plain-http --to app/hello
expect_rc "a private one gives the credentials" 0 "up to date"
printf '[registries."127.0.0.1:%s"]\nusername = "admin"\n' "$RPORT" >"$CFGF"
w mirror "$SRC/app/hello:1.0.0" --plain-http --to app/hello
expect_rc "a username without a password is refused" 1 "both username and password"
rm -f "$CFGF"

# ---- a blob corrupted upstream
artifact "$TMP/bad" 1.0.0 '\0asm\1\0\0\0\0\4\3bad'
BAD_L=$(sha "$LAYER") BAD_C=$(sha "$CFG")
check "push app/bad:1.0.0" upload "$TMP/bad:1.0.0" app/bad:1.0.0
STORED="$REG/storage/docker/registry/v2/blobs/sha256/${BAD_L:0:2}/$BAD_L/data"
check "its layer is in the registry's storage" test -f "$STORED"
printf '\0asm\1\0\0\0\0\4\3BAD' >"$STORED"
XDG_CACHE_HOME="$TMP/cache2" w mirror "$SRC/app/bad:1.0.0" --plain-http --src-creds "$CREDS" --to app/bad
expect_rc "mirroring a corrupted blob fails" 1 "digest mismatch"
check "the tag is reported failed" grep -Eq '^1\.0\.0 +failed' "$OUT"
req GET /_i/app/bad/1.0.0
expect_status "no bindle was published" 404
req HEAD "/v2/app/bad/blobs/sha256:$BAD_C"
expect_status "not even the good config blob reached Wharf" 404
check "and the cache kept none of the corrupt bytes" \
  test -z "$(find "$TMP/cache2" -type f -name "$BAD_L*" 2>/dev/null)"

# ---- the trust rule for mirrors
ALT="$TMP/alt"
mkdir -p "$ALT"
akeys() { XDG_CONFIG_HOME="$ALT" "$WHARF" --server "$URL" "$@" >"$OUT" 2>"$ERR"; RC=$?; }
akeys keys create --role proxy --label "other proxy" -q
check "a second user makes a proxy key" test "$RC" = 0
printf 'hi\n' >"$TMP/hi.txt"
HI=$(sha "$TMP/hi.txt")
write_inv() {  # write_inv FILE NAME [ANNOTATION]
  { printf 'bindleVersion = "1.0.0"\n\n'
    [ -n "${3:-}" ] && printf '[annotations]\n"wharf.mirror.source" = "%s"\n\n' "$3"
    printf '[bindle]\nname = "%s"\nversion = "1.0.0"\n\n[[parcel]]\n[parcel.label]\nsha256 = "%s"\nmediaType = "text/plain"\nname = "hi.txt"\nsize = 3\n' "$2" "$HI"
  } >"$1"
}
post() { req POST /_i -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/toml' --data-binary @"$1"; }
write_inv "$TMP/m.toml" mirrors.example/tool "elsewhere.example/tool@sha256:$M"
akeys sign --role proxy "$TMP/m.toml"
post "$TMP/m.toml"
expect_status "a mirror invoice with only a proxy signature is accepted (CreativeIntegrity)" 202
check "and its proxy key is bound to the new name" \
  bash -c "'$WHARFD' keys list mirrors.example/tool --data '$DATA' | grep -q 'other proxy'"
write_inv "$TMP/n.toml" plain.example/tool
akeys sign --role proxy "$TMP/n.toml"
post "$TMP/n.toml"
expect_error "a non-mirror invoice with only a proxy signature is still refused" 400 "role creator"
write_inv "$TMP/t.toml" app/hello "elsewhere.example/x@sha256:$M"
sed -i 's/version = "1.0.0"/version = "9.0.0"/' "$TMP/t.toml"
akeys sign --role proxy "$TMP/t.toml"
post "$TMP/t.toml"
expect_error "another proxy key cannot mirror into a name bound to the first" 400 "bound to"

# ---- wharfd mirror, the server-side job
"$WHARFD" mirror "$SRC/app/hello" --to app/job --plain-http --src-creds "$CREDS" \
  --data "$DATA" --server "$URL" --token "$TOKEN" >"$OUT" 2>"$ERR"
RC=$?
expect_rc "wharfd mirror, once: exit 0" 0 "run 1: exit status 0"
check "it logs wharf's lines" grep -Eq '^wharfd: info: mirror: 1\.0\.0 +mirrored' "$ERR"
check "its proxy key lives in DATA/mirror-keys (0700)" \
  test "$(stat -c %a "$DATA/mirror-keys")" = 700 -a -f "$DATA/mirror-keys/secret_keys.toml"
req GET /_i/app/job/1.0.0 -H 'Accept: application/json'
cp "$BODY" "$TMP/job.json"
check "app/job/1.0.0 is signed by that key in the proxy role" \
  grep -qF "$(jget "$TMP/job.json" '[s["key"] for s in d["signature"] if s["role"]=="proxy"][0]')" \
  <(WHARF_KEYS="$DATA/mirror-keys/secret_keys.toml" "$WHARF" keys list)
"$WHARFD" mirror "$SRC/app/hello" --to app/job --plain-http --src-creds "$CREDS" \
  --data "$DATA" --server "$URL" --token "$TOKEN" --every 1 >"$TMP/every.out" 2>"$TMP/every.err" &
JOB=$!
for i in $(seq 1 300); do
  grep -q "run 2: exit status" "$TMP/every.err" && break
  kill -0 "$JOB" 2>/dev/null || break
  sleep 0.1
done
check "wharfd mirror --every 1 runs again" grep -q "run 2: exit status 0" "$TMP/every.err"
check "and finds everything up to date" grep -q "0 mirrored, 2 up to date" "$TMP/every.err"
kill -TERM "$JOB"
wait "$JOB"
RC=$?
check "SIGTERM stops it with exit 0" test "$RC" = 0
check "saying so" grep -q "wharfd: info: mirror: stopped" "$TMP/every.err"
"$WHARFD" mirror "$SRC/app/hello" --data "$DATA" >"$OUT" 2>"$ERR"
RC=$?
expect_rc "wharfd mirror without --to is a usage error" 2 "usage: wharfd mirror"

# ---- the Bearer token flow: a second wharfd, reads behind tokens
DATA2="$TMP/data2"
TOKEN2=$("$WHARFD" token create --scopes '*:*' --data "$DATA2" 2>/dev/null)
: >"$TMP/w2.log"
"$WHARFD" --listen 127.0.0.1:0 --data "$DATA2" --verify none --read-auth token \
  --htpasswd "$FIX/htpasswd" 2>"$TMP/w2.log" &
W2_PID=$!
W2=""
for i in $(seq 1 200); do
  W2=$(sed -n 's#^wharfd: listening on http://127\.0\.0\.1:\([0-9]*\)$#\1#p' "$TMP/w2.log")
  [ -n "$W2" ] && break
  sleep 0.05
done
check "a second wharfd starts with --read-auth token" test -n "$W2"
"$WHARF" --server "http://127.0.0.1:$W2/v1" --token "$TOKEN2" mirror "$SRC/app/hello" \
  --plain-http --src-creds "$CREDS" --to app/hello >"$OUT" 2>"$ERR"
RC=$?
expect_rc "mirror the registry into it" 0 "1 mirrored"
curl -s -D "$TMP/h2" -o /dev/null "http://127.0.0.1:$W2/v2/"
check "its /v2/ asks for a Bearer token" grep -qi '^www-authenticate: Bearer realm="http://127.0.0.1:'"$W2"'/v2/token"' "$TMP/h2"
w mirror "oci://127.0.0.1:$W2/app/hello" --plain-http --to app/hello-b
expect_rc "from it without credentials: exit 1 (an anonymous token cannot read)" 1 "requires credentials"
w mirror "oci://127.0.0.1:$W2/app/hello" --plain-http --src-creds admin:wrong --to app/hello-b
expect_rc "with a wrong password the token service refuses" 1 "token service"
w mirror "oci://127.0.0.1:$W2/app/hello" --plain-http --src-creds "$CREDS" --to app/hello-b
expect_rc "with htpasswd credentials (a minted Bearer token): exit 0" 0
check "1.0.0 is mirrored through the token flow" grep -Eq '^1\.0\.0 +mirrored' "$OUT"
check "with its blobs from the cache: none fetched again" grep -q "; 0 blobs fetched" "$OUT"
req GET /_i/app/hello-b/1.0.0 -H 'Accept: application/json'
check "its source is the second wharfd, with the first upstream's digest" \
  test "$(jget "$BODY" 'd["annotations"]["wharf.mirror.source"]')" = "127.0.0.1:$W2/app/hello@sha256:$M"
w mirror "oci://127.0.0.1:$W2/app/hello:1.0.0" --plain-http --src-token "$TOKEN2" --to app/hello-b
expect_rc "--src-token sends a token as it is" 0 "up to date"
w mirror "oci://127.0.0.1:$W2/app/hello:1.0.0" --plain-http --src-token wht_nonsense --to app/hello-b
expect_rc "and a bad one is refused, not renewed" 1 "refused the credentials"

# ---- upstream changed a published version: a conflict, nothing overwritten
artifact "$TMP/hello2" 1.0.0 '\0asm\1\0\0\0\0\7\6hello2'
check "push a different manifest as app/hello:1.0.0" upload "$TMP/hello2:1.0.0" app/hello:1.0.0
w mirror "$SRC/app/hello:1.0.0" --plain-http --src-creds "$CREDS" --to app/hello
expect_rc "mirroring it: exit 1" 1 "did not mirror"
check "reported as a conflict" grep -Eq '^1\.0\.0 +conflict .*immutable' "$OUT"
req GET /_i/app/hello/1.0.0 -H 'Accept: application/json'
check "the bindle still holds the first manifest" \
  test "$(jget "$BODY" 'd["annotations"]["wharf.oci.manifest"]')" = "sha256:$M"

stop_others
stop_wharfd
check "wharfd exits cleanly" test $? = 0
finish
