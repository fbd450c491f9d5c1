#!/usr/bin/env bash
# The client's transfer layer (client/http.c, cache.c, transfer.c) through
# the hidden `wharf _fetch`: 50 parcels fetched 8 at a time arrive
# byte-identical in the cache; a second run fetches nothing; a parcel whose
# stored bytes were corrupted on the server is refused and nothing of it is
# kept; a partial download left by an earlier run is resumed with a byte
# range (only the missing half crosses the network), a partial with wrong
# bytes is detected and fetched again from scratch, and a download cut off
# mid-way by the server is retried and resumed within the same run.
# `wharf _send` uploads files in parallel, streamed, with the server's
# message for each one it refuses.  Cached parcels are exported as hard
# links (copies across filesystems), and a sent file can go to the cache.
. "$(dirname "$0")/lib.sh"

: "${WHARF:?set WHARF to the wharf binary}"
export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/home/config" XDG_CACHE_HOME="$TMP/home/cache"
unset WHARF_URL WHARF_TOKEN WHARF_KEYS
mkdir -p "$HOME"
CACHE="$XDG_CACHE_HOME/wharf"
OUT="$TMP/out" ERR="$TMP/err"
ID=wharf.test/xfer/1.0.0

# w ARGS...: runs wharf; sets RC, with stdout in $OUT and stderr in $ERR.
w() { "$WHARF" "$@" >"$OUT" 2>"$ERR"; RC=$?; }
# json_get EXPR: a Python expression over the JSON document `d` in OUT.
json_get() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)" <"$OUT"; }
cached_file() { echo "$CACHE/parcels/${1:0:2}/$1"; }
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

start_wharfd || exit 1

# ---- the bindle: 50 small parcels, one to corrupt, one large, one never uploaded
mkdir -p "$TMP/p"
SHAS=()
for i in $(seq 1 50); do
  head -c $(( (RANDOM * 7 + i) % 150000 + 1 )) /dev/urandom >"$TMP/p/$i"
  s=$(sha256_of "$TMP/p/$i"); SHAS+=("$s"); cp "$TMP/p/$i" "$TMP/p/$s"
done
head -c 100000 /dev/urandom >"$TMP/p/bad"
BAD=$(sha256_of "$TMP/p/bad"); cp "$TMP/p/bad" "$TMP/p/$BAD"
head -c $((64 * 1024 * 1024)) /dev/urandom >"$TMP/p/big"
BIG=$(sha256_of "$TMP/p/big"); cp "$TMP/p/big" "$TMP/p/$BIG"
BIGSIZE=$((64 * 1024 * 1024)) HALF=$((32 * 1024 * 1024))
printf 'listed, never uploaded\n' >"$TMP/p/later"
LATER=$(sha256_of "$TMP/p/later")

{
  printf 'bindleVersion = "1.0.0"\n\n[bindle]\nname = "wharf.test/xfer"\nversion = "1.0.0"\n'
  for s in "${SHAS[@]}" "$BAD" "$BIG" "$LATER"; do
    f="$TMP/p/$s"; [ "$s" = "$LATER" ] && f="$TMP/p/later"
    printf '\n[[parcel]]\n[parcel.label]\nsha256 = "%s"\nmediaType = "application/octet-stream"\nname = "%s"\nsize = %d\n' \
      "$s" "$s.bin" "$(stat -c %s "$f")"
  done
} >"$TMP/invoice.toml"
req POST /_i --data-binary @"$TMP/invoice.toml"
expect_status "create the invoice: 202" 202
up_ok=0
for s in "${SHAS[@]}" "$BAD" "$BIG"; do
  req POST "/_i/$ID@$s" --data-binary @"$TMP/p/$s"
  [ "$STATUS" = 200 ] && up_ok=$((up_ok + 1))
done
check "upload 52 parcels with curl" test $up_ok = 52

# ---- 50 parcels, 8 at a time
w --server "$URL" --json _fetch --parallel 8 "$ID" "${SHAS[@]}"
expect_rc "_fetch of 50 parcels, 8 at a time: exit 0" 0
same=0
for s in "${SHAS[@]}"; do cmp -s "$(cached_file "$s")" "$TMP/p/$s" && same=$((same + 1)); done
check "all 50 are in the cache, byte-identical" test $same = 50
check "the JSON lists 50 parcels, none from the cache" \
  test "$(json_get "'%d/%d' % (len(d['parcels']), sum(p['cached'] for p in d['parcels']))")" = 50/0
total=0; for s in "${SHAS[@]}"; do total=$((total + $(stat -c %s "$TMP/p/$s"))); done
check "the bytes fetched are the parcels' sizes, once each" \
  test "$(json_get "sum(p['fetched'] for p in d['parcels'])")" = $total
check "each path is the cache's parcels/ab/<sha256>" \
  test "$(json_get "all(p['path'] == '$CACHE/parcels/' + p['sha256'][:2] + '/' + p['sha256'] for p in d['parcels'])")" = True
check "the cached parcels have mode 0644" \
  test "$(stat -c %a "$(cached_file "${SHAS[0]}")")" = 644
check "no partial file is left" test -z "$(ls -A "$CACHE/partial")"

w --server "$URL" --json _fetch --parallel 8 "$ID" "${SHAS[@]}"
expect_rc "a second run: exit 0" 0
check "the second run fetches nothing: all 50 from the cache" \
  test "$(json_get "'%d/%d' % (sum(p['cached'] for p in d['parcels']), sum(p['fetched'] for p in d['parcels']))")" = 50/0
w --server "$URL" _fetch "$ID" "${SHAS[3]}" "${SHAS[3]}"
expect_rc "text output, one parcel named twice: exit 0" 0
check "text output says 'cached' with the path" \
  test "$(sort -u "$OUT")" = "$(cached_file "${SHAS[3]}")	cached"

# ---- export: a copy (never a link into the cache), mode 0644
mkdir -p "$TMP/out1"
S0=${SHAS[0]}
echo stale >"$TMP/out1/$S0"
w --server "$URL" _fetch -o "$TMP/out1" "$ID" "$S0" "${SHAS[1]}"
expect_rc "_fetch -o DIR: exit 0" 0
check "the exported parcels are byte-identical" \
  bash -c "cmp -s '$TMP/out1/$S0' '$TMP/p/$S0' && cmp -s '$TMP/out1/${SHAS[1]}' '$TMP/p/${SHAS[1]}'"
check "an existing file was replaced" test "$(stat -c %s "$TMP/out1/$S0")" = "$(stat -c %s "$TMP/p/$S0")"
check "the export is not a hard link to the cache" \
  test "$(stat -c %i "$TMP/out1/$S0")" != "$(stat -c %i "$(cached_file "$S0")")"
printf 'edited' >>"$TMP/out1/$S0"
check "so editing it leaves the cached parcel intact" cmp -s "$(cached_file "$S0")" "$TMP/p/$S0"
check "the export has mode 0644" test "$(stat -c %a "$TMP/out1/$S0")" = 644
w --server "$URL" _fetch -o "$TMP/out1" "$ID" "$S0"
check "exporting again: exit 0, and nothing but the two parcels in DIR" \
  test "$RC/$(ls -A "$TMP/out1" | wc -l)" = 0/2
if X=$(mktemp -d /dev/shm/wharf-xfer.XXXXXX 2>/dev/null) && [ "$(stat -c %d "$X")" != "$(stat -c %d "$CACHE")" ]; then
  w --server "$URL" _fetch -o "$X" "$ID" "$S0"
  check "across filesystems the export is a copy, byte-identical, mode 0644" \
    bash -c "[ $RC = 0 ] && cmp -s '$X/$S0' '$TMP/p/$S0' && [ \$(stat -c %a '$X/$S0') = 644 ] && [ \$(ls -A '$X' | wc -l) = 1 ]"
  rm -rf "$X"
fi
w --server "$URL" _fetch -o "$TMP/no/such/dir" "$ID" "$S0"
expect_rc "-o into a missing directory: exit 1 naming it" 1 "$TMP/no/such/dir"

# ---- corrupted on the server: refused, nothing kept
rm -f "$(cached_file "${SHAS[7]}")"
f="$DATA/parcels/${BAD:0:2}/${BAD:2}"
check "the server stores the parcel at parcels/ab/cdef..." test -f "$f"
chmod u+w "$f" 2>/dev/null
printf 'XXXXXXXX' | dd of="$f" bs=1 seek=5000 conv=notrunc status=none
w --server "$URL" --json _fetch "$ID" "$BAD" "${SHAS[7]}"
expect_rc "a parcel corrupted on the server: exit 1" 1 "digest mismatch"
check "the JSON says digest mismatch for it" \
  bash -c "python3 -c \"import json,sys; d=json.load(sys.stdin); p=d['parcels'][0]; sys.exit(not ('digest mismatch' in p['error'] and p['path'] is None))\" <'$OUT'"
check "the other parcel of that run still arrived" cmp -s "$(cached_file "${SHAS[7]}")" "$TMP/p/${SHAS[7]}"
check "nothing of the corrupted parcel is in the cache" test ! -e "$(cached_file "$BAD")"
check "nor in partial/" test ! -e "$CACHE/partial/$BAD"

# ---- listed but not uploaded: the server's 404 message, nothing kept
w --server "$URL" _fetch "$ID" "$LATER"
expect_rc "a parcel not uploaded yet: exit 1 with the server's message" 1 "not been uploaded"
check "nothing of it is kept" test ! -e "$(cached_file "$LATER")" -a ! -e "$CACHE/partial/$LATER"
w --server "$URL" _fetch "$ID" "$(printf '%064d' 0)"
expect_rc "a sha256 the invoice does not list: exit 1" 1 "lists no parcel"
w --server "$URL" _fetch "wharf.test/none/1.0.0" "$BAD"
expect_rc "an unknown bindle: exit 1 with the server's message" 1 "cannot get the invoice"
w --server "$URL" _fetch --parallel 0 "$ID" "$BAD"
expect_rc "--parallel 0: usage, exit 2" 2 "--parallel"
w --server "$URL" _fetch --parallel 65 "$ID" "$BAD"
expect_rc "--parallel 65: usage, exit 2" 2 "--parallel"
w --server "$URL" _fetch "$ID" NOTASHA
expect_rc "a malformed sha256: usage, exit 2" 2 "not a sha256"

# ---- resume a partial left by an earlier run: only the missing half is fetched
head -c $HALF "$TMP/p/$BIG" >"$CACHE/partial/$BIG"
w --server "$URL" --json _fetch "$ID" "$BIG"
expect_rc "resume a half-downloaded 64 MiB parcel: exit 0" 0
check "only the second half crossed the network (a range request)" \
  test "$(json_get "d['parcels'][0]['fetched']")" = $((BIGSIZE - HALF))
check "and the status was 206" test "$(json_get "d['parcels'][0]['status']")" = 206
check "the resumed parcel is byte-identical" cmp -s "$(cached_file "$BIG")" "$TMP/p/$BIG"
check "its partial file is gone" test ! -e "$CACHE/partial/$BIG"

# ---- a partial with wrong bytes: detected, fetched again from scratch
rm -f "$(cached_file "$BIG")"
head -c $HALF /dev/urandom >"$CACHE/partial/$BIG"
w --server "$URL" --json _fetch "$ID" "$BIG"
expect_rc "a partial with wrong bytes: exit 0 all the same" 0
check "it was resumed, found wrong, and fetched whole again" \
  test "$(json_get "d['parcels'][0]['fetched']")" = $((BIGSIZE - HALF + BIGSIZE))
check "the re-fetched parcel is byte-identical" cmp -s "$(cached_file "$BIG")" "$TMP/p/$BIG"

# A partial that already holds every byte is checked and kept, no request.
rm -f "$(cached_file "${SHAS[9]}")"
cp "$TMP/p/${SHAS[9]}" "$CACHE/partial/${SHAS[9]}"
w --server "$URL" --json _fetch "$ID" "${SHAS[9]}"
check "a complete partial goes into the cache without fetching a byte" \
  test "$RC/$(json_get "d['parcels'][0]['fetched']")" = 0/0
check "and it is the parcel" cmp -s "$(cached_file "${SHAS[9]}")" "$TMP/p/${SHAS[9]}"

# ---- uploads: 20 files, 8 at a time, streamed with POST
UID_=wharf.test/xfer-up/1.0.0
mkdir -p "$TMP/u"
USHAS=()
for i in $(seq 1 20); do
  head -c $(( (RANDOM * 5 + i) % 300000 + 1 )) /dev/urandom >"$TMP/u/f$i"
  USHAS+=("$(sha256_of "$TMP/u/f$i")")
done
: >"$TMP/u/empty"
{
  printf 'bindleVersion = "1.0.0"\n\n[bindle]\nname = "wharf.test/xfer-up"\nversion = "1.0.0"\n'
  for i in $(seq 1 20) empty; do
    f="$TMP/u/f$i"; [ "$i" = empty ] && f="$TMP/u/empty"
    printf '\n[[parcel]]\n[parcel.label]\nsha256 = "%s"\nmediaType = "application/octet-stream"\nname = "f%s"\nsize = %d\n' \
      "$(sha256_of "$f")" "$i" "$(stat -c %s "$f")"
  done
} >"$TMP/up.toml"
req POST /_i --data-binary @"$TMP/up.toml"
expect_status "create the upload invoice: 202" 202
w --server "$URL" --json _send --parallel 8 "$UID_" "$TMP"/u/f* "$TMP/u/empty"
expect_rc "_send of 21 files (one empty), 8 at a time: exit 0" 0
check "every upload was answered 200" \
  test "$(json_get "sorted(set(p['status'] for p in d['parcels']))")" = "[200]"
req GET "/_r/missing/$UID_"
check "the server misses none of them now" bash -c "! grep -q sha256 '$BODY'"
same=0
for i in $(seq 1 20); do
  req GET "/_i/$UID_@${USHAS[$((i - 1))]}"
  cmp -s "$BODY" "$TMP/u/f$i" && same=$((same + 1))
done
check "the server gives back all 20 byte-identical" test $same = 20
head -c 1000 /dev/urandom >"$TMP/u/stranger"
w --server "$URL" _send "$UID_" "$TMP/u/stranger" "$TMP/u/f1"
expect_rc "a file the invoice does not list: exit 1" 1 "stranger"
check "its error is the server's 400 message" grep -q "HTTP 400: " "$ERR"
check "the listed one was sent all the same" grep -qx "$TMP/u/f1	uploaded" "$OUT"
w --server "$URL" _send wharf.test/nothing/1.0.0 "$TMP/u/f1"
expect_rc "an upload to an unknown bindle: exit 1 with HTTP 404" 1 "HTTP 404"

head -c 5000 /dev/urandom >"$TMP/u/cached"
CSHA=$(sha256_of "$TMP/u/cached")
printf 'bindleVersion = "1.0.0"\n[bindle]\nname = "wharf.test/xfer-c"\nversion = "1.0.0"\n[[parcel]]\n[parcel.label]\nsha256 = "%s"\nmediaType = "x/y"\nname = "c"\nsize = 5000\n' "$CSHA" >"$TMP/c.toml"
req POST /_i --data-binary @"$TMP/c.toml"
w --server "$URL" _send --cache wharf.test/xfer-c/1.0.0 "$TMP/u/cached"
expect_rc "_send --cache: exit 0" 0
check "the sent file is in the cache, byte-identical" cmp -s "$(cached_file "$CSHA")" "$TMP/u/cached"
w --server "$URL" --json _fetch wharf.test/xfer-c/1.0.0 "$CSHA"
check "so fetching it takes nothing from the network" \
  test "$RC/$(json_get "d['parcels'][0]['cached']")" = 0/True

check "stops cleanly" stop_wharfd

w --server "$URL" _fetch "$ID" "${SHAS[0]}"
expect_rc "with the server gone: exit 1 naming the URL" 1 "$URL/_i/"

# ---- cut off mid-transfer: retried within the run, resumed with a range.
# A stand-in server: the first GET of the parcel announces all of it, sends
# half and drops the connection; later ones honour the Range.
head -c 3000000 /dev/urandom >"$TMP/p/cut"
CUT=$(sha256_of "$TMP/p/cut")
cat >"$TMP/cutter.py" <<'EOF'
import http.server, json, re, sys
data = open(sys.argv[1], 'rb').read()
sha, log = sys.argv[2], open(sys.argv[3], 'a')
inv = {"bindleVersion": "1.0.0", "bindle": {"name": "cut", "version": "1.0.0"},
       "parcel": [{"label": {"sha256": sha, "mediaType": "x/y", "name": "c", "size": len(data)}}]}
state = {"gets": 0}
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        rng = self.headers.get("Range") or ""
        log.write("%s range=%s\n" % (self.path, rng)); log.flush()
        if self.path == "/v1/_i/cut/1.0.0":
            body = json.dumps(inv).encode()
            self.send_response(200); self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body))); self.end_headers()
            self.wfile.write(body); return
        state["gets"] += 1
        m = re.match(r"bytes=(\d+)-$", rng)
        if state["gets"] == 1:
            self.send_response(200); self.send_header("Content-Length", str(len(data)))
            self.end_headers(); self.wfile.write(data[:len(data) // 2]); self.wfile.flush()
            self.close_connection = True; return
        start = int(m.group(1)) if m else 0
        self.send_response(206 if m else 200)
        if m: self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        self.send_header("Content-Length", str(len(data) - start)); self.end_headers()
        self.wfile.write(data[start:])
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
EOF
python3 "$TMP/cutter.py" "$TMP/p/cut" "$CUT" "$TMP/cutter.log" >"$TMP/cutter.port" &
CUTTER=$!
for _ in $(seq 1 100); do [ -s "$TMP/cutter.port" ] && break; sleep 0.05; done
w --server "http://127.0.0.1:$(cat "$TMP/cutter.port")/v1" --json _fetch cut/1.0.0 "$CUT"
kill "$CUTTER" 2>/dev/null; wait "$CUTTER" 2>/dev/null
expect_rc "a download cut off half-way: retried, exit 0" 0
check "the retry asked for the missing half only" \
  grep -qx "/v1/_i/cut/1.0.0@$CUT range=bytes=1500000-" "$TMP/cutter.log"
check "each byte crossed the network once" test "$(json_get "d['parcels'][0]['fetched']")" = 3000000
check "the parcel is byte-identical" cmp -s "$(cached_file "$CUT")" "$TMP/p/cut"

finish
