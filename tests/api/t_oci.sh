#!/usr/bin/env bash
# The OCI side of wharfd (docs/oci.md), with skopeo as the client: an OCI
# layout pushed and pulled back unchanged; a push with a SemVer tag is a
# host-signed bindle readable through /v1, and a bindle published through
# /v1 pulls as the CNCF wasm layout (one module) or as an artifact whose
# config is the invoice (anything else), deterministically; wasm layers are
# checked as /v1 parcels are; other tags stay OCI-only; yanks, immutability,
# deletion rules, tag and catalog paging, referrers, missing blobs, the
# trust policy for unsigned pushes, and the catalog under --read-auth token.
. "$(dirname "$0")/lib.sh"

command -v skopeo >/dev/null || { fail "skopeo is needed (Debian package skopeo)"; finish; exit; }
command -v wat2wasm >/dev/null || { fail "wat2wasm (Debian package wabt) is needed"; finish; exit; }
export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/home/config" XDG_RUNTIME_DIR="$TMP/home/run"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
printf '{"default":[{"type":"insecureAcceptAnything"}]}\n' >"$TMP/policy.json"
MT_MAN=application/vnd.oci.image.manifest.v1+json
MT_INDEX=application/vnd.oci.image.index.v1+json
EMPTY_SHA=44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a

# manifest OUT CONFIG_MT CONFIG [LAYER_MT LAYER]...: an image manifest.
manifest() {
  local out=$1 cmt=$2 cfg=$3 sep=""
  shift 3
  { printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"sha256:%s","size":%s},"layers":[' \
      "$MT_MAN" "$cmt" "$(sha "$cfg")" "$(size "$cfg")"
    while [ $# -gt 0 ]; do
      printf '%s{"mediaType":"%s","digest":"sha256:%s","size":%s}' "$sep" "$1" "$(sha "$2")" "$(size "$2")"
      sep=,; shift 2
    done
    printf ']}'; } >"$out"
}
# layout DIR REF MANIFEST BLOB...: an OCI image layout holding MANIFEST as REF.
layout() {
  local dir=$1 ref=$2 man=$3 f
  shift 3
  mkdir -p "$dir/blobs/sha256"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
  for f in "$man" "$@"; do cp "$f" "$dir/blobs/sha256/$(sha "$f")"; done
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"%s","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
    "$MT_MAN" "$(sha "$man")" "$(size "$man")" "$ref" >"$dir/index.json"
}
sk() { skopeo --policy "$TMP/policy.json" "$@" >"$TMP/skopeo.out" 2>"$TMP/skopeo.err"; }
# push LAYOUT:REF REPO:TAG [CREDS] and pull REPO:TAG LAYOUT:REF [CREDS], with skopeo.
push() {
  local creds=(--dest-no-creds)
  [ -n "${3:-}" ] && creds=(--dest-creds "any:$3")
  sk copy --dest-tls-verify=false "${creds[@]}" "oci:$TMP/$1" "docker://127.0.0.1:$PORT/$2"
}
pull() { sk copy --src-tls-verify=false --src-no-creds "docker://127.0.0.1:$PORT/$1" "oci:$TMP/$2"; }
raw_manifest() {
  skopeo --policy "$TMP/policy.json" inspect --tls-verify=false --no-creds --raw \
    "docker://127.0.0.1:$PORT/$1" >"$2" 2>"$TMP/skopeo.err"
}
skopeo_ok() { if [ "$1" = 0 ]; then return 0; fi; sed 's/^/#   /' "$TMP/skopeo.err" | tail -n 5; return 1; }
skopeo_failed() { [ "$1" != 0 ]; }
# The digest a pulled layout's index names, and its blob of a digest.
pulled_digest() { jget "$TMP/$1/index.json" 'd["manifests"][0]["digest"]'; }
pulled_blob() { echo "$TMP/$1/blobs/sha256/${2#sha256:}"; }
put_manifest() {  # put_manifest REPO REF FILE [CONTENT-TYPE]
  req PUT "/v2/$1/manifests/$2" -H "Content-Type: ${4:-$MT_MAN}" --data-binary @"$3"
}
push_blob() {  # push_blob REPO FILE: POST then PUT ?digest=, as the spec's monolithic upload
  req POST "/v2/$1/blobs/uploads/"
  local loc
  loc=$(header Location)
  case "$loc" in http*) ;; *) loc="$BASE$loc" ;; esac
  case "$loc" in *\?*) loc="$loc&digest=sha256:$(sha "$2")" ;; *) loc="$loc?digest=sha256:$(sha "$2")" ;; esac
  req PUT "$loc" -H 'Content-Type: application/octet-stream' --data-binary @"$2"
}
tags_of() { req GET "/v2/$1/tags/list${2:-}"; jget "$BODY" '",".join(d["tags"])'; }
inv_toml() {  # inv_toml NAME VERSION [MEDIATYPE FILE LABEL]...: a /v1 invoice
  local name=$1 version=$2
  shift 2
  printf 'bindleVersion = "1.0.0"\n\n[bindle]\nname = "%s"\nversion = "%s"\n' "$name" "$version"
  while [ $# -gt 0 ]; do
    printf '\n[[parcel]]\n[parcel.label]\nsha256 = "%s"\nmediaType = "%s"\nname = "%s"\nsize = %s\n' \
      "$(sha "$2")" "$1" "$3" "$(size "$2")"
    shift 3
  done
}
publish_v1() {  # publish_v1 NAME VERSION [MEDIATYPE FILE LABEL]...: invoice and parcels
  local name=$1 version=$2 ok=0
  inv_toml "$@" >"$TMP/v1.toml"
  req POST /_i --data-binary @"$TMP/v1.toml"
  case "$STATUS" in 201|202) ;; *) ok=1 ;; esac
  shift 2
  while [ $# -gt 0 ]; do
    req POST "/_i/$name/$version@$(sha "$2")" --data-binary @"$2"
    [ "$STATUS" = 200 ] || ok=1
    shift 3
  done
  return $ok
}

# ---- the inputs
W="$TMP/w"
mkdir -p "$W"
wat2wasm tests/wasm/mvp.wat -o "$W/hello.wasm"
wat2wasm tests/wasm/bulk_memory.wat -o "$W/v1mod.wasm"
wat2wasm tests/wasm/sign_extension.wat -o "$W/v1layer.wasm"
HELLO=$(sha "$W/hello.wasm")
printf '{"architecture":"wasm","os":"wasip1","layerDigests":["sha256:%s"]}' "$HELLO" >"$W/hello.cfg"
manifest "$W/hello.man" application/vnd.wasm.config.v0+json "$W/hello.cfg" application/wasm "$W/hello.wasm"
layout "$TMP/in-hello" 1.0.0 "$W/hello.man" "$W/hello.cfg" "$W/hello.wasm"
MAN=$(sha "$W/hello.man")

start_wharfd || exit 1

# ---- (a) a wasm layout pushed and pulled back unchanged
push in-hello:1.0.0 app/hello:1.0.0
check "skopeo pushes a wasm OCI layout with a SemVer tag" skopeo_ok $?
pull app/hello:1.0.0 out-hello:1.0.0
check "and pulls it back" skopeo_ok $?
check "with the same manifest digest" test "$(pulled_digest out-hello)" = "sha256:$MAN"
check "the same config" cmp -s "$W/hello.cfg" "$(pulled_blob out-hello "$(sha "$W/hello.cfg")")"
check "the same wasm layer" cmp -s "$W/hello.wasm" "$(pulled_blob out-hello "$HELLO")"
raw_manifest app/hello:1.0.0 "$TMP/raw"
check "skopeo inspect --raw gives the pushed bytes" cmp -s "$W/hello.man" "$TMP/raw"
req GET "/v2/app/hello/manifests/sha256:$MAN"
expect_status "GET by digest" 200
check "serves the exact bytes" cmp -s "$W/hello.man" "$BODY"
check "with the media type as Content-Type" test "$(header Content-Type)" = "$MT_MAN"
check "and Docker-Content-Digest" test "$(header Docker-Content-Digest)" = "sha256:$MAN"
check "and the digest as ETag" test "$(header ETag)" = "\"sha256:$MAN\""
req HEAD /v2/app/hello/manifests/1.0.0
expect_status "HEAD by tag" 200
check "announces the length without a body" test "$(header Content-Length)" = "$(size "$W/hello.man")" -a ! -s "$BODY"
check "and the digest" test "$(header Docker-Content-Digest)" = "sha256:$MAN"

# ---- (b) the push is a host-signed bindle
req GET /_i/app/hello/1.0.0 -H 'Accept: application/json'
expect_status "the SemVer push made bindle app/hello/1.0.0" 200
cp "$BODY" "$TMP/hello.inv.json"
check "listing the wasm layer" test "$(jget "$TMP/hello.inv.json" "[p['label']['mediaType'] for p in d['parcel'] if p['label']['sha256'] == '$HELLO']")" = '["application/wasm"]'
check "and the config in the optional group oci-config" test "$(jget "$TMP/hello.inv.json" "[p['conditions']['memberOf'] for p in d['parcel'] if p['label']['sha256'] == '$(sha "$W/hello.cfg")']")" = '[["oci-config"]]'
check "naming the manifest it came from" test "$(jget "$TMP/hello.inv.json" "d['annotations']['wharf.oci.manifest']")" = "sha256:$MAN"
check "signed by the host" test "$(jget "$TMP/hello.inv.json" "[s['role'] for s in d['signature']]")" = '["host"]'
req GET "/_i/app/hello/1.0.0@$HELLO"
expect_status "the layer downloads through /v1" 200
check "byte for byte" cmp -s "$W/hello.wasm" "$BODY"
req GET "/_m/app/hello/1.0.0@$HELLO" -H 'Accept: application/json'
check "and was checked as a wasm module (/v1/_m)" test "$(jget "$BODY" 'd["valid"]')" = true

# ---- (c) a bindle published through /v1, pulled with skopeo
publish_v1 app/fromv1 1.0.0 application/wasm "$W/v1mod.wasm" v1mod.wasm
check "a one-module bindle published through /v1" test $? = 0
racers=()
for i in 1 2 3 4; do
  curl -s -o /dev/null -w '%header{docker-content-digest}\n' "$BASE/v2/app/fromv1/manifests/1.0.0" >"$TMP/race.$i" &
  racers+=($!)
done
wait "${racers[@]}"
check "four concurrent first GETs of its view agree" test "$(sort -u "$TMP"/race.* | wc -l)" = 1
check "on a digest" grep -qx 'sha256:[0-9a-f]\{64\}' "$TMP/race.1"
pull app/fromv1:1.0.0 out-v1:1.0.0
check "skopeo pulls it" skopeo_ok $?
V1MAN=$(pulled_blob out-v1 "$(pulled_digest out-v1)")
check "as the same manifest" test "$(pulled_digest out-v1)" = "$(cat "$TMP/race.1")"
check "in the CNCF wasm layout: config application/vnd.wasm.config.v0+json" test "$(jget "$V1MAN" 'd["config"]["mediaType"]')" = application/vnd.wasm.config.v0+json
check "one application/wasm layer" test "$(jget "$V1MAN" '[l["mediaType"] for l in d["layers"]]')" = '["application/wasm"]'
check "which is the parcel" cmp -s "$W/v1mod.wasm" "$(pulled_blob out-v1 "$(jget "$V1MAN" 'd["layers"][0]["digest"]')")"
check "a core module is wasip1" test "$(jget "$(pulled_blob out-v1 "$(jget "$V1MAN" 'd["config"]["digest"]')")" 'd["os"]')" = wasip1
raw_manifest app/fromv1:1.0.0 "$TMP/raw1"
raw_manifest app/fromv1:1.0.0 "$TMP/raw2"
check "the view is the same bytes each time" cmp -s "$TMP/raw1" "$TMP/raw2"
check "and those skopeo pulled" cmp -s "$TMP/raw1" "$V1MAN"
V1DIGEST=$(pulled_digest out-v1)

printf '# readme\n' >"$W/readme.md"
head -c 3000 /dev/urandom >"$W/data.bin"
publish_v1 app/multi 0.3.0 text/markdown "$W/readme.md" readme.md application/octet-stream "$W/data.bin" data.bin
check "a two-parcel bindle published through /v1" test $? = 0
pull app/multi:0.3.0 out-multi:0.3.0
check "skopeo pulls it" skopeo_ok $?
MM=$(pulled_blob out-multi "$(pulled_digest out-multi)")
check "as a bindle artifact" test "$(jget "$MM" 'd.get("artifactType")')" = application/vnd.wharf.bindle.v1
check "whose config is the invoice" test "$(jget "$MM" 'd["config"]["mediaType"]')" = application/vnd.wharf.bindle.invoice.v1+toml
req GET /_i/app/multi/0.3.0
check "the invoice as /v1 serves it" cmp -s "$BODY" "$(pulled_blob out-multi "$(jget "$MM" 'd["config"]["digest"]')")"
check "layers titled by label name" test "$(jget "$MM" '[l["annotations"]["org.opencontainers.image.title"] for l in d["layers"]]')" = '["readme.md", "data.bin"]'
check "holding the parcels" cmp -s "$W/data.bin" "$(pulled_blob out-multi "$(sha "$W/data.bin")")"

head -c 500 /dev/urandom >"$W/later.bin"
inv_toml app/partial 1.0.0 application/octet-stream "$W/later.bin" later.bin >"$TMP/partial.toml"
req POST /_i --data-binary @"$TMP/partial.toml"
expect_status "a bindle whose parcel is not uploaded yet" 202
req GET /v2/app/partial/manifests/1.0.0
expect_oci "has no OCI view yet" 404 MANIFEST_UNKNOWN "not uploaded yet"
req POST "/_i/app/partial/1.0.0@$(sha "$W/later.bin")" --data-binary @"$W/later.bin"
req GET /v2/app/partial/manifests/1.0.0
expect_status "and has one once it is" 200

# ---- (d) the v1 wasm media types, and a plain image
printf '{"architecture":"wasm","os":"wasip1","layerDigests":["sha256:%s"]}' "$(sha "$W/v1layer.wasm")" >"$W/v1.cfg"
manifest "$W/v1.man" application/vnd.wasm.config.v1+json "$W/v1.cfg" application/vnd.wasm.content.layer.v1+wasm "$W/v1layer.wasm"
layout "$TMP/in-v1" 2.0.0 "$W/v1.man" "$W/v1.cfg" "$W/v1layer.wasm"
push in-v1:2.0.0 app/wasmv1:2.0.0
check "the v1 wasm media types are accepted" skopeo_ok $?
req GET /_i/app/wasmv1/2.0.0
expect_status "as a bindle" 200
req GET "/_m/app/wasmv1/2.0.0@$(sha "$W/v1layer.wasm")" -H 'Accept: application/json'
check "whose layer was checked as wasm" test "$(jget "$BODY" 'd["valid"]')" = true
mkdir -p "$W/rootfs"
printf 'hello from a plain image\n' >"$W/rootfs/hello.txt"
tar --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$W/layer.tar" -C "$W/rootfs" hello.txt
gzip -n -c "$W/layer.tar" >"$W/layer.tgz"
printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$(sha "$W/layer.tar")" >"$W/img.cfg"
manifest "$W/img.man" application/vnd.oci.image.config.v1+json "$W/img.cfg" application/vnd.oci.image.layer.v1.tar+gzip "$W/layer.tgz"
layout "$TMP/in-img" 1.0.0 "$W/img.man" "$W/img.cfg" "$W/layer.tgz"
push in-img:1.0.0 app/image:1.0.0
check "a plain OCI image (tar+gzip layer) is accepted" skopeo_ok $?
pull app/image:1.0.0 out-img:1.0.0
check "and pulls back unchanged" test "$(pulled_digest out-img)" = "sha256:$(sha "$W/img.man")"
check "layer included" cmp -s "$W/layer.tgz" "$(pulled_blob out-img "$(sha "$W/layer.tgz")")"

# ---- (e) a tag that is not SemVer stays OCI-only
push in-hello:1.0.0 app/ocionly:latest
check "a push tagged latest" skopeo_ok $?
req GET /v2/app/ocionly/manifests/latest
expect_status "is served by tag" 200
req GET '/_q?q=app/ocionly&strict=true' -H 'Accept: application/json'
check "but makes no bindle" test "$(jget "$BODY" 'd["total"]')" = 0
check "its tag is listed" test "$(tags_of app/ocionly)" = latest

# ---- (f) an invalid wasm layer under a SemVer tag
printf '\0asm\1\0\0\0\1\5\1' >"$W/bad.wasm"
manifest "$W/bad.man" application/vnd.wasm.config.v0+json "$W/hello.cfg" application/wasm "$W/bad.wasm"
layout "$TMP/in-bad" scratch "$W/bad.man" "$W/hello.cfg" "$W/bad.wasm"
push in-bad:scratch app/bad:scratch
check "an invalid module under a non-SemVer tag is stored as it is" skopeo_ok $?
put_manifest app/bad 1.0.0 "$W/bad.man"
expect_oci "under a SemVer tag it is refused" 400 MANIFEST_INVALID "not a valid wasm module"
check "with wabt's reason" bash -c "test \"\$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))[\"errors\"][0][\"message\"].split(\"module: \",1)[1]))' '$BODY')\" -gt 3"
manifest "$W/bad2.man" application/vnd.wasm.config.v0+json "$W/hello.cfg" application/octet-stream "$W/bad.wasm"
put_manifest app/bad 1.0.1 "$W/bad2.man"
expect_oci "also when only its magic says wasm" 400 MANIFEST_INVALID "not a valid wasm module"
req GET /_i/app/bad/1.0.0
expect_status "and no bindle is made" 404
push in-bad:scratch app/bad:1.0.2
check "skopeo's push of it fails too" skopeo_failed $?
check "showing the reason" grep -q "not a valid wasm module" "$TMP/skopeo.err"

# ---- (j) references that are not there
head -c 100 /dev/urandom >"$W/ghost.bin"
manifest "$W/ghost.man" application/vnd.wasm.config.v0+json "$W/hello.cfg" application/octet-stream "$W/ghost.bin"
put_manifest app/hello ghost "$W/ghost.man"
expect_oci "a manifest naming a blob never uploaded" 400 MANIFEST_BLOB_UNKNOWN
put_manifest app/hello 9.9.9 "$W/ghost.man"
expect_oci "also under a SemVer tag" 400 MANIFEST_BLOB_UNKNOWN
printf '{"schemaVersion":2,"mediaType":"%s","manifests":[{"mediaType":"%s","digest":"sha256:%s","size":7}]}' \
  "$MT_INDEX" "$MT_MAN" "$(sha "$W/ghost.bin")" >"$W/ghost.idx"
put_manifest app/hello ghostidx "$W/ghost.idx" "$MT_INDEX"
expect_oci "an index naming an unknown manifest" 400 MANIFEST_UNKNOWN
printf '{"schemaVersion":2,"mediaType":"%s","manifests":[{"mediaType":"%s","digest":"sha256:%s","size":%s}]}' \
  "$MT_INDEX" "$MT_MAN" "$MAN" "$(size "$W/hello.man")" >"$W/hello.idx"
put_manifest app/hello 3.0.0 "$W/hello.idx" "$MT_INDEX"
expect_status "an index of a stored manifest, SemVer tag or not" 201
req GET /_i/app/hello/3.0.0
expect_status "is OCI-only: indexes are not bindles" 404

# ---- (k) immutability
put_manifest app/hello 1.0.0 "$W/hello.man"
expect_status "pushing the same manifest to 1.0.0 again succeeds" 201
check "with its digest" test "$(header Docker-Content-Digest)" = "sha256:$MAN"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["annotations"]={"x":"y"}; open(sys.argv[2],"w").write(json.dumps(d))' "$W/hello.man" "$W/hello2.man"
put_manifest app/hello 1.0.0 "$W/hello2.man"
expect_oci "another manifest to 1.0.0 is refused" 403 DENIED "immutable"
put_manifest app/fromv1 1.0.0 "$V1MAN"
expect_status "a bindle's own view pushed back is idempotent too" 201
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["annotations"]["x"]="y"; open(sys.argv[2],"w").write(json.dumps(d))' "$V1MAN" "$W/v1view2.man"
put_manifest app/fromv1 1.0.0 "$W/v1view2.man"
expect_oci "anything else to a /v1 bindle's version is refused" 403 DENIED "app/fromv1/1.0.0 exists and is immutable"

# ---- request errors
put_manifest app/hello "sha256:$(sha "$W/ghost.bin")" "$W/hello.man"
expect_oci "a digest reference that is not the body's" 400 DIGEST_INVALID
put_manifest app/hello -bad "$W/hello.man"
expect_oci "an invalid tag" 400 TAG_INVALID
printf '{"schemaVersion":' >"$W/broken.man"
put_manifest app/hello broken "$W/broken.man"
expect_oci "a manifest that is not JSON" 400 MANIFEST_INVALID
head -c $((4 * 1024 * 1024 + 1)) /dev/zero >"$W/huge.man"
put_manifest app/hello huge "$W/huge.man"
expect_oci "a manifest over 4 MiB is 413" 413 SIZE_INVALID
put_manifest app/hello "sha256:$MAN" "$W/hello.man"
expect_status "a push by digest" 201
check "says where it is" test "$(header Location)" = "/v2/app/hello/manifests/sha256:$MAN"

# ---- (h) tags, catalog, referrers
push in-hello:1.0.0 app/paging:t0
check "a repository for paging" skopeo_ok $?
for t in t1 t2 t3 0.1.0; do put_manifest app/paging $t "$W/hello.man"; done
check "tags list merges OCI tags and bindle versions, in order" test "$(tags_of app/paging)" = 0.1.0,t0,t1,t2,t3
check "n=2 is the first page" test "$(tags_of app/paging '?n=2')" = 0.1.0,t0
check "with a Link to the next" test "$(header Link)" = '</v2/app/paging/tags/list?n=2&last=t0>; rel="next"'
check "which gives the next two" test "$(tags_of app/paging '?n=2&last=t0')" = t1,t2
check "last page" test "$(tags_of app/paging '?n=2&last=t2')" = t3
check "has no Link" test -z "$(header Link)"
check "n=0 is an empty list" test "$(tags_of app/paging '?n=0')" = ""
check "without Link" test -z "$(header Link)"
tags_of app/paging '?last=zzz' >/dev/null
expect_status "past the end is still 200" 200
req GET /v2/app/nothing/tags/list
expect_oci "an unknown repository" 404 NAME_UNKNOWN
req GET '/v2/app/paging/tags/list?n=x'
expect_status "a bad n is 400" 400

publish_v1 App/Upper 1.0.0 text/markdown "$W/readme.md" readme.md
check "a bindle whose name is no repository name" test $? = 0
req GET /v2/_catalog
cp "$BODY" "$TMP/catalog"
check "the catalog lists repositories, in order" test "$(jget "$TMP/catalog" '",".join(d["repositories"])')" = app/bad,app/fromv1,app/hello,app/image,app/multi,app/ocionly,app/paging,app/partial,app/wasmv1
pages="" last=""
for i in 1 2 3 4 5; do
  req GET "/v2/_catalog?n=3${last:+&last=$last}"
  pages="$pages${pages:+,}$(jget "$BODY" '",".join(d["repositories"])')"
  link=$(header Link)
  [ -n "$link" ] || break
  last=$(printf '%s' "$link" | sed -n 's/.*last=\([^>]*\)>.*/\1/p')
done
check "paging it with n=3 gives the same names" test "$pages" = "$(jget "$TMP/catalog" '",".join(d["repositories"])')"
check "in three pages" test "$i" = 3

printf '{}' >"$W/empty.json"
push_blob app/hello "$W/empty.json"
expect_status "the empty blob uploads" 201
printf '{"schemaVersion":2,"mediaType":"%s","artifactType":"application/vnd.example.sbom.v1","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:%s","size":2},"layers":[{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:%s","size":2}],"subject":{"mediaType":"%s","digest":"sha256:%s","size":%s},"annotations":{"org.example.kind":"sbom"}}' \
  "$MT_MAN" "$EMPTY_SHA" "$EMPTY_SHA" "$MT_MAN" "$MAN" "$(size "$W/hello.man")" >"$W/sbom.man"
SBOM=$(sha "$W/sbom.man")
put_manifest app/hello "sha256:$SBOM" "$W/sbom.man"
expect_status "a manifest with a subject is stored" 201
check "answering OCI-Subject" test "$(header OCI-Subject)" = "sha256:$MAN"
printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.example.sig.v1+json","digest":"sha256:%s","size":2},"layers":[],"subject":{"mediaType":"%s","digest":"sha256:%s","size":%s}}' \
  "$MT_MAN" "$EMPTY_SHA" "$MT_MAN" "$MAN" "$(size "$W/hello.man")" >"$W/sig.man"
put_manifest app/hello "sha256:$(sha "$W/sig.man")" "$W/sig.man"
expect_status "a second one, without artifactType" 201
req GET "/v2/app/hello/referrers/sha256:$MAN"
expect_status "referrers" 200
check "are an image index" test "$(header Content-Type)" = "$MT_INDEX"
check "of both" test "$(jget "$BODY" 'sorted(m["digest"] for m in d["manifests"])')" = "$(python3 -c 'import json,sys; print(json.dumps(sorted(sys.argv[1:])))' "sha256:$SBOM" "sha256:$(sha "$W/sig.man")")"
check "with artifactType, the config's media type when it has none" test "$(jget "$BODY" 'sorted(m["artifactType"] for m in d["manifests"])')" = '["application/vnd.example.sbom.v1", "application/vnd.example.sig.v1+json"]'
check "annotations and size" test "$(jget "$BODY" "[(m['annotations'], m['size']) for m in d['manifests'] if m['digest'] == 'sha256:$SBOM']")" = "[[{\"org.example.kind\": \"sbom\"}, $(size "$W/sbom.man")]]"
req GET "/v2/app/hello/referrers/sha256:$MAN?artifactType=application/vnd.example.sbom.v1"
check "filtered by artifactType" test "$(jget "$BODY" '[m["digest"] for m in d["manifests"]]')" = "[\"sha256:$SBOM\"]"
check "saying so" test "$(header OCI-Filters-Applied)" = artifactType
req GET "/v2/app/hello/referrers/sha256:$(sha "$W/ghost.bin")"
expect_status "an unknown subject" 200
check "has an empty index" test "$(jget "$BODY" 'd["manifests"]')" = '[]'
sed "s/$MAN/$(sha "$W/ghost.bin")/" "$W/sbom.man" >"$W/orphan.man"
put_manifest app/hello "sha256:$(sha "$W/orphan.man")" "$W/orphan.man"
expect_status "a subject that is not stored is fine (spec 1.1)" 201

# ---- (i) deletion
req DELETE "/v2/app/hello/manifests/sha256:$MAN"
expect_oci "a bindle's manifest is not deleted" 405 UNSUPPORTED "DELETE /v1/_i/app/hello/1.0.0"
req DELETE /v2/app/hello/manifests/1.0.0
expect_oci "nor its version tag" 405 UNSUPPORTED "yanked, not deleted"
push in-hello:1.0.0 app/twice:latest
put_manifest app/twice 1.0.0 "$W/hello.man"
expect_status "a manifest first pushed as latest, then as 1.0.0" 201
req GET /v2/app/twice/manifests/1.0.0
check "the bindle serves it" test "$(header Docker-Content-Digest)" = "sha256:$MAN"
req DELETE "/v2/app/twice/manifests/sha256:$MAN"
expect_oci "and it cannot be deleted by digest either" 405 UNSUPPORTED
# A bindle posted through /v1 naming a manifest pushed apart from it, as a
# mirror does: that manifest is its view, and is protected as one.
push in-hello:1.0.0 app/mirror:src
printf 'bindleVersion = "1.0.0"\n\n[bindle]\nname = "app/mirror"\nversion = "1.0.0"\n\n[annotations]\n"wharf.oci.manifest" = "sha256:%s"\n\n[[parcel]]\n[parcel.label]\nsha256 = "%s"\nmediaType = "application/wasm"\nname = "hello.wasm"\nsize = %s\n\n[[parcel]]\n[parcel.label]\nsha256 = "%s"\nmediaType = "application/vnd.wasm.config.v0+json"\nname = "oci-config.json"\nsize = %s\n' \
  "$MAN" "$HELLO" "$(size "$W/hello.wasm")" "$(sha "$W/hello.cfg")" "$(size "$W/hello.cfg")" >"$TMP/mirror.toml"
req POST /_i --data-binary @"$TMP/mirror.toml"
expect_status "a /v1 bindle naming a stored manifest" 201
req DELETE "/v2/app/mirror/manifests/sha256:$MAN"
expect_oci "that manifest cannot be deleted" 405 UNSUPPORTED "DELETE /v1/_i/app/mirror/1.0.0"
req GET /v2/app/mirror/manifests/1.0.0
check "and is what the bindle's version serves" test "$(header Docker-Content-Digest)" = "sha256:$MAN"
# A bindle whose annotation names a manifest that lists other blobs is not
# served as that manifest (nor given a view of its own that would stand for
# it for good).
printf 'bindleVersion = "1.0.0"\n\n[bindle]\nname = "app/mirror"\nversion = "2.0.0"\n\n[annotations]\n"wharf.oci.manifest" = "sha256:%s"\n\n[[parcel]]\n[parcel.label]\nsha256 = "%s"\nmediaType = "application/octet-stream"\nname = "other.bin"\nsize = %s\n' \
  "$MAN" "$(sha "$W/ghost.bin")" "$(size "$W/ghost.bin")" >"$TMP/claim.toml"
req POST /_i --data-binary @"$TMP/claim.toml"
req POST "/_i/app/mirror/2.0.0@$(sha "$W/ghost.bin")" --data-binary @"$W/ghost.bin"
expect_status "a /v1 bindle claiming a manifest that lists other blobs, its parcel uploaded" 200
req GET /v2/app/mirror/manifests/2.0.0
expect_oci "has no OCI view" 404 MANIFEST_UNKNOWN "does not list its parcels"
# Descriptor sizes are checked against the stored blobs.
sed "s/\"size\":$(size "$W/hello.wasm")}/\"size\":99999}/" "$W/hello.man" >"$W/liar.man"
put_manifest app/hello 7.0.0 "$W/liar.man"
expect_oci "a manifest that gives a blob the wrong size is refused" 400 MANIFEST_INVALID "99999"
req GET /_i/app/hello/7.0.0
expect_status "and makes no bindle" 404
# A pushed manifest cannot pass itself off as a mirror.
printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"application/vnd.wasm.config.v0+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/wasm","digest":"sha256:%s","size":%s}],"annotations":{"wharf.mirror.source":"upstream.example/x@sha256:%s","org.example.kept":"yes"}}' \
  "$MT_MAN" "$(sha "$W/hello.cfg")" "$(size "$W/hello.cfg")" "$HELLO" "$(size "$W/hello.wasm")" "$HELLO" >"$W/fake-mirror.man"
push in-hello:1.0.0 app/fake:scratch
put_manifest app/fake 8.0.0 "$W/fake-mirror.man"
expect_status "a manifest carrying wharf.mirror.source is pushed" 201
req GET /_i/app/fake/8.0.0 -H 'Accept: application/json'
check "but its bindle does not claim to be a mirror, and keeps the other annotations" \
  test "$(jget "$BODY" '[d["annotations"].get("wharf.mirror.source"), d["annotations"].get("org.example.kept")]')" = '[null, "yes"]'
req DELETE "/v2/app/mirror/manifests/sha256:$MAN"
expect_oci "still so once the link is recorded" 405 UNSUPPORTED
req DELETE /v2/app/ocionly/manifests/latest
expect_status "an OCI tag is deleted" 202
req GET /v2/app/ocionly/manifests/latest
expect_oci "and is gone" 404 MANIFEST_UNKNOWN
req DELETE "/v2/app/hello/manifests/sha256:$SBOM"
expect_status "an OCI-only manifest is deleted by digest" 202
req GET "/v2/app/hello/manifests/sha256:$SBOM"
expect_oci "and is gone" 404 MANIFEST_UNKNOWN
req GET "/v2/app/hello/referrers/sha256:$MAN"
check "from the referrers too" test "$(jget "$BODY" 'len(d["manifests"])')" = 1
req DELETE "/v2/app/paging/manifests/sha256:$(sha "$W/img.man")"
expect_oci "an unknown digest" 404 MANIFEST_UNKNOWN
req DELETE /v2/app/paging/manifests/nosuchtag
expect_oci "an unknown tag" 404 MANIFEST_UNKNOWN

# ---- (g) a yanked bindle
put_manifest app/hello latest "$W/hello.man"
req DELETE /_i/app/hello/1.0.0
expect_status "yank app/hello/1.0.0 through /v1" 200
req GET /v2/app/hello/manifests/1.0.0
expect_oci "its manifest is then unknown by version" 404 MANIFEST_UNKNOWN "yanked"
check "and it is gone from tags/list" test "$(tags_of app/hello)" = 3.0.0,latest
put_manifest app/hello 1.0.0 "$W/hello.man"
expect_oci "nor can it be pushed again" 403 DENIED "yanked"
req GET "/v2/app/hello/manifests/sha256:$MAN"
expect_oci "and its view is not served by digest either" 404 MANIFEST_UNKNOWN "yanked"
check "the server stops cleanly" stop_wharfd

# ---- determinism across servers, and the trust policy for unsigned pushes
DATA="$TMP/data2" start_wharfd --aot-targets x86_64-linux-gnu --aot-workers 1 || exit 1
publish_v1 app/fromv1 1.0.0 application/wasm "$W/v1mod.wasm" v1mod.wasm
req HEAD /v2/app/fromv1/manifests/1.0.0
check "the same bindle on another server has the same view digest" test "$(header Docker-Content-Digest)" = "$V1DIGEST"
push in-hello:1.0.0 app/aot:1.0.0
check "a module pushed over OCI" skopeo_ok $?
req GET "/_m/app/aot/1.0.0@$HELLO" -H 'Accept: application/json'
check "is queued for AOT like a /v1 parcel" test "$(jget "$BODY" '[a["target"] for a in d["aot"]]')" = '["x86_64-linux-gnu"]'
stop_wharfd
DATA="$TMP/data5" start_wharfd --max-parcels 1 || exit 1
push in-hello:1.0.0 app/limits:scratch
put_manifest app/limits 1.0.0 "$W/hello.man"
expect_oci "a manifest making a bindle over max-parcels is refused" 400 MANIFEST_INVALID "max-parcels"
stop_wharfd
DATA="$TMP/data3" TRUST=1 start_wharfd --auth none || exit 1
push in-hello:1.0.0 app/signed:1.0.0
check "with signature checks on, a new name may be pushed over OCI" skopeo_ok $?
req GET /_i/app/signed/1.0.0 -H 'Accept: application/json'
check "signed by the host alone" test "$(jget "$BODY" "[s['role'] for s in d['signature']]")" = '["host"]'
put_manifest app/signed 1.1.0 "$W/hello2.man"
expect_oci "but a second version of it is refused" 403 DENIED "wharf push"
put_manifest app/signed 1.0.0 "$W/hello.man"
expect_status "while the same push again is still fine" 201
put_manifest app/signed edge "$W/hello.man"
expect_status "and non-SemVer tags are OCI-only, not publications" 201
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"%s","digest":"sha256:%s","size":%s}]}' \
  "$MT_MAN" "$MAN" "$(size "$W/hello.man")" >"$W/index.man"
put_manifest app/signed 2.0.0 "$W/index.man" application/vnd.oci.image.index.v1+json
expect_oci "an index under a SemVer tag of a held name is refused too" 403 DENIED "wharf push"
put_manifest app/signed 1.0.0 "$W/index.man" application/vnd.oci.image.index.v1+json
expect_oci "and one under an existing version" 403 DENIED "immutable"
stop_wharfd

# ---- tokens: skopeo with credentials, and the catalog under --read-auth token
DATA="$TMP/data4"
ALL=$("$WHARFD" token create --scopes 'push:* read:* yank:*' --data "$DATA" 2>/dev/null)
APPS=$("$WHARFD" token create --scopes 'read:app/*' --data "$DATA" 2>/dev/null)
DATA="$TMP/data4" TRUST=1 start_wharfd --verify none --read-auth token || exit 1
push in-hello:1.0.0 app/a:1.0.0
check "without credentials a push is refused" skopeo_failed $?
push in-hello:1.0.0 app/a:1.0.0 "$ALL"
check "skopeo pushes with --dest-creds any:TOKEN" skopeo_ok $?
push in-hello:1.0.0 other/b:1.0.0 "$ALL"
check "to another namespace too" skopeo_ok $?
req GET /v2/_catalog -H "Authorization: Bearer $ALL"
check "the catalog shows a reader of everything both" test "$(jget "$BODY" '",".join(d["repositories"])')" = app/a,other/b
req GET /v2/_catalog -H "Authorization: Bearer $APPS"
check "and a reader of app/* only app/a" test "$(jget "$BODY" '",".join(d["repositories"])')" = app/a
req GET '/v2/_catalog?n=1' -H "Authorization: Bearer $APPS"
check "with no next page, though other/b follows in the store" test -z "$(header Link)"
req GET /v2/_catalog
check "an anonymous reader is refused" test "$STATUS" = 401
stop_wharfd

finish
