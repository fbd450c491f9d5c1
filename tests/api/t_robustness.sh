#!/usr/bin/env bash
# Failures around the server: clients that disconnect mid-upload or never
# finish their headers, many clients uploading one parcel at once, SIGKILL
# and SIGTERM in the middle of an upload, and a 64 MiB parcel streamed
# through without the server holding it in memory.
. "$(dirname "$0")/lib.sh"

# Parcel files outside .tmp; entries (named temporary files) inside it.
# Descriptors the server holds on temporary upload files.
tmp_fds() {
  local f n=0
  for f in /proc/"$PID"/fd/*; do
    [[ $(readlink "$f" 2>/dev/null) == */.tmp/* ]] && n=$((n + 1))
  done
  echo "$n"
}
tmp_clean() { [ "$(tmp_entries)" -eq 0 ]; }
no_tmp_fds() { [ "$(tmp_fds)" -eq 0 ]; }

# eventually CMD...: CMD succeeds within about 5 s.
eventually() {
  local _
  for _ in $(seq 1 50); do "$@" && return 0; sleep 0.1; done
  return 1
}

# hold_upload ID SHA SIZE FILE BYTES: starts an upload of FILE on fd 8 and
# sends its first BYTES bytes.  The server's "100 Continue" says that it has
# taken the upload, so what follows does not race with it.
hold_upload() {
  local line=""
  exec 8<>"/dev/tcp/127.0.0.1/$PORT" || return 1
  printf 'POST /v1/_i/%s@%s HTTP/1.1\r\nHost: t\r\nContent-Length: %s\r\nConnection: close\r\nExpect: 100-continue\r\n\r\n' \
    "$1" "$2" "$3" >&8
  IFS= read -r -t 10 line <&8 || return 1
  [[ $line == "HTTP/1.1 100"* ]] || { echo "# held upload got: $line"; return 1; }
  IFS= read -r -t 5 line <&8
  head -c "$5" "$4" >&8
}
drop_upload() { exec 8<&- 8>&-; }

# A parcel that a test half-uploads: 256 KiB, so half is more than a chunk.
head -c 262144 /dev/urandom >"$TMP/half.dat"
head -c 2097152 /dev/urandom >"$TMP/crowd.dat"
head -c 131072 /dev/urandom >"$TMP/killed.dat"
head -c 131072 /dev/urandom >"$TMP/termed.dat"
printf 'kept across restarts\n' >"$TMP/kept.dat"
HALF=$(sha256_of "$TMP/half.dat") CROWD=$(sha256_of "$TMP/crowd.dat")
KILLED=$(sha256_of "$TMP/killed.dat") TERMED=$(sha256_of "$TMP/termed.dat")
KEPT=$(sha256_of "$TMP/kept.dat")
ID=wharf.test/robust/1.0.0
cat >"$TMP/robust.toml" <<EOF
bindleVersion = "1.0.0"

[bindle]
name = "wharf.test/robust"
version = "1.0.0"
description = "parcels for the robustness tests"

[[parcel]]
[parcel.label]
sha256 = "$HALF"
mediaType = "application/octet-stream"
name = "half.bin"
size = 262144

[[parcel]]
[parcel.label]
sha256 = "$CROWD"
mediaType = "application/octet-stream"
name = "crowd.bin"
size = 2097152

[[parcel]]
[parcel.label]
sha256 = "$KILLED"
mediaType = "application/octet-stream"
name = "killed.bin"
size = 131072

[[parcel]]
[parcel.label]
sha256 = "$TERMED"
mediaType = "application/octet-stream"
name = "termed.bin"
size = 131072

[[parcel]]
[parcel.label]
sha256 = "$KEPT"
mediaType = "text/plain"
name = "kept.txt"
size = 21
EOF

# ---------------------------------------------------------------- (a), (b)
start_wharfd --idle-timeout 2 --max-uploads 2 || exit 1
req POST /_i --data-binary @"$TMP/robust.toml"
expect_status "create the robustness invoice: 202" 202
req POST "/_i/$ID@$KEPT" --data-binary @"$TMP/kept.dat"
expect_status "upload a first parcel" 200
files0=$(stored_files)

# (a) Three clients send half the body and hang up.  With --max-uploads 2,
# a slot leaked by each would leave no room for the full upload after them.
for i in 1 2 3; do
  hold_upload "$ID" "$HALF" 262144 "$TMP/half.dat" 131072
  check "disconnect $i: the upload was under way" test $? -eq 0
  check "disconnect $i: the server holds one temporary file for it" test "$(tmp_fds)" -eq 1
  drop_upload
  check "disconnect $i: the server drops its temporary file at once" eventually no_tmp_fds
done
check "after the disconnects no parcel file was stored" test "$(stored_files)" -eq "$files0"
check "after the disconnects .tmp holds no named file" eventually tmp_clean
req GET "/_r/missing/$ID"
check "after the disconnects _r/missing still lists the parcel" grep -q "$HALF" "$BODY"
req GET "/_i/$ID@$HALF"
expect_status "after the disconnects the parcel is not downloadable: 404" 404
req POST "/_i/$ID@$HALF" --data-binary @"$TMP/half.dat"
expect_status "a later full upload works (no upload slot leaked)" 200
req GET "/_i/$ID@$HALF"
check "and downloads byte-identical" cmp -s "$BODY" "$TMP/half.dat"

# (b) Slow clients that never finish their headers.
for fd in 3 4 5 6 9; do
  eval "exec $fd<>/dev/tcp/127.0.0.1/$PORT"
  printf 'GET /v1/_i/x' >&"$fd"
done
start=$(date +%s%N)
ok=0
for _ in $(seq 1 10); do
  req GET "/_i/$ID"
  [ "$STATUS" = 200 ] && ok=$((ok + 1))
done
elapsed=$((($(date +%s%N) - start) / 1000000))
check "with 5 stalled clients, 10 GETs are served (got $ok)" test "$ok" -eq 10
check "and promptly (${elapsed} ms for 10)" test "$elapsed" -lt 3000
exec 3>&- 4>&- 5>&- 6>&-
start=$(date +%s%N)
timeout 6 cat <&9 >/dev/null
rc=$?
elapsed=$((($(date +%s%N) - start) / 1000000))
exec 9>&-
check "--idle-timeout 2 closes a stalled client (closed after ${elapsed} ms)" test "$rc" -eq 0
check "but not before it has been idle a while (>= 1 s)" test "$elapsed" -ge 1000
req GET /healthz
expect_status "after the stalled clients the server serves" 200
check "stops cleanly" stop_wharfd

# ---------------------------------------------------------------- (c)
start_wharfd || exit 1
files0=$(stored_files)
pids=()
for i in 1 2 3 4 5 6 7 8; do
  curl -sS -o "$TMP/crowd$i.out" -w '%{http_code}\n' --limit-rate 4M --max-time 30 \
    --data-binary @"$TMP/crowd.dat" "$URL/_i/$ID@$CROWD" >"$TMP/crowd$i.status" 2>&1 &
  pids+=($!)
done
wait "${pids[@]}"
codes=$(cat "$TMP"/crowd?.status | tr '\n' ' ')
check "8 clients uploading one parcel at once all get 200 ($codes)" \
  test "$(grep -lx 200 "$TMP"/crowd?.status | wc -l)" -eq 8
check "exactly one new parcel file exists" test "$(stored_files)" -eq $((files0 + 1))
f=$(find "$DATA/parcels" -path "$DATA/parcels/.tmp" -prune -o -type f -name "*${CROWD:2}*" -print)
check "that file has the right content" cmp -s "$f" "$TMP/crowd.dat"
check ".tmp holds no named file after the crowd" eventually tmp_clean
check "no temporary file stays open after the crowd" eventually no_tmp_fds
req GET "/_i/$ID@$CROWD"
check "the crowd's parcel downloads byte-identical" cmp -s "$BODY" "$TMP/crowd.dat"

# ---------------------------------------------------------------- (d)
hold_upload "$ID" "$KILLED" 131072 "$TMP/killed.dat" 65536
check "an upload is under way before SIGKILL" test $? -eq 0
{ kill -KILL "$PID"; wait "$PID"; } 2>/dev/null
PID=""
drop_upload
check "after SIGKILL no parcel file was stored" \
  test -z "$(find "$DATA/parcels" -path "$DATA/parcels/.tmp" -prune -o -type f -name "*${KILLED:2}*" -print)"
start_wharfd || exit 1
check "after the restart .tmp holds no named file" test "$(tmp_entries)" -eq 0
req GET /healthz
expect_status "after SIGKILL and a restart: healthz 200" 200
req GET "/_i/$ID"
expect_status "the invoice is intact" 200
expect_body "the invoice still lists its parcels" "$TERMED"
req GET "/_i/$ID@$KEPT"
check "an earlier parcel is intact" cmp -s "$BODY" "$TMP/kept.dat"
req GET "/_r/missing/$ID"
check "the killed upload's parcel is still missing" grep -q "$KILLED" "$BODY"
req GET "/_i/$ID@$KILLED"
expect_status "and not downloadable: 404" 404
req POST "/_i/$ID@$KILLED" --data-binary @"$TMP/killed.dat"
expect_status "the upload then completes: 200" 200
req GET "/_i/$ID@$KILLED"
check "and downloads byte-identical" cmp -s "$BODY" "$TMP/killed.dat"

# ---------------------------------------------------------------- (e)
hold_upload "$ID" "$TERMED" 131072 "$TMP/termed.dat" 65536
check "an upload is under way before SIGTERM" test $? -eq 0
kill -TERM "$PID"
for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.05; done
check "SIGTERM during an upload stops the server within 5 s" bash -c "! kill -0 $PID 2>/dev/null"
kill -KILL "$PID" 2>/dev/null
wait "$PID"
rc=$?
PID=""
drop_upload
check "and it exits with status 0 (exited $rc)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || tail -n 20 "$TMP/wharfd.log" | sed 's/^/#   /'
check "after SIGTERM the partial parcel was not stored" \
  test -z "$(find "$DATA/parcels" -path "$DATA/parcels/.tmp" -prune -o -type f -name "*${TERMED:2}*" -print)"
check "after SIGTERM .tmp holds no named file" test "$(tmp_entries)" -eq 0
start_wharfd || exit 1
req GET "/_r/missing/$ID"
check "after SIGTERM and a restart the parcel is still missing" grep -q "$TERMED" "$BODY"
req POST "/_i/$ID@$TERMED" --data-binary @"$TMP/termed.dat"
expect_status "and its upload then completes: 200" 200

# ---------------------------------------------------------------- (f)
head -c 67108864 /dev/urandom >"$TMP/big.dat"
BIG=$(sha256_of "$TMP/big.dat")
cat >"$TMP/big.toml" <<EOF
bindleVersion = "1.0.0"

[bindle]
name = "wharf.test/big"
version = "1.0.0"

[[parcel]]
[parcel.label]
sha256 = "$BIG"
mediaType = "application/octet-stream"
name = "big.wasm"
size = 67108864
EOF
req POST /_i --data-binary @"$TMP/big.toml"
expect_status "create the 64 MiB bindle: 202" 202
hwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$PID/status"; }
before=$(hwm)
curl -sS -o "$TMP/big.up" -w '%{http_code}' --max-time 60 --data-binary @"$TMP/big.dat" \
  "$URL/_i/wharf.test/big/1.0.0@$BIG" >"$TMP/big.status" 2>&1 &
# VmHWM is the peak resident size so far, so reading it after the upload
# covers every moment of it.
wait $!
peak=$(hwm)
check "the 64 MiB upload: 200" test "$(cat "$TMP/big.status")" = 200
check "the server's peak RSS stays under 128 MiB (${before} kB before, ${peak} kB peak)" \
  test "$peak" -lt 131072
curl -sS -o "$TMP/big.down" "$URL/_i/wharf.test/big/1.0.0@$BIG"
check "the 64 MiB parcel downloads byte-identical" cmp -s "$TMP/big.down" "$TMP/big.dat"
h=$(hwm)
check "and the download keeps the peak RSS under 128 MiB (${h} kB)" test "$h" -lt 131072
rm -f "$TMP/big.down" "$TMP/big.dat"

check "stops cleanly" stop_wharfd
finish
