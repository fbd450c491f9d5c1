#!/usr/bin/env bash
# GET /v1/_r/resolve/NAME/VERSION: the parcels that a runtime profile needs
# (features, requested groups, oneOf choice, requires), the target echoed,
# TOML and JSON replies, HEAD, and the refusals: a malformed feature, an
# undefined group, a oneOf group with nothing eligible, a yanked bindle, an
# unknown bindle and a wrong method.
. "$(dirname "$0")/lib.sh"

start_wharfd || exit 1

sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

# parcel NAME EXTRA: a [[parcel]] whose sha256 is made up from NAME.
parcel() {
  printf '[[parcel]]\nlabel.sha256 = "%s"\nlabel.mediaType = "application/wasm"\n' "$(sha "$1")"
  printf 'label.name = "%s"\nlabel.size = 1\n%b' "$1" "$2"
}

{
  printf 'bindleVersion = "1.0.0"\n\n[bindle]\nname = "acme/app"\nversion = "1.0.0"\n\n'
  printf '[[group]]\nname = "runtime"\nrequired = true\nsatisfiedBy = "oneOf"\n\n'
  printf '[[group]]\nname = "simd-helpers"\n\n'
  printf '[[group]]\nname = "debug"\n\n'
  printf '[[group]]\nname = "accel"\nsatisfiedBy = "oneOf"\n\n'
  parcel app.wasm ''
  parcel rt-generic.wasm 'conditions.memberOf = ["runtime"]\n'
  parcel rt-wasi.wasm 'label.feature.wasm.wasi = "true"\nconditions.memberOf = ["runtime"]\n'
  parcel rt-wasi-simd.wasm 'label.feature.wasm.wasi = "true"\nlabel.feature.wasm.simd = "yes"\nconditions.memberOf = ["runtime"]\nconditions.requires = ["simd-helpers"]\n'
  parcel simd-helper.wasm 'conditions.memberOf = ["simd-helpers"]\n'
  parcel debug.map 'conditions.memberOf = ["debug"]\n'
  parcel gpu.wasm 'label.feature.accel.gpu = "cuda"\nconditions.memberOf = ["accel"]\n'
} >"$TMP/app.toml"

req POST /_i -H 'Content-Type: application/toml' --data-binary @"$TMP/app.toml"
expect_status "publish acme/app/1.0.0" 202

# The label names of the last JSON reply's parcels, in reply order.
names() { grep -o '"name":"[^"]*"' "$BODY" | cut -d'"' -f4 | paste -sd' ' -; }

# resolves NAME QUERY "LABELS": a 200 JSON reply with exactly these parcels.
resolves() {
  local got
  req GET "/_r/resolve/acme/app/1.0.0?$2" -H 'Accept: application/json'
  got=$(names)
  if [ "$STATUS" = 200 ] && [ "$got" = "$3" ]; then pass "$1"; else
    fail "$1" "HTTP $STATUS, parcels '$got', expected '$3': $(head -c 300 "$BODY")"; fi
}

# ---- profiles -----------------------------------------------------------

resolves "no features: the global group and the featureless runtime" \
  "" "app.wasm rt-generic.wasm"
check "no target given, none echoed" not grep -q '"target"' "$BODY"

resolves "wasi: the wasi runtime instead" \
  "feature=wasm.wasi=true" "app.wasm rt-wasi.wasm"

resolves "wasi+simd, debug, target: the best runtime, what it requires, the group asked for" \
  "feature=wasm.wasi%3Dtrue&feature=wasm.simd=yes&group=debug&target=x86_64-unknown-linux-gnu" \
  "app.wasm rt-wasi-simd.wasm simd-helper.wasm debug.map"
expect_body "the target is echoed" '"target":"x86_64-unknown-linux-gnu"'

resolves "a feature set twice keeps the last value" \
  "feature=wasm.wasi=true&feature=wasm.wasi=false" "app.wasm rt-generic.wasm"

resolves "the oneOf group asked for, with its feature" \
  "group=accel&feature=accel.gpu=cuda" "app.wasm rt-generic.wasm gpu.wasm"

req GET "/_r/resolve/acme/app/1.0.0?feature=wasm.wasi=true&target=wasm32-wasi"
expect_status "TOML by default" 200
check "TOML reply lists the parcels as [[parcels]]" \
  test "$(grep -c '^\[\[parcels\]\]$' "$BODY")" = 2
expect_body "TOML reply names the chosen runtime" 'name = "rt-wasi.wasm"'
expect_body "TOML reply echoes the target" 'target = "wasm32-wasi"'
check "TOML Content-Type" test "$(header Content-Type)" = application/toml

req HEAD "/_r/resolve/acme/app/1.0.0?feature=wasm.wasi=true"
if [ "$STATUS" = 200 ] && [ ! -s "$BODY" ]; then pass "HEAD answers 200 without a body"; else
  fail "HEAD answers 200 without a body" "HTTP $STATUS"; fi

# ---- refusals -----------------------------------------------------------

req GET "/_r/resolve/acme/app/1.0.0?feature=nodot"
expect_error "a feature without SECTION.NAME=VALUE is 400" 400 'feature \"nodot\" is not SECTION.NAME=VALUE'

req GET "/_r/resolve/acme/app/1.0.0?feature=.wasi=true" -H 'Accept: application/json'
expect_json_error "an empty SECTION is 400 (JSON)" 400 "SECTION"

req GET "/_r/resolve/acme/app/1.0.0?target=X86"
expect_error "a target outside [a-z0-9_.+-] is 400" 400 "target"

req GET "/_r/resolve/acme/app/1.0.0?target=a&target=b"
expect_error "two targets are 400" 400 "more than once"

req GET "/_r/resolve/acme/app/1.0.0?group=nope"
expect_error "an undefined group is 400 naming it" 400 'group \"nope\", which this invoice does not define'

req GET "/_r/resolve/acme/app/1.0.0?group=accel"
expect_error "a oneOf group with nothing eligible is 400 naming it" 400 'group \"accel\" is required and oneOf'

req GET "/_r/resolve/acme/none/1.0.0"
expect_status "an unknown bindle is 404" 404

req GET "/_r/resolve/acme/app/not-semver"
expect_status "a malformed version is 400" 400

req POST "/_r/resolve/acme/app/1.0.0" --data-binary x
expect_status "POST is 405" 405

# ---- yanked -------------------------------------------------------------

req DELETE "/_i/acme/app/1.0.0"
expect_status "yank acme/app/1.0.0" 200

req GET "/_r/resolve/acme/app/1.0.0?feature=wasm.wasi=true"
expect_error "a yanked bindle is 403" 403 "yanked"

resolves "a yanked bindle resolves with yanked=true" \
  "feature=wasm.wasi=true&yanked=true" "app.wasm rt-wasi.wasm"

stop_wharfd
check "wharfd stops cleanly" test $? -eq 0
finish
