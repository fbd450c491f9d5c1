# tests/api/lib.sh - what every API test shares: start a real wharfd on a free
# loopback port with a throw-away data directory, talk to it with curl, and
# count checks.  Source it from a tests/api/t_*.sh file, call `finish` last.
#
#   start_wharfd [ARGS...]   starts $WHARFD; sets URL (…/v1), BASE, PORT, PID, DATA
#                            (with --verify none --auth none unless TRUST=1)
#   stop_wharfd              SIGTERM, then asserts a clean exit (status 0: under
#                            ASan that also means no leak was reported)
#   req METHOD PATH [CURL ARGS...]
#                            one request; sets STATUS, and BODY / HDRS (files)
#   expect_status NAME CODE  checks STATUS
#   expect_body NAME TEXT    checks that BODY contains TEXT
#   check NAME CMD...        passes when CMD succeeds
#   expect_error NAME CODE [TEXT]       CODE with one `error = "..."` line (mentioning TEXT)
#   expect_json_error NAME CODE [TEXT]  the same for {"error": "..."}
#   alive WHAT               healthz and GET /_i/$ALIVE_ID still answer 200
#   sha FILE / size FILE     a file's SHA-256 and size; jget FILE EXPR reads JSON
#   expect_oci NAME STATUS CODE [TEXT]  an error in the OCI spec's JSON format
#   finish                   prints "N passed, N failed" and sets the exit code
set -uo pipefail

: "${WHARFD:?set WHARFD to the wharfd binary}"
FIX="${WHARF_FIXTURES:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/shared/fixtures}/bindle"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/wharf-test.XXXXXX")
BODY="$TMP/body" HDRS="$TMP/headers"
PID="" URL="" BASE="" PORT="" DATA=""
_passed=0 _failed=0 _n=0

_cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -KILL "$PID" 2>/dev/null; fi
  rm -rf "$TMP"
}
trap _cleanup EXIT

pass() { _n=$((_n + 1)); _passed=$((_passed + 1)); echo "ok $_n - $1"; }
fail() {
  _n=$((_n + 1)); _failed=$((_failed + 1)); echo "not ok $_n - $1"
  shift; [ $# -gt 0 ] && echo "#   $*"
  return 0
}

# sha FILE, size FILE: a file's SHA-256 (hex) and size in bytes.
sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }
# jget FILE EXPR: a Python expression over the JSON document `d` in FILE.
jget() {
  python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2"
}
# expect_oci NAME STATUS CODE [TEXT]: an error in the spec's format.
expect_oci() {
  local name=$1 status=$2 code=$3 text=${4:-} got
  got=$(jget "$BODY" 'd["errors"][0]["code"]' 2>/dev/null)
  if [ "$STATUS" != "$status" ]; then
    fail "$name" "expected HTTP $status, got $STATUS: $(head -c 300 "$BODY")"
  elif [ "$(header Content-Type)" != application/json ]; then
    fail "$name" "error is not JSON: Content-Type '$(header Content-Type)'"
  elif [ "$got" != "$code" ]; then
    fail "$name" "expected error code $code: $(head -c 300 "$BODY")"
  elif [ -n "$text" ] && ! grep -qiF -- "$text" "$BODY"; then
    fail "$name" "error message lacks '$text': $(head -c 300 "$BODY")"
  else
    pass "$name"
  fi
}

# not CMD...: succeeds when CMD fails (for `check "..." not cmd`).
not() { ! "$@"; }

check() {
  local name=$1; shift
  if "$@"; then pass "$name"; else fail "$name" "command failed: $*"; fi
}

# start_wharfd [ARGS...]; DATA may be set beforehand to reuse a data directory.
start_wharfd() {
  [ -n "$DATA" ] || DATA="$TMP/data"
  local log="$TMP/wharfd.log" i
  : >"$log"
  # Tests of other things run as a development server would (no signature
  # checks, no auth); TRUST=1 starts it with the real defaults instead.
  local dev=(--verify none --auth none)
  [ "${TRUST:-}" = 1 ] && dev=()
  "$WHARFD" --listen 127.0.0.1:0 --data "$DATA" "${dev[@]}" "$@" 2>"$log" &
  PID=$!
  for i in $(seq 1 200); do
    PORT=$(sed -n 's#^wharfd: listening on http://127\.0\.0\.1:\([0-9]*\)$#\1#p' "$log")
    [ -n "$PORT" ] && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
  done
  if [ -z "$PORT" ]; then
    echo "# wharfd did not start:"; sed 's/^/#   /' "$log"
    return 1
  fi
  BASE="http://127.0.0.1:$PORT"
  URL="$BASE/v1"
}

stop_wharfd() {
  local rc
  kill -TERM "$PID"
  wait "$PID"; rc=$?
  PID=""
  if [ "$rc" -ne 0 ]; then
    echo "# wharfd exited with $rc:"; tail -n 40 "$TMP/wharfd.log" | sed 's/^/#   /'
    return 1
  fi
}

# The server's log so far, for assertions about what it said.
server_log() { cat "$TMP/wharfd.log"; }

req() {
  local method=$1 path=$2; shift 2
  local url=$path
  case "$path" in http*) ;; /healthz*|/v1*|/v2*) url="$BASE$path" ;; *) url="$URL$path" ;; esac
  : >"$BODY"  # a reply without a body must not leave the last one's behind
  local how=(-X "$method")
  [ "$method" = HEAD ] && how=(--head)
  STATUS=$(curl -sS -o "$BODY" -D "$HDRS" -w '%{http_code}' "${how[@]}" "$@" "$url" 2>"$TMP/curl.err")
  [ "$method" = HEAD ] && : >"$BODY"  # curl --head writes the headers there
  [ -n "$STATUS" ] || STATUS=000
}

expect_status() {
  if [ "$STATUS" = "$2" ]; then pass "$1"; else
    fail "$1" "expected HTTP $2, got $STATUS: $(head -c 300 "$BODY")"; fi
}

expect_body() {
  if grep -qF -- "$2" "$BODY"; then pass "$1"; else
    fail "$1" "body lacks '$2': $(head -c 300 "$BODY")"; fi
}

# raw REQUEST_BYTES: sends exactly these bytes (printf format) on a new
# connection and prints everything the server sends back until it closes.
raw() {
  local fmt=$1
  exec 7<>"/dev/tcp/127.0.0.1/$PORT" || return 1
  shift; printf "$fmt" "$@" >&7
  timeout 5 cat <&7
  exec 7<&- 7>&-
}

# A header's value from the last response (case-insensitive name).
header() { grep -i "^$1:" "$HDRS" | head -n 1 | cut -d' ' -f2- | tr -d '\r'; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# expect_error NAME CODE [TEXT]: STATUS is CODE and the body is exactly
# `error = "..."` in TOML whose message contains TEXT (case-insensitive).
expect_error() {
  local name=$1 code=$2 text=${3:-}
  if [ "$STATUS" != "$code" ]; then
    fail "$name" "expected HTTP $code, got $STATUS: $(head -c 300 "$BODY")"
  elif [ "$(header Content-Type)" != application/toml ]; then
    fail "$name" "error is not TOML: Content-Type '$(header Content-Type)'"
  elif [ "$(grep -c . "$BODY")" != 1 ] || ! grep -Eq '^error = ".{10,}"$' "$BODY"; then
    fail "$name" "body is not one 'error = \"...\"' line: $(head -c 300 "$BODY")"
  elif [ -n "$text" ] && ! grep -qiF -- "$text" "$BODY"; then
    fail "$name" "error message lacks '$text': $(head -c 300 "$BODY")"
  else
    pass "$name"
  fi
}

# expect_json_error NAME CODE [TEXT]: the same, for {"error": "..."} in JSON.
expect_json_error() {
  local name=$1 code=$2 text=${3:-}
  if [ "$STATUS" != "$code" ]; then
    fail "$name" "expected HTTP $code, got $STATUS: $(head -c 300 "$BODY")"
  elif [ "$(header Content-Type)" != application/json ]; then
    fail "$name" "error is not JSON: Content-Type '$(header Content-Type)'"
  elif ! tr -d '\n' <"$BODY" | grep -Eq '^ *\{ *"error" *: *"[^"].{9,}" *\} *$'; then
    fail "$name" "body is not one {\"error\": ...} object: $(head -c 300 "$BODY")"
  elif [ -n "$text" ] && ! grep -qiF -- "$text" "$BODY"; then
    fail "$name" "error message lacks '$text': $(head -c 300 "$BODY")"
  else
    pass "$name"
  fi
}

# alive WHAT: the server still answers a health check and GET /_i/$ALIVE_ID
# (set ALIVE_ID to a bindle the test published) with 200.
alive() {
  local health
  req GET /healthz; health=$STATUS
  req GET "/_i/$ALIVE_ID"
  if [ "$health" = 200 ] && [ "$STATUS" = 200 ]; then
    pass "$1: the server still serves a normal GET"
  else
    fail "$1: the server still serves a normal GET" "healthz $health, GET $ALIVE_ID $STATUS"
  fi
}

# Parcel files outside .tmp, and anything at all left in .tmp.
stored_files() { find "$DATA/parcels" -path "$DATA/parcels/.tmp" -prune -o -type f -print | wc -l; }
tmp_entries() { find "$DATA/parcels/.tmp" -mindepth 1 2>/dev/null | wc -l; }

finish() {
  echo "$(basename "$0" .sh): $_passed passed, $_failed failed"
  [ "$_failed" -eq 0 ]
}
