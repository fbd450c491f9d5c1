#!/usr/bin/env bash
# Fixes from review, each pinned: a connection limit below the thread count
# still stops; text that is not UTF-8 gets a 4xx, never a 500; a 304 carries
# one Content-Length; trickling uploads lose their slot; parcels are served
# so that a browser never runs them; a label whose size contradicts the
# stored parcel is refused.
. "$(dirname "$0")/lib.sh"

inv() {  # inv NAME VERSION SHA SIZE
  printf 'bindleVersion = "1.0.0"\n[bindle]\nname = "%s"\nversion = "%s"\n[[parcel]]\n[parcel.label]\nsha256 = "%s"\nmediaType = "text/html"\nname = "p.html"\nsize = %s\n' "$@"
}

# --- more threads than connections: libmicrohttpd would never stop
start_wharfd --max-connections 2 --threads 4 || exit 1
req GET /healthz
expect_status "serves with max-connections below threads" 200
check "and still stops on SIGTERM" timeout 10 bash -c "kill -TERM $PID; while kill -0 $PID 2>/dev/null; do sleep 0.1; done"
wait "$PID" 2>/dev/null; PID=""
"$WHARFD" --listen 127.0.0.1:0 --data "$TMP/x" --max-connections 4294967296 2>"$TMP/big.log"
check "max-connections beyond unsigned int is refused (exit 2)" test $? -eq 2

DATA="$TMP/data"
start_wharfd --max-uploads 1 --idle-timeout 2 --min-upload-rate 1K || exit 1

# --- not UTF-8
req GET /%ff
expect_status "a path that is not UTF-8: 404" 404
expect_body "with an error body" 'error = "'
req GET '/_q?o=%ff'
expect_status "an offset that is not UTF-8: 400" 400
req GET '/_q?q=%ff'
expect_status "a query that is not UTF-8: 400" 400
expect_body "saying so" "UTF-8"
long=$(printf '%%C3%%A9%.0s' $(seq 1 300))
req GET "/x$long"
expect_status "an error message cut inside a character is still a 404" 404

# --- 304 and parcel headers
head -c 1000 /dev/urandom >"$TMP/p"
SHA=$(sha256_of "$TMP/p")
inv wharf.test/hard 1.0.0 "$SHA" 1000 >"$TMP/i.toml"
req POST /_i --data-binary @"$TMP/i.toml"
expect_status "create a bindle with an HTML parcel" 202
req DELETE '/_i/wharf.test/hard/1.0.0?reason=%ff%fe'
expect_status "a yank reason that is not UTF-8: 400" 400
req POST "/_i/wharf.test/hard/1.0.0@$SHA" --data-binary @"$TMP/p"
expect_status "upload it" 200
req GET "/_i/wharf.test/hard/1.0.0@$SHA" -H "If-None-Match: \"$SHA\""
expect_status "If-None-Match: 304" 304
check "the 304 has exactly one Content-Length" test "$(grep -ci '^content-length:' "$HDRS")" -eq 1
check "and it is the parcel's length" test "$(header Content-Length)" = 1000
req GET "/_i/wharf.test/hard/1.0.0@$SHA" -H 'Range: bytes=10-19' -H "If-Range: \"$SHA\""
expect_status "Range under a matching If-Range: 206" 206
check "with the ten bytes asked for" cmp -s "$BODY" <(tail -c +11 "$TMP/p" | head -c 10)
req GET "/_i/wharf.test/hard/1.0.0@$SHA" -H 'Range: bytes=10-19' -H 'If-Range: "0000"'
expect_status "Range under another validator: 200, the whole parcel" 200
check "all 1000 bytes" cmp -s "$BODY" "$TMP/p"
req GET "/_i/wharf.test/hard/1.0.0@$SHA" -H 'Range: bytes=10-19' -H 'If-Range: Sat, 21 Nov 2026 07:00:00 GMT'
expect_status "Range under a date If-Range: 200 (a parcel has no date to match)" 200
req GET "/_i/wharf.test/hard/1.0.0@$SHA"
check "parcels are served nosniff" test "$(header X-Content-Type-Options)" = nosniff
check "and sandboxed" test "$(header Content-Security-Policy)" = sandbox

# --- a label whose size contradicts the stored parcel
inv wharf.test/hard 1.0.1 "$SHA" 999 >"$TMP/bad.toml"
req POST /_i --data-binary @"$TMP/bad.toml"
expect_status "a label size that contradicts the stored parcel: 400" 400
expect_body "naming both sizes" "999 bytes, but the parcel with that sha256 is 1000 bytes"
req GET /_i/wharf.test/hard/1.0.1
expect_status "and that invoice was not stored" 404

# --- a trickling upload loses its slot
head -c 5000 /dev/urandom >"$TMP/q"
SHA2=$(sha256_of "$TMP/q")
inv wharf.test/trickle 1.0.0 "$SHA2" 5000 >"$TMP/t.toml"
req POST /_i --data-binary @"$TMP/t.toml"
(
  trap '' PIPE  # a write to the closed socket must fail, not kill us
  exec 7<>"/dev/tcp/127.0.0.1/$PORT"
  printf 'POST /v1/_i/wharf.test/trickle/1.0.0@%s HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n' "$SHA2" >&7
  for _ in $(seq 1 8); do printf x >&7 2>/dev/null || { echo closed >"$TMP/trickle"; exit 0; }; sleep 1; done
  echo open >"$TMP/trickle"
) &
tpid=$!
sleep 0.5
req POST "/_i/wharf.test/trickle/1.0.0@$SHA2" --data-binary @"$TMP/q" -H 'Expect:'
expect_status "while the trickler holds the only slot: 503" 503
wait "$tpid"
check "the server cut the trickler off" test "$(cat "$TMP/trickle")" = closed
req POST "/_i/wharf.test/trickle/1.0.0@$SHA2" --data-binary @"$TMP/q" -H 'Expect:'
expect_status "then its slot is free again" 200

check "stops cleanly before the next part" stop_wharfd
start_wharfd --max-uploads 16 || exit 1

# --- SIGTERM while uploads are finishing on the offload pool: a prompt,
# clean exit, and every parcel either whole or absent, never in between.
shas=()
for i in $(seq 1 16); do
  head -c 1048576 /dev/urandom >"$TMP/u$i"
  shas+=("$(sha256_of "$TMP/u$i")")
done
{
  printf 'bindleVersion = "1.0.0"\n[bindle]\nname = "wharf.test/stop"\nversion = "1.0.0"\n'
  for i in $(seq 1 16); do
    printf '[[parcel]]\n[parcel.label]\nsha256 = "%s"\nmediaType = "x/y"\nname = "u%s"\nsize = 1048576\n' "${shas[$((i - 1))]}" "$i"
  done
} >"$TMP/stop.toml"
req POST /_i --data-binary @"$TMP/stop.toml"
expect_status "create a 16-parcel bindle" 202
for i in $(seq 1 16); do
  curl -s -o /dev/null -H 'Expect:' -X POST --data-binary @"$TMP/u$i" \
    "$URL/_i/wharf.test/stop/1.0.0@${shas[$((i - 1))]}" &
done
sleep 0.05
check "SIGTERM with uploads finishing exits 0 within 10 s" \
  timeout 10 bash -c "kill -TERM $PID; while kill -0 $PID 2>/dev/null; do sleep 0.05; done"
wait "$PID"; rc=$?; PID=""
check "and its exit status is 0" test "$rc" -eq 0
wait
start_wharfd --max-uploads 16 || exit 1
whole=0 absent=0 broken=0
for i in $(seq 1 16); do
  req GET "/_i/wharf.test/stop/1.0.0@${shas[$((i - 1))]}"
  if [ "$STATUS" = 200 ] && cmp -s "$BODY" "$TMP/u$i"; then whole=$((whole + 1))
  elif [ "$STATUS" = 404 ]; then absent=$((absent + 1))
  else broken=$((broken + 1)); fi
done
echo "# after the stop: $whole parcels whole, $absent absent"
check "no parcel is half there after the stop" test "$broken" -eq 0
req GET /_r/missing/wharf.test/stop/1.0.0
check "the missing list agrees with what is stored" \
  test "$(grep -c '^sha256' "$BODY")" -eq "$absent"

check "stops cleanly" stop_wharfd
finish
