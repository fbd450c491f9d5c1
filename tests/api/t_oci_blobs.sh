#!/usr/bin/env bash
# The blob side of /v2 (docs/oci.md), with curl: the version check, blob
# GET/HEAD with ranges and per-repository visibility, every way of pushing
# a blob (single POST, POST then PUT, chunks then PUT, a stream then PUT),
# chunks out of order or overlapping, wrong digests, cross-repository
# mounts, cancelling, the size limit, uploads cut off half-way, the
# collector of unreferenced blobs and stale uploads, and, with auth on, the
# Bearer challenge and the token endpoint (tokens, htpasswd users,
# anonymous).  Every error must be the spec's JSON.
. "$(dirname "$0")/lib.sh"

# expect_header NAME HEADER VALUE: the last response's header is exactly VALUE.
expect_header() {
  if [ "$(header "$2")" = "$3" ]; then pass "$1"; else
    fail "$1" "$2 is '$(header "$2")', expected '$3'"; fi
}
# The upload URL of the last response (its Location, made absolute).
loc() { local l; l=$(header Location); case "$l" in http*) echo "$l" ;; *) echo "$BASE$l" ;; esac; }
# open_upload REPO: POST, and UP becomes the upload's URL.
open_upload() { req POST "/v2/$1/blobs/uploads/"; UP=$(loc); }
# patch FILE RANGE: one chunk of the current upload.
patch() {
  req PATCH "$UP" -H 'Content-Type: application/octet-stream' -H "Content-Range: $2" \
    --data-binary @"$1"
}
sessions() { find "$DATA/parcels/.sessions" -type f 2>/dev/null | wc -l; }
parcels() { find "$DATA/parcels" -type f -not -path '*/.sessions/*' -not -path '*/.tmp/*' | wc -l; }
# visible REPO FILE: HEAD of the file's blob in REPO answers 200.
visible() { req HEAD "/v2/$1/blobs/sha256:$(sha "$2")"; [ "$STATUS" = 200 ]; }

head -c 300000 /dev/urandom >"$TMP/a.bin"
head -c 100 "$TMP/a.bin" >"$TMP/a1"; tail -c +101 "$TMP/a.bin" | head -c 100 >"$TMP/a2"
tail -c +201 "$TMP/a.bin" | head -c 100 >"$TMP/a3"; tail -c +301 "$TMP/a.bin" >"$TMP/a4"
head -c 70000 /dev/urandom >"$TMP/b.bin"
head -c 50000 /dev/urandom >"$TMP/c.bin"
head -c 20000 /dev/urandom >"$TMP/d.bin"
A=$(sha "$TMP/a.bin") B=$(sha "$TMP/b.bin") C=$(sha "$TMP/c.bin")

"$WHARFD" --data "$TMP/unused" --gc-grace 0 2>"$TMP/err"
check "--gc-grace 0 is refused (status 2)" test $? = 2
check "naming the setting" grep -q "gc-grace must be" "$TMP/err"
WHARF_GC_INTERVAL=hourly "$WHARFD" --data "$TMP/unused" 2>"$TMP/err"
check "so is a WHARF_GC_INTERVAL that is not a number" grep -q "WHARF_GC_INTERVAL" "$TMP/err"

# A client gone mid-body is sometimes noticed only when its connection
# times out (libmicrohttpd), so the cut-off uploads below need it short.
start_wharfd --idle-timeout 2 || exit 1

# ---- the version check and the token endpoint without auth
req GET /v2/
expect_status "GET /v2/ under --auth none is 200" 200
check "with an empty JSON object" test "$(tr -d ' \n' <"$BODY")" = "{}"
expect_header "and Docker-Distribution-API-Version" Docker-Distribution-API-Version registry/2.0
req GET /v2/token
check "the token endpoint hands out the anonymous token" \
  test "$STATUS:$(jget "$BODY" 'd["token"]')" = "200:anonymous"

# ---- a single POST, then GET, HEAD and ranges
req POST "/v2/app/one/blobs/uploads/?digest=sha256:$B" -H 'Content-Type: application/octet-stream' \
  --data-binary @"$TMP/b.bin"
expect_status "a single POST with ?digest= stores the blob" 201
expect_header "Location is the blob's" Location "/v2/app/one/blobs/sha256:$B"
expect_header "with Docker-Content-Digest" Docker-Content-Digest "sha256:$B"
req GET "/v2/app/one/blobs/sha256:$B"
check "GET returns its bytes" cmp -s "$BODY" "$TMP/b.bin"
check "as application/octet-stream with the digest and ETag" test \
  "$(header Content-Type)|$(header Docker-Content-Digest)|$(header ETag)" = \
  "application/octet-stream|sha256:$B|\"$B\""
req HEAD "/v2/app/one/blobs/sha256:$B"
check "HEAD: 200, its length, no body" test "$STATUS:$(header Content-Length):$(size "$BODY")" = "200:70000:0"
req GET "/v2/app/one/blobs/sha256:$B" -H 'Range: bytes=100-199'
check "a range is 206 with Content-Range and those bytes" test \
  "$STATUS|$(header Content-Range)|$(od -An -tx1 "$BODY" | tr -d ' \n')" = \
  "206|bytes 100-199/70000|$(tail -c +101 "$TMP/b.bin" | head -c 100 | od -An -tx1 | tr -d ' \n')"
req GET "/v2/app/one/blobs/sha256:$B" -H 'Range: bytes=80000-'
check "an unsatisfiable range is 416 with bytes */size" test "$STATUS|$(header Content-Range)" = "416|bytes */70000"
check "whose body is an OCI error" test "$(jget "$BODY" 'd["errors"][0]["code"]')" = UNKNOWN
req GET "/v2/app/other/blobs/sha256:$B"
expect_oci "the blob is not visible through another repository" 404 BLOB_UNKNOWN
req HEAD "/v2/app/one/blobs/sha256:$C"
check "HEAD of an unknown blob is 404" test "$STATUS" = 404
req GET "/v2/app/one/blobs/sha256:$C"
expect_oci "GET of an unknown blob" 404 BLOB_UNKNOWN
req GET "/v2/app/one/blobs/sha256:1234"
expect_oci "a malformed digest" 400 DIGEST_INVALID
req DELETE "/v2/app/one/blobs/sha256:$B"
expect_oci "blobs are not deleted on request" 405 UNSUPPORTED "collected"
req GET "/v2/app/one/blobs/sha256:$B"
expect_status "and it is still there" 200

# ---- POST then PUT with the body
open_upload app/one
expect_status "POST without a digest opens an upload" 202
check "Location is /v2/app/one/blobs/uploads/<id>" bash -c "[[ '$(header Location)' =~ ^/v2/app/one/blobs/uploads/[0-9a-f]{32}$ ]]"
check "with Docker-Upload-UUID and Range 0-0" test \
  "$(header Docker-Upload-UUID)|$(header Range)" = "${UP##*/}|0-0"
req PUT "$UP?digest=sha256:$C" -H 'Content-Type: application/octet-stream' --data-binary @"$TMP/c.bin"
expect_status "PUT ?digest= with the whole body finishes it" 201
expect_header "at the blob's Location" Location "/v2/app/one/blobs/sha256:$C"
check "which serves it" visible app/one "$TMP/c.bin"
req GET "$UP"
expect_oci "the finished upload is gone" 404 BLOB_UPLOAD_UNKNOWN

# ---- chunks, in order and not
open_upload app/chunks
patch "$TMP/a1" 0-99
check "PATCH 0-99: 202 with Range 0-99" test "$STATUS|$(header Range)" = "202|0-99"
check "and the upload's Location" test "$(loc)" = "$UP"
patch "$TMP/a2" 100-199
check "PATCH 100-199: Range 0-199" test "$STATUS|$(header Range)" = "202|0-199"
req GET "$UP"
check "GET on the upload: 204 with Range 0-199 and Location" test \
  "$STATUS|$(header Range)|$(loc)" = "204|0-199|$UP"
patch "$TMP/a3" 300-399
expect_oci "a chunk past the end is 416" 416 BLOB_UPLOAD_INVALID
expect_header "with the Range that stands" Range 0-199
patch "$TMP/a3" 150-249
expect_oci "an overlapping chunk is 416" 416 BLOB_UPLOAD_INVALID
req PATCH "$UP" -H 'Content-Range: 200' --data-binary @"$TMP/a3"
expect_oci "a malformed Content-Range is 416" 416 BLOB_UPLOAD_INVALID
req GET "$UP"
expect_header "none of them appended anything" Range 0-199
patch "$TMP/a3" 200-299
check "the third chunk in order: Range 0-299" test "$STATUS|$(header Range)" = "202|0-299"
req PUT "$UP?digest=sha256:$A" -H "Content-Range: 300-$(( $(size "$TMP/a.bin") - 1 ))" \
  --data-binary @"$TMP/a4"
expect_status "PUT with the last chunk and the digest finishes it" 201
req GET "/v2/app/chunks/blobs/sha256:$A"
check "the blob is the chunks joined" cmp -s "$BODY" "$TMP/a.bin"

# A stream without Content-Range (what skopeo sends), chunked encoding too.
open_upload app/stream
req PATCH "$UP" -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/d.bin"
check "a PATCH without Content-Range appends the stream" test "$STATUS|$(header Range)" = "202|0-19999"
req PUT "$UP?digest=sha256:$(sha "$TMP/d.bin")"
expect_status "and an empty PUT finishes it" 201
check "the blob is there" visible app/stream "$TMP/d.bin"

# ---- wrong digests
open_upload app/wrong
patch "$TMP/c.bin" "0-$(( $(size "$TMP/c.bin") - 1 ))"
req PUT "$UP?digest=sha256:$B"
expect_oci "PUT with a digest the bytes do not have" 400 DIGEST_INVALID "digest mismatch"
req HEAD "/v2/app/wrong/blobs/sha256:$B"
check "nothing is visible under the claimed digest" test "$STATUS" = 404
req GET "$UP"
check "the upload is kept with its bytes" test "$STATUS|$(header Range)" = "204|0-49999"
req PUT "$UP?digest=sha256:$C"
expect_status "and the right digest then finishes it" 201
before=$(sessions)
req POST "/v2/app/wrong/blobs/uploads/?digest=sha256:$B" --data-binary @"$TMP/d.bin"
expect_oci "a single POST whose body is not its digest" 400 DIGEST_INVALID
# Neither the digest claimed nor the one of the bytes sent.
neither_visible() { ! visible app/wrong "$TMP/b.bin" && ! visible app/wrong "$TMP/d.bin"; }
check "leaves no blob under either digest" neither_visible
check "and no upload behind" test "$(sessions)" = "$before"
open_upload app/wrong
req PUT "$UP"
expect_oci "PUT without ?digest=" 400 DIGEST_INVALID
req PUT "$UP?digest=md5:abc"
expect_oci "PUT with another algorithm" 400 DIGEST_INVALID

# ---- uploads belong to their repository; cancelling
open_upload app/mine
ID=${UP##*/}
req PATCH "$BASE/v2/app/theirs/blobs/uploads/$ID" --data-binary @"$TMP/a1"
expect_oci "an upload is unknown under another repository" 404 BLOB_UPLOAD_UNKNOWN
req GET "$UP"
expect_header "which appended nothing" Range 0-0
req GET "$BASE/v2/app/mine/blobs/uploads/0123456789abcdef0123456789abcdef"
expect_oci "an unknown upload id" 404 BLOB_UPLOAD_UNKNOWN
before=$(sessions)
req DELETE "$UP"
expect_status "DELETE cancels an upload" 204
check "its bytes are gone" test "$(sessions)" = "$((before - 1))"
req PATCH "$UP" --data-binary @"$TMP/a1"
expect_oci "and it cannot be written any more" 404 BLOB_UPLOAD_UNKNOWN

# ---- mounts
req POST "/v2/app/two/blobs/uploads/?mount=sha256:$B&from=app/one"
expect_status "a mount of a blob the source has is 201" 201
expect_header "at the blob's Location in the target" Location "/v2/app/two/blobs/sha256:$B"
req GET "/v2/app/two/blobs/sha256:$B"
check "and the target serves it" cmp -s "$BODY" "$TMP/b.bin"
req POST "/v2/app/three/blobs/uploads/?mount=sha256:$B&from=app/nothing"
check "a mount from a repository without it falls back to an upload" test \
  "$STATUS:$(header Location | grep -c '^/v2/app/three/blobs/uploads/')" = "202:1"
req GET "/v2/app/three/blobs/sha256:$B"
expect_oci "and links nothing" 404 BLOB_UNKNOWN
req POST "/v2/app/three/blobs/uploads/?mount=sha256:$B"
expect_status "a mount without from opens an upload" 202
req POST "/v2/app/three/blobs/uploads/?mount=sha256:$B&from=Not..Valid"
expect_status "so does one from an invalid name" 202

# ---- uploads cut off half-way
before_files=$(parcels)
head -c 3000000 /dev/urandom >"$TMP/big.bin"
BIG=$(sha "$TMP/big.bin")
open_upload app/cut
curl -sS -o /dev/null -X PATCH --limit-rate 200K --data-binary @"$TMP/big.bin" "$UP" 2>/dev/null &
cpid=$!
sleep 1
kill "$cpid" 2>/dev/null; wait "$cpid" 2>/dev/null
for i in $(seq 1 100); do req GET "$UP"; [ "$STATUS" = 204 ] && break; sleep 0.1; done
got=$(header Range); got=${got#0-}
check "a PATCH killed mid-body keeps what arrived, not all" \
  test "$STATUS" = 204 -a "${got:-0}" -gt 0 -a "${got:-0}" -lt 2999999
req PUT "$UP?digest=sha256:$BIG"
expect_oci "finishing it is refused" 400 DIGEST_INVALID
req HEAD "/v2/app/cut/blobs/sha256:$BIG"
check "and the blob is not visible" test "$STATUS" = 404
before=$(sessions)
{ exec 7<>"/dev/tcp/127.0.0.1/$PORT" &&
  printf 'POST /v2/app/cut/blobs/uploads/?digest=sha256:%s HTTP/1.1\r\nHost: x\r\nContent-Length: 3000000\r\n\r\n' "$BIG" >&7 &&
  head -c 1000000 "$TMP/big.bin" >&7; exec 7>&- 7<&-; } 2>/dev/null
for i in $(seq 1 100); do [ "$(sessions)" = "$before" ] && break; sleep 0.1; done
check "a single POST cut short leaves no upload behind" test "$(sessions)" = "$before"
req HEAD "/v2/app/cut/blobs/sha256:$BIG"
check "nor a visible blob" test "$STATUS" = 404
check "and no parcel was stored by either" test "$(parcels)" = "$before_files"
stop_wharfd; check "wharfd stops cleanly" test $? = 0

# ---- the size limit
DATA="$TMP/small"
start_wharfd --max-parcel-bytes 60000 || exit 1
req POST "/v2/app/big/blobs/uploads/?digest=sha256:$B" --data-binary @"$TMP/b.bin"
expect_oci "a single POST over max-parcel-bytes" 413 SIZE_INVALID "max-parcel-bytes"
open_upload app/big
patch "$TMP/b.bin" 0-69999
expect_oci "a chunk that would pass it" 413 SIZE_INVALID
req PATCH "$UP" -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/b.bin"
expect_oci "a stream that passes it" 413 SIZE_INVALID
req GET "$UP"
expect_oci "which cancels the upload" 404 BLOB_UPLOAD_UNKNOWN
stop_wharfd; check "wharfd stops cleanly" test $? = 0

# ---- the collector
DATA="$TMP/gc"
start_wharfd --gc-grace 1 --gc-interval 1 --log-level info || exit 1
req POST "/v2/gc/loose/blobs/uploads/?digest=sha256:$B" --data-binary @"$TMP/b.bin"
expect_status "an unreferenced blob is pushed" 201
req POST "/v2/gc/kept/blobs/uploads/?digest=sha256:$C" --data-binary @"$TMP/c.bin"
printf 'bindleVersion = "1.0.0"\n\n[bindle]\nname = "gc/kept"\nversion = "1.0.0"\n\n[[parcel]]\n[parcel.label]\nsha256 = "%s"\nmediaType = "application/octet-stream"\nname = "c.bin"\nsize = %s\n' \
  "$C" "$(size "$TMP/c.bin")" >"$TMP/kept.toml"
req POST /_i --data-binary @"$TMP/kept.toml"
expect_status "another is listed by an invoice posted through /v1" 201
open_upload gc/stale
patch "$TMP/a1" 0-99
for i in $(seq 1 100); do visible gc/loose "$TMP/b.bin" || break; sleep 0.1; done
req HEAD "/v2/gc/loose/blobs/sha256:$B"
check "the collector removes the unreferenced blob" test "$STATUS" = 404
check "its bytes too" test ! -e "$DATA/parcels/${B:0:2}/${B:2}"
check "and logs it" grep -q "gc: removed unreferenced blob sha256:$B" "$TMP/wharfd.log"
check "the blob an invoice lists stays" visible gc/kept "$TMP/c.bin"
req GET "/_i/gc/kept/1.0.0@$C"
check "and is still a /v1 parcel" test "$STATUS" = 200
for i in $(seq 1 100); do req GET "$UP"; [ "$STATUS" = 404 ] && break; sleep 0.1; done
expect_oci "a stale upload expires" 404 BLOB_UPLOAD_UNKNOWN
stop_wharfd; check "wharfd stops cleanly" test $? = 0

# ---- auth: the challenge, the token endpoint, scopes
DATA="$TMP/auth"
tok() { "$WHARFD" token create --data "$DATA" "$@" 2>/dev/null; }
PUSHER=$(tok --scopes 'push:auth/* read:auth/*')
OTHER=$(tok --scopes 'push:else/*')
TRUST=1 start_wharfd --verify none --htpasswd "$FIX/htpasswd" || exit 1
REALM="Bearer realm=\"http://127.0.0.1:$PORT/v2/token\",service=\"wharf\""
req GET /v2/
expect_oci "GET /v2/ without credentials is 401" 401 UNAUTHORIZED
expect_header "with a Bearer challenge naming the token endpoint" WWW-Authenticate "$REALM"
expect_header "and Docker-Distribution-API-Version" Docker-Distribution-API-Version registry/2.0
req GET /v2/ -H "Authorization: Bearer $PUSHER"
expect_status "with a token it is 200" 200
req GET /v2/ -H "Authorization: Bearer wht_nonsense"
expect_oci "with a malformed token 401" 401 UNAUTHORIZED "malformed"
req GET /v2/ -H "Authorization: Bearer anonymous"
expect_oci "the anonymous token is no credentials" 401 UNAUTHORIZED

req GET "/v2/token?service=wharf&scope=repository:auth/app:pull"
check "the token endpoint without credentials: the anonymous token" test \
  "$STATUS:$(jget "$BODY" 'd["token"]'):$(jget "$BODY" 'd["access_token"]')" = "200:anonymous:anonymous"
check "with expires_in and an RFC 3339 issued_at" bash -c \
  "[[ '$(jget "$BODY" 'd["expires_in"]')' =~ ^[1-9][0-9]*$ && '$(jget "$BODY" 'd["issued_at"]')' =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]]"
req GET /v2/token -u ":"
check "Basic with an empty user and password is anonymous too" test \
  "$STATUS:$(jget "$BODY" 'd["token"]')" = "200:anonymous"
req GET /v2/token -u "any:$PUSHER"
check "Basic with a token as the password: that token" test \
  "$STATUS:$(jget "$BODY" 'd["token"]')" = "200:$PUSHER"
req GET /v2/token -u admin:sw0rdf1sh
MINTED=$(jget "$BODY" 'd["token"]' 2>/dev/null)
check "an htpasswd user gets a new token for 15 minutes" bash -c \
  "[[ '$STATUS:$MINTED:$(jget "$BODY" 'd["expires_in"]')' =~ ^200:wht_[0-9a-f]{16}_[0-9a-f]{64}:900$ ]]"
req GET /v2/token -u admin:wrong
expect_oci "a wrong password is 401" 401 UNAUTHORIZED "wrong user name or password"
req GET /v2/token -u "any:wht_${PUSHER:4:16}_$(printf '0%.0s' $(seq 64))"
expect_oci "so is a token that does not check out" 401 UNAUTHORIZED

req POST "/v2/auth/app/blobs/uploads/?digest=sha256:$B" --data-binary @"$TMP/b.bin"
expect_oci "a push without credentials is 401" 401 UNAUTHORIZED
expect_header "naming the scope it needs" WWW-Authenticate "$REALM,scope=\"repository:auth/app:pull,push\""
req POST "/v2/auth/app/blobs/uploads/?digest=sha256:$B" -H "Authorization: Bearer anonymous" \
  --data-binary @"$TMP/b.bin"
expect_oci "so is one with the anonymous token" 401 UNAUTHORIZED
req POST "/v2/auth/app/blobs/uploads/?digest=sha256:$B" -H "Authorization: Bearer $OTHER" \
  --data-binary @"$TMP/b.bin"
expect_oci "a token without push on the repository is 403" 403 DENIED "may not push to auth/app"
req POST "/v2/auth/app/blobs/uploads/?digest=sha256:$B" -H "Authorization: Bearer $PUSHER" \
  --data-binary @"$TMP/b.bin"
expect_status "push:auth/* pushes to auth/app" 201
req POST "/v2/secret/x/blobs/uploads/?digest=sha256:$C" -H "Authorization: Bearer $MINTED" \
  --data-binary @"$TMP/c.bin"
expect_status "the minted token works as Bearer (the user's *:*)" 201
req GET "/v2/auth/app/blobs/sha256:$B"
expect_status "reads are anonymous by default" 200
req GET "/v2/auth/app/blobs/sha256:$B" -H "Authorization: Bearer anonymous"
expect_status "also with the anonymous token" 200

# The same flow through a real client: skopeo pings, fetches a token with
# the user's password, then pushes with it; and pulls anonymously.
if command -v skopeo >/dev/null; then
  export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/home/config" XDG_RUNTIME_DIR="$TMP/home/run"
  mkdir -p "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
  printf '{"default":[{"type":"insecureAcceptAnything"}]}\n' >"$TMP/policy.json"
  L="$TMP/layout"; mkdir -p "$L/blobs/sha256"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$L/oci-layout"
  printf '{}' >"$TMP/cfg.json"
  for f in "$TMP/cfg.json" "$TMP/a.bin"; do cp "$f" "$L/blobs/sha256/$(sha "$f")"; done
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:%s","size":2},"layers":[{"mediaType":"application/octet-stream","digest":"sha256:%s","size":%s}]}' \
    "$(sha "$TMP/cfg.json")" "$A" "$(size "$TMP/a.bin")" >"$TMP/man.json"
  cp "$TMP/man.json" "$L/blobs/sha256/$(sha "$TMP/man.json")"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"1.0.0"}}]}' \
    "$(sha "$TMP/man.json")" "$(size "$TMP/man.json")" >"$L/index.json"
  sk() { skopeo --policy "$TMP/policy.json" copy "$@" >"$TMP/skopeo.out" 2>"$TMP/skopeo.err"; }
  sk_ok() { sk "$@" || { sed 's/^/#   /' "$TMP/skopeo.err" | tail -n 5; return 1; }; }
  check "skopeo pushes as an htpasswd user (through a minted token)" \
    sk_ok --dest-tls-verify=false --dest-creds admin:sw0rdf1sh "oci:$L:1.0.0" "docker://127.0.0.1:$PORT/auth/sk:1.0.0"
  check "skopeo with a wrong password is refused" \
    not sk --dest-tls-verify=false --dest-creds admin:wrong "oci:$L:1.0.0" "docker://127.0.0.1:$PORT/auth/sk2:1.0.0"
  check "skopeo pulls anonymously (the anonymous token)" \
    sk_ok --src-tls-verify=false --src-no-creds "docker://127.0.0.1:$PORT/auth/sk:1.0.0" "oci:$TMP/back:1.0.0"
  check "the layer came back whole" cmp -s "$TMP/back/blobs/sha256/$A" "$TMP/a.bin"
else
  fail "skopeo is needed (Debian package skopeo)"
fi
stop_wharfd; check "wharfd stops cleanly" test $? = 0

TRUST=1 start_wharfd --verify none --read-auth token || exit 1
REALM="Bearer realm=\"http://127.0.0.1:$PORT/v2/token\",service=\"wharf\""
req GET "/v2/auth/app/blobs/sha256:$B"
expect_oci "under --read-auth token an anonymous read is 401" 401 UNAUTHORIZED
expect_header "naming the pull scope" WWW-Authenticate "$REALM,scope=\"repository:auth/app:pull\""
req GET "/v2/auth/app/blobs/sha256:$B" -H "Authorization: Bearer $PUSHER"
expect_status "read:auth/* reads it" 200
req POST "/v2/auth/copy/blobs/uploads/?mount=sha256:$C&from=secret/x" -H "Authorization: Bearer $PUSHER"
check "a mount from a repository the caller may not read falls back to an upload" \
  test "$STATUS:$(header Location | grep -c '^/v2/auth/copy/blobs/uploads/')" = "202:1"
req GET "/v2/auth/copy/blobs/sha256:$C" -H "Authorization: Bearer $PUSHER"
expect_oci "and links nothing" 404 BLOB_UNKNOWN
req POST "/v2/auth/copy/blobs/uploads/?mount=sha256:$B&from=auth/app" -H "Authorization: Bearer $PUSHER"
expect_status "one from a repository it may read is 201" 201
stop_wharfd; check "wharfd stops cleanly" test $? = 0

finish
