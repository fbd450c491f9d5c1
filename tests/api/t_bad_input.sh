#!/usr/bin/env bash
# Hostile and broken input: a table of bad invoices, bad parcel uploads and
# bad URLs.  Each must get the right 4xx and a one-key `error` body (TOML, or
# JSON when the client prefers it) that says what is wrong, must store
# nothing, and must leave the server serving everyone else.
. "$(dirname "$0")/lib.sh"

GOOD=wharf.test/good/1.0.0
ALIVE_ID=$GOOD

# bad_invoice NAME CODE TEXT [CURL ARGS...] <<EOF: POSTs the invoice on stdin.
bad_invoice() {
  local name=$1 code=$2 text=$3; shift 3
  cat >"$TMP/invoice"
  req POST /_i -H 'Content-Type: application/toml' --data-binary @"$TMP/invoice" "$@"
  expect_error "$name" "$code" "$text"
}

# Parcel files outside .tmp, and anything at all left in .tmp.

start_wharfd || exit 1

cat >"$TMP/good.toml" <<'EOF'
bindleVersion = "1.0.0"

[bindle]
name = "wharf.test/good"
version = "1.0.0"
authors = ["Test <test@example.com>"]
EOF
req POST /_i --data-binary @"$TMP/good.toml"
expect_status "a good invoice with no parcels is created: 201" 201

# ---------------------------------------------------------------- syntax
bad_invoice "malformed TOML: 400" 400 "TOML" <<'EOF'
bindleVersion = "1.0.0"
[bindle
name = "wharf.test/syntax"
version = "1.0.0"
EOF

printf '{"bindleVersion": "1.0.0", "bindle": {"name": "wharf.test/json", "version": ' >"$TMP/bad.json"
req POST /_i -H 'Content-Type: application/json' --data-binary @"$TMP/bad.json"
expect_error "malformed JSON (Content-Type: application/json): 400 in TOML" 400 "JSON"
req POST /_i -H 'Content-Type: application/json' -H 'Accept: application/json' \
  --data-binary @"$TMP/bad.json"
expect_json_error "malformed JSON with Accept: application/json: 400 in JSON" 400 "JSON"

cat >"$TMP/good.json" <<'EOF'
{"bindleVersion": "1.0.0", "bindle": {"name": "wharf.test/json", "version": "1.0.0"}}
EOF
req POST /_i -H 'Content-Type: application/toml' --data-binary @"$TMP/good.json"
expect_error "a JSON body sent as TOML is read as TOML: 400" 400 "TOML"

bad_invoice "an empty body: 400" 400 "" </dev/null

bad_invoice "a TOML array as the whole document: 400" 400 "" <<'EOF'
= [1, 2]
EOF
alive "syntax errors"

# ---------------------------------------------------------------- hostile documents
{ printf '{"bindleVersion": "1.0.0", "bindle": {"name": "wharf.test/deepjson", "version": "1.0.0"}, "annotations": {"a": '
  head -c 100000 /dev/zero | tr '\0' '['; head -c 100000 /dev/zero | tr '\0' ']'; printf '}}'; } >"$TMP/deep.json"
req POST /_i -H 'Content-Type: application/json' --data-binary @"$TMP/deep.json"
expect_error "JSON nested 100000 deep: 400 naming the depth" 400 "depth"
{ printf 'bindleVersion = "1.0.0"\n[bindle]\nname = "wharf.test/deeptoml"\nversion = "1.0.0"\n[annotations]\na = '
  head -c 100000 /dev/zero | tr '\0' '['; head -c 100000 /dev/zero | tr '\0' ']'; echo; } >"$TMP/deep.toml"
req POST /_i --data-binary @"$TMP/deep.toml"
expect_error "TOML arrays nested 100000 deep: 400 naming the depth" 400 "depth"
{ printf 'bindleVersion = "1.0.0"\n[bindle]\nname = "wharf.test/deeptoml2"\nversion = "1.0.0"\n[annotations]\na = '
  for _ in $(seq 1 5000); do printf '{a='; done; printf '1'
  head -c 5000 /dev/zero | tr '\0' '}'; echo; } >"$TMP/deep2.toml"
req POST /_i --data-binary @"$TMP/deep2.toml"
expect_error "TOML inline tables nested 5000 deep: 400" 400 "depth"
printf 'bindleVersion = "1.0.0"\n[bindle]\nname = "wharf.test/utf\377\376"\nversion = "1.0.0"\n' >"$TMP/utf.toml"
req POST /_i --data-binary @"$TMP/utf.toml"
expect_error "TOML with invalid UTF-8: 400" 400 "utf-8"
printf '{"bindleVersion": "1.0.0", "bindle": {"name": "wharf.test/utf\303(", "version": "1.0.0"}}' >"$TMP/utf.json"
req POST /_i -H 'Content-Type: application/json' --data-binary @"$TMP/utf.json"
expect_error "JSON with invalid UTF-8: 400" 400 "JSON"
bad_invoice "a TOML key defined twice: 400" 400 "bindleVersion" <<'EOF'
bindleVersion = "1.0.0"
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/dupkey"
version = "1.0.0"
EOF
printf '{"bindleVersion": "1.0.0", "bindle": {"name": "wharf.test/dupkey", "version": "1.0.0", "name": "x"}}' >"$TMP/dupkey.json"
req POST /_i -H 'Content-Type: application/json' --data-binary @"$TMP/dupkey.json"
expect_error "a JSON key given twice: 400" 400 "duplicate"
req POST /_i -H 'Content-Type: application/json' --data-binary @"$TMP/good.toml"
expect_error "a TOML body sent as JSON is read as JSON: 400" 400 "JSON"
bad_invoice "a size too big for 64 bits: 400" 400 "64 bits" <<'EOF'
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/hugesize"
version = "1.0.0"
[[parcel]]
[parcel.label]
sha256 = "23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5"
mediaType = "text/plain"
name = "a.txt"
size = 99999999999999999999
EOF
bad_invoice "a size given as a float: 400" 400 "size" <<'EOF'
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/floatsize"
version = "1.0.0"
[[parcel]]
[parcel.label]
sha256 = "23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5"
mediaType = "text/plain"
name = "a.txt"
size = 9.0
EOF
alive "hostile documents"

# ---------------------------------------------------------------- types, fields
bad_invoice "bindle.version as an integer: 400 naming the field" 400 "bindle.version" <<'EOF'
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/types1"
version = 1
EOF

bad_invoice "label.size as a string: 400 naming the field" 400 "size" <<'EOF'
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/types2"
version = "1.0.0"
[[parcel]]
[parcel.label]
sha256 = "23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5"
mediaType = "text/plain"
name = "chip.txt"
size = "9"
EOF

bad_invoice "authors as a string, not a list: 400 naming the field" 400 "authors" <<'EOF'
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/types3"
version = "1.0.0"
authors = "Test <test@example.com>"
EOF

bad_invoice "yanked as a string: 400 naming the field" 400 "yanked" <<'EOF'
bindleVersion = "1.0.0"
yanked = "no"
[bindle]
name = "wharf.test/types4"
version = "1.0.0"
EOF

bad_invoice "parcel as a table, not an array of tables: 400" 400 "parcel" <<'EOF'
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/types5"
version = "1.0.0"
[parcel.label]
sha256 = "23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5"
mediaType = "text/plain"
name = "chip.txt"
size = 9
EOF

bad_invoice "an unknown top-level field: 400 naming it" 400 "colour" <<'EOF'
bindleVersion = "1.0.0"
colour = "red"
[bindle]
name = "wharf.test/unknown1"
version = "1.0.0"
EOF

bad_invoice "an unknown field in a label: 400 naming it" 400 "checksum" <<'EOF'
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/unknown2"
version = "1.0.0"
[[parcel]]
[parcel.label]
sha256 = "23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5"
checksum = "crc32:0"
mediaType = "text/plain"
name = "chip.txt"
size = 9
EOF

bad_invoice "bindleVersion missing: 400 naming it" 400 "bindleVersion" <<'EOF'
[bindle]
name = "wharf.test/missing1"
version = "1.0.0"
EOF

bad_invoice "bindle.name missing: 400 naming it" 400 "name" <<'EOF'
bindleVersion = "1.0.0"
[bindle]
version = "1.0.0"
EOF

bad_invoice "bindle.version missing: 400 naming it" 400 "version" <<'EOF'
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/missing3"
EOF

bad_invoice "[bindle] missing: 400" 400 "bindle" <<'EOF'
bindleVersion = "1.0.0"
EOF

bad_invoice "label.sha256 missing: 400 naming it" 400 "sha256" <<'EOF'
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/missing5"
version = "1.0.0"
[[parcel]]
[parcel.label]
mediaType = "text/plain"
name = "chip.txt"
size = 9
EOF

bad_invoice "label.size missing: 400 naming it" 400 "size" <<'EOF'
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/missing6"
version = "1.0.0"
[[parcel]]
[parcel.label]
sha256 = "23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5"
mediaType = "text/plain"
name = "chip.txt"
EOF

bad_invoice "label.mediaType missing: 400 naming it" 400 "mediaType" <<'EOF'
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/missing7"
version = "1.0.0"
[[parcel]]
[parcel.label]
sha256 = "23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5"
name = "chip.txt"
size = 9
EOF
alive "types and fields"

# ---------------------------------------------------------------- names
for bad in 'wharf.test/a/../b' 'wharf.test/a..b' 'wharf.test//b' '/wharf.test/b' \
           'wharf.test/a@b' 'wharf.test/a:b' 'wharf.test/b/' 'wharf.test/a b'; do
  case "$bad" in
    *..*) why='..' ;; *//*) why='//' ;; /*) why="starts with '/'" ;; *@*) why='@' ;;
    *:*) why=':' ;; */) why="ends with '/'" ;; *) why='only letters' ;;
  esac
  bad_invoice "name \"$bad\": 400 saying why" 400 "$why" <<EOF
bindleVersion = "1.0.0"
[bindle]
name = "$bad"
version = "1.0.0"
EOF
done

# A raw NUL byte is not TOML at all; \u0000 is TOML but not a name.
printf 'bindleVersion = "1.0.0"\n[bindle]\nname = "wharf.test/nul\0raw"\nversion = "1.0.0"\n' >"$TMP/nul.toml"
req POST /_i --data-binary @"$TMP/nul.toml"
expect_error "name with a raw NUL byte: 400" 400 "NUL"
bad_invoice "name with a \\u0000 escape: 400" 400 "NUL" <<'EOF'
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/nul\u0000esc"
version = "1.0.0"
EOF
printf '{"bindleVersion": "1.0.0", "bindle": {"name": "wharf.test/nul\\u0000json", "version": "1.0.0"}}' >"$TMP/nul.json"
req POST /_i -H 'Content-Type: application/json' --data-binary @"$TMP/nul.json"
expect_error "JSON name with \\u0000: 400" 400 "NUL"

bad_invoice "name with a control character (ESC): 400" 400 "control character" <<'EOF'
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/bell\u001bx"
version = "1.0.0"
EOF
printf 'bindleVersion = "1.0.0"\n[bindle]\nname = "wharf.test/tab\tx"\nversion = "1.0.0"\n' >"$TMP/tab.toml"
req POST /_i --data-binary @"$TMP/tab.toml"
expect_error "name with a raw TAB: 400" 400 "control character"
printf 'bindleVersion = "1.0.0"\n[bindle]\nname = "wharf.test/del\177x"\nversion = "1.0.0"\n' >"$TMP/del.toml"
req POST /_i --data-binary @"$TMP/del.toml"
check "name with a raw DEL: 400" test "$STATUS" = 400

long=wharf.test/$(printf 'n%.0s' $(seq 1 245))   # 256 bytes
bad_invoice "a 256-byte name: 400 naming the limit" 400 "255" <<EOF
bindleVersion = "1.0.0"
[bindle]
name = "$long"
version = "1.0.0"
EOF
ok255=${long%n}                                  # 255 bytes
cat >"$TMP/ok255.toml" <<EOF
bindleVersion = "1.0.0"
[bindle]
name = "$ok255"
version = "1.0.0"
EOF
req POST /_i --data-binary @"$TMP/ok255.toml"
expect_status "a 255-byte name is accepted: 201" 201
req GET "/_i/$ok255/1.0.0"
expect_status "and can be fetched" 200
alive "names"

# ---------------------------------------------------------------- versions
n=0
for v in 1.0 01.0.0 1.0.0- v1.0.0 1.0.0+ 1.0.0-01 ' 1.0.0' 1.0.0.0 ''; do
  n=$((n + 1))
  bad_invoice "version \"$v\" is not SemVer: 400" 400 "version" <<EOF
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/semver$n"
version = "$v"
EOF
done
cat >"$TMP/semver-ok.toml" <<'EOF'
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/semver-ok"
version = "1.0.0-rc.1+build.5"
EOF
req POST /_i --data-binary @"$TMP/semver-ok.toml"
expect_status "a full SemVer with pre-release and build is accepted: 201" 201
alive "versions"

# ---------------------------------------------------------------- labels
bad_invoice "a 40-hex sha256 (SHA-1 length): 400" 400 "sha256" <<'EOF'
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/sha40"
version = "1.0.0"
[[parcel]]
[parcel.label]
sha256 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
mediaType = "text/plain"
name = "a.txt"
size = 0
EOF

bad_invoice "an uppercase sha256: 400" 400 "sha256" <<'EOF'
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/shaupper"
version = "1.0.0"
[[parcel]]
[parcel.label]
sha256 = "23F310B54076878FD4C36F0C60EC92011A8B406349B98DD37D08577D17397DE5"
mediaType = "text/plain"
name = "a.txt"
size = 9
EOF

bad_invoice "a non-hex sha256: 400" 400 "sha256" <<'EOF'
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/shanonhex"
version = "1.0.0"
[[parcel]]
[parcel.label]
sha256 = "z3f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5"
mediaType = "text/plain"
name = "a.txt"
size = 9
EOF

bad_invoice "a negative size: 400 naming the field" 400 "size" <<'EOF'
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/negsize"
version = "1.0.0"
[[parcel]]
[parcel.label]
sha256 = "23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5"
mediaType = "text/plain"
name = "a.txt"
size = -1
EOF

bad_invoice "the same parcel listed twice: 400" 400 "23f310b5" <<'EOF'
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/dup"
version = "1.0.0"
[[parcel]]
[parcel.label]
sha256 = "23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5"
mediaType = "text/plain"
name = "a.txt"
size = 9
[[parcel]]
[parcel.label]
sha256 = "23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5"
mediaType = "text/plain"
name = "b.txt"
size = 9
EOF

bad_invoice "memberOf names an undefined group: 400 naming it" 400 "nosuchgroup" <<'EOF'
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/nogroup"
version = "1.0.0"
[[group]]
name = "server"
[[parcel]]
[parcel.label]
sha256 = "23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5"
mediaType = "text/plain"
name = "a.txt"
size = 9
[parcel.conditions]
memberOf = ["nosuchgroup"]
EOF

bad_invoice "requires names an undefined group: 400 naming it" 400 "ghost" <<'EOF'
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/norequired"
version = "1.0.0"
[[parcel]]
[parcel.label]
sha256 = "23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5"
mediaType = "text/plain"
name = "a.txt"
size = 9
[parcel.conditions]
requires = ["ghost"]
EOF

bad_invoice "a requires cycle between groups: 400 naming it" 400 "cycle" <<'EOF'
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/cycle"
version = "1.0.0"
[[group]]
name = "left"
[[group]]
name = "right"
[[parcel]]
[parcel.label]
sha256 = "23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5"
mediaType = "text/plain"
name = "a.txt"
size = 9
[parcel.conditions]
memberOf = ["left"]
requires = ["right"]
[[parcel]]
[parcel.label]
sha256 = "5e244f1c791ee45ec9cc02b281e3b58524e757561e9dc39cdd7ec0f4d328a3d3"
mediaType = "text/plain"
name = "b.txt"
size = 9
[parcel.conditions]
memberOf = ["right"]
requires = ["left"]
EOF
check "the cycle error names both groups" bash -c "grep -q left '$BODY' && grep -q right '$BODY'"

bad_invoice "a group defined twice: 400" 400 "twice" <<'EOF'
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/twicegroup"
version = "1.0.0"
[[group]]
name = "twice"
[[group]]
name = "twice"
EOF

bad_invoice "satisfiedBy that is not allOf/oneOf/optional: 400" 400 "satisfiedBy" <<'EOF'
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/satisfied"
version = "1.0.0"
[[group]]
name = "g"
satisfiedBy = "someOf"
EOF
alive "labels and groups"

# ---------------------------------------------------------------- document
bad_invoice "bindleVersion 2.0.0: 400 naming it" 400 "bindleVersion" <<'EOF'
bindleVersion = "2.0.0"
[bindle]
name = "wharf.test/bv2"
version = "1.0.0"
EOF

bad_invoice "bindleVersion 1.0: 400 naming it" 400 "bindleVersion" <<'EOF'
bindleVersion = "1.0"
[bindle]
name = "wharf.test/bv10"
version = "1.0.0"
EOF

bad_invoice "an invoice posted with yanked = true: 422" 422 "yank" <<'EOF'
bindleVersion = "1.0.0"
yanked = true
[bindle]
name = "wharf.test/preyanked"
version = "1.0.0"
EOF
req GET /_i/wharf.test/preyanked/1.0.0?yanked=true
expect_error "the invoice posted as yanked was not stored: 404" 404

req POST /_i -H 'Accept: application/json' --data-binary @"$TMP/good.toml"
expect_json_error "the good invoice again, as JSON: 409" 409 "exists"

# Only the three good invoices exist after the whole table.
req GET "/_q?q=wharf.test&l=100"
check "no rejected invoice was stored (the search finds exactly 3)" grep -qx 'total = 3' "$BODY"
alive "documents"

# ---------------------------------------------------------------- uploads
printf 'the first parcel, 32 bytes long\n' >"$TMP/a.dat"
printf 'the second parcel\n' >"$TMP/b.dat"
printf 'never listed anywhere\n' >"$TMP/x.dat"
SHA_A=$(sha256_of "$TMP/a.dat") SIZE_A=$(stat -c %s "$TMP/a.dat")
SHA_B=$(sha256_of "$TMP/b.dat") SIZE_B=$(stat -c %s "$TMP/b.dat")
SHA_X=$(sha256_of "$TMP/x.dat")
UP=wharf.test/uploads/1.0.0
cat >"$TMP/uploads.toml" <<EOF
bindleVersion = "1.0.0"
[bindle]
name = "wharf.test/uploads"
version = "1.0.0"
[[parcel]]
[parcel.label]
sha256 = "$SHA_A"
mediaType = "text/plain"
name = "a.txt"
size = $SIZE_A
[[parcel]]
[parcel.label]
sha256 = "$SHA_B"
mediaType = "application/octet-stream"
name = "b.bin"
size = $SIZE_B
EOF
req POST /_i --data-binary @"$TMP/uploads.toml"
expect_status "create the upload target: 202" 202
files0=$(stored_files)

# Same size, other bytes.
printf 'THE FIRST PARCEL, 32 BYTES LONG\n' >"$TMP/a-wrong.dat"
req POST "/_i/$UP@$SHA_A" --data-binary @"$TMP/a-wrong.dat"
expect_error "an upload whose digest differs: 400" 400 "$SHA_A"
check "wrong digest: no parcel file was stored" test "$(stored_files)" -eq "$files0"
check "wrong digest: nothing is left in .tmp" test "$(tmp_entries)" -eq 0
req GET "/_r/missing/$UP"
check "wrong digest: _r/missing still lists the parcel" grep -q "$SHA_A" "$BODY"
req GET "/_i/$UP@$SHA_A"
expect_error "wrong digest: the parcel cannot be downloaded: 404" 404

head -c $((SIZE_A - 1)) "$TMP/a.dat" >"$TMP/a-short.dat"
req POST "/_i/$UP@$SHA_A" --data-binary @"$TMP/a-short.dat"
expect_error "an upload one byte short (Content-Length): 400" 400 "size"
{ cat "$TMP/a.dat"; printf 'x'; } >"$TMP/a-long.dat"
req POST "/_i/$UP@$SHA_A" --data-binary @"$TMP/a-long.dat"
expect_error "an upload one byte long (Content-Length): 400" 400 "size"
req POST "/_i/$UP@$SHA_A" -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/a-short.dat"
expect_error "an upload one byte short (chunked): 400" 400 "size"
req POST "/_i/$UP@$SHA_A" -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/a-long.dat"
expect_error "an upload one byte long (chunked): 400" 400 ""
check "after short and long uploads no parcel file was stored" test "$(stored_files)" -eq "$files0"
check "after short and long uploads .tmp is empty" test "$(tmp_entries)" -eq 0
req GET "/_r/missing/$UP"
check "after short and long uploads _r/missing still lists it" grep -q "$SHA_A" "$BODY"

req POST "/_i/$UP@$SHA_X" --data-binary @"$TMP/x.dat"
expect_error "a parcel the invoice does not list: 400 naming it" 400 "$SHA_X"
req POST "/_i/wharf.test/nosuch/1.0.0@$SHA_A" --data-binary @"$TMP/a.dat"
expect_error "an upload to a bindle that does not exist: 404" 404
req POST "/_i/$UP@${SHA_A:0:40}" --data-binary @"$TMP/a.dat"
expect_error "a 40-hex sha in the upload URL: 400" 400 "sha256"
req POST "/_i/$UP@${SHA_A^^}" --data-binary @"$TMP/a.dat"
expect_error "an uppercase sha in the upload URL: 400" 400 "sha256"
req POST "/_i/$UP@not-a-digest" --data-binary @"$TMP/a.dat"
expect_error "a non-hex sha in the upload URL: 400" 400 "sha256"
req POST "/_i/$UP@" --data-binary @"$TMP/a.dat"
expect_error "an empty sha in the upload URL: 400" 400 "sha256"
req POST "/_i/wharf.test/a..b/1.0.0@$SHA_A" --data-binary @"$TMP/a.dat"
expect_error "a bad name in the upload URL: 400" 400 ".."
req GET "/_i/wharf.test/uploads/1.0@$SHA_A"
expect_error "a non-SemVer version in the parcel URL: 400" 400 "1.0"
check "after all refused uploads no parcel file was stored" test "$(stored_files)" -eq "$files0"

req POST "/_i/$UP@$SHA_A" --data-binary @"$TMP/a.dat"
expect_status "after all that, the right bytes upload: 200" 200
check "and exactly one parcel file is stored" test "$(stored_files)" -eq $((files0 + 1))
req GET "/_i/$UP@$SHA_A"
check "and download byte-identical" cmp -s "$BODY" "$TMP/a.dat"
req POST "/_i/$UP@$SHA_B" -H 'Accept: application/json' --data-binary @"$TMP/a.dat"
expect_json_error "a size mismatch as JSON: 400" 400 "size"
alive "uploads"

# ---------------------------------------------------------------- URLs
req GET /_i/wharf.test/a..b/1.0.0 --path-as-is
expect_error "GET with '..' in the name: 400" 400 ".."
req GET /_i/wharf.test/../good/1.0.0 --path-as-is
check "GET with a '..' segment: 400 or 404, never the invoice" test "$STATUS" = 400 -o "$STATUS" = 404
req GET /_i/wharf.test//good/1.0.0 --path-as-is
expect_error "GET with '//' in the name: 400" 400 "//"
req GET /_i/wharf.test/a:b/1.0.0
expect_error "GET with ':' in the name: 400" 400 ":"
req GET /_i/wharf.test/a%01b/1.0.0
expect_error "GET with a control character in the name: 400" 400 "control"
req GET /_i/wharf.test/a%FFb/1.0.0
expect_error "GET with invalid UTF-8 in the name: 400" 400 "UTF-8"
req GET /_i/wharf.test/a%00b/1.0.0
check "GET with %00 in the name: 400 or 404, never 200" test "$STATUS" = 400 -o "$STATUS" = 404
# A decoded %00 must not cut the path short and name another resource.
sed 's#wharf.test/good#wharf.test/nulcut#' "$TMP/good.toml" >"$TMP/nulcut.toml"
req POST /_i --data-binary @"$TMP/nulcut.toml"
expect_status "create wharf.test/nulcut" 201
req GET "/_i/wharf.test/nulcut/1.0.0%00junk"
expect_error "GET NAME/1.0.0%00junk: 400, not the invoice before the NUL" 400
req DELETE "/_i/wharf.test/nulcut/1.0.0%00junk"
expect_error "DELETE NAME/1.0.0%00junk: 400, not a yank of NAME/1.0.0" 400
req GET "/_i/wharf.test/nulcut/1.0.0"
expect_status "and NAME/1.0.0 is not yanked" 200
req GET "/_i/$long/1.0.0"
expect_error "GET with a 256-byte name: 400" 400 "255"
req GET /_i/wharf.test/good/1.0
expect_error "GET with a non-SemVer version: 400" 400 "1.0"
req GET /_i/wharf.test/good
check "GET of a name without a version: 400 or 404" test "$STATUS" = 400 -o "$STATUS" = 404
req GET /_i/wharf.test/nosuch/1.0.0
expect_error "GET of a bindle that does not exist: 404 naming it" 404 "wharf.test/nosuch"
req GET /_i/wharf.test/good/9.9.9
expect_error "GET of a version that does not exist: 404" 404
req DELETE /_i/wharf.test/nosuch/1.0.0
expect_error "DELETE of a bindle that does not exist: 404" 404
req GET /_r/missing/wharf.test/nosuch/1.0.0
expect_error "_r/missing of a bindle that does not exist: 404" 404
req GET "/_i/wharf.test/nosuch/1.0.0@$SHA_A"
expect_error "parcel GET under a bindle that does not exist: 404" 404
req GET "/_i/$UP@$SHA_X"
expect_error "parcel GET of a parcel the bindle does not list: 404" 404
req GET /_x
expect_error "an unknown endpoint under /v1: 404" 404 "/v1/_x"
req GET /nothing-here
expect_error "an unknown endpoint at the root: 404" 404
req GET /v1
expect_error "GET /v1 alone: 404" 404

req PUT /_i --data-binary @"$TMP/good.toml"
expect_error "PUT /v1/_i: 405" 405 "PUT"
check "405 on /v1/_i says Allow: POST" test "$(header Allow)" = POST
req GET /_i
expect_error "GET /v1/_i: 405" 405
check "the 405 carries Allow" test -n "$(header Allow)"
req POST /healthz
expect_error "POST /healthz: 405" 405
check "Allow on /healthz lists GET" bash -c "grep -qi '^Allow:.*GET' '$HDRS'"
req PATCH "/_i/$GOOD"
expect_error "PATCH an invoice: 405" 405
check "Allow on an invoice lists GET and DELETE" \
  bash -c "grep -i '^Allow:' '$HDRS' | grep -q GET && grep -i '^Allow:' '$HDRS' | grep -q DELETE"
req DELETE "/_i/$UP@$SHA_A"
expect_error "DELETE a parcel: 405" 405
check "Allow on a parcel lists POST" bash -c "grep -i '^Allow:' '$HDRS' | grep -q POST"
req POST "/_q?q=x"
expect_error "POST a query: 405" 405
alive "URLs"

# ---------------------------------------------------------------- JSON errors
J=(-H 'Accept: application/json')
req GET /_i/wharf.test/nosuch/1.0.0 "${J[@]}"
expect_json_error "404 in JSON when Accept prefers it" 404
req GET /_i/wharf.test/a..b/1.0.0 "${J[@]}"
expect_json_error "400 bad name in JSON" 400 ".."
req PUT /_i "${J[@]}"
expect_json_error "405 in JSON" 405
req GET /_x "${J[@]}"
expect_json_error "unknown endpoint in JSON" 404
cat >"$TMP/invoice" <<'EOF'
bindleVersion = "1.0.0"
colour = "red"
[bindle]
name = "wharf.test/jsonerr"
version = "1.0.0"
EOF
req POST /_i "${J[@]}" --data-binary @"$TMP/invoice"
expect_json_error "an unknown field, answered in JSON" 400 "colour"
req GET /_i/wharf.test/nosuch/1.0.0 -H 'Accept: application/toml;q=0.5, application/json'
expect_json_error "Accept preferring JSON by q-value: JSON" 404
req GET /_i/wharf.test/nosuch/1.0.0 -H 'Accept: application/json;q=0.2, application/toml'
expect_error "Accept preferring TOML by q-value: TOML" 404
req GET /_i/wharf.test/nosuch/1.0.0 -H 'Accept: text/html'
expect_error "Accept naming neither: TOML" 404
alive "JSON errors"

check "stops cleanly" stop_wharfd
finish
