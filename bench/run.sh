#!/usr/bin/env bash
# bench/run.sh - `make bench`: Wharf beside nginx and the CNCF distribution
# registry, on this machine, in one run (issue 6, and issue 4's push/pull);
# wasm validation beside wabt's wasm-validate, and AOT builds (issue 5).
#
# Every server is started here, as the current user, on a free loopback port,
# with its own generated config and data under one temporary directory, and
# stopped on exit; system services and /etc are never touched.  Each figure is
# the median of BENCH_RUNS runs (at least 3).  The table is printed at the end
# and written as JSON to bench/results/<timestamp>.json.
#
# Settings (environment): BENCH_RUNS (3), BENCH_SECONDS (wrk duration, 5),
# BENCH_INVOICES (100000), BENCH_CONC_MIB (size of each of the 16 concurrent
# uploads, 256), BENCH_WASM_SIZES (modules validated, "10K 1M 10M 50M"),
# BENCH_AOT_SIZES (modules precompiled, "10K 1M"), BENCH_AOT_TARGETS
# ("x86_64-linux-gnu aarch64-linux-gnu riscv64-linux-gnu"),
# BENCH_AOT_RSS_TARGETS (the targets whose builds are run again alone for
# their peak memory, "x86_64-linux-gnu": the cross compilers' peaks were
# within 10% of it, and each 1M rerun costs about 40 s), BENCH_AOT_GETS
# (cache-hit GETs per artifact, 9), WHARFD, WHARF (default bin/wharfd,
# bin/wharf), TMPDIR.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
WHARFD=${WHARFD:-$ROOT/bin/wharfd}
WHARF=${WHARF:-$ROOT/bin/wharf}
RUNS=${BENCH_RUNS:-3}
[ "$RUNS" -ge 3 ] || RUNS=3
SECS=${BENCH_SECONDS:-5}
NINV=${BENCH_INVOICES:-100000}
CONC_MIB=${BENCH_CONC_MIB:-256}
WASM_SIZES=${BENCH_WASM_SIZES:-10K 1M 10M 50M}
AOT_SIZES=${BENCH_AOT_SIZES:-10K 1M}
AOT_TARGETS=${BENCH_AOT_TARGETS:-x86_64-linux-gnu aarch64-linux-gnu riscv64-linux-gnu}
AOT_RSS_TARGETS=" ${BENCH_AOT_RSS_TARGETS:-x86_64-linux-gnu} "
AOT_GETS=${BENCH_AOT_GETS:-9}
AOT_WAIT=1800
TOOL=(python3 "$HERE/tool.py")
MiB=1048576

T=$(mktemp -d "${TMPDIR:-/tmp}/wharf-bench.XXXXXX")
RESULTS=$T/results.jsonl
: >"$RESULTS"
STARTED=()
T0=$(date +%s)

# Servers are stopped one by one by the ids recorded when they were started.
cleanup() {
  local pid
  for pid in "${STARTED[@]}"; do stop_pid "$pid"; done
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '[%4ds] %s\n' $(($(date +%s) - T0)) "$*"; }
warn() { say "WARNING: $*" >&2; }
rec() { "${TOOL[@]}" record "$RESULTS" "$1" "$2"; }
note() { say "note: $*"; rec note "$*"; }

# section NAME: a heading with the load average, after a `sync` so that no
# section pays for the writeback of the one before.
section() {
  local load
  sync
  load=$(cat /proc/loadavg)
  echo
  say "== $1 (loadavg before: $load)"
  rec "load.$1" "$load"
}

# median NUMBER...: the middle value (mean of the two middle ones when even).
median() {
  [ $# -gt 0 ] || return 1
  printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {
    if (NR % 2) printf "%.6g\n", a[(NR + 1) / 2]; else printf "%.6g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# stop_pid PID: SIGTERM, then SIGKILL after 5 s, for a server started here;
# the id is then dropped from STARTED so that a recycled id is never hit.
stop_pid() {
  local pid=$1 i keep=()
  for i in "${STARTED[@]}"; do [ "$i" = "$pid" ] || keep+=("$i"); done
  STARTED=("${keep[@]}")
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

# wait_http URL: up to 10 s for URL to answer 200.
wait_http() {
  local i
  for i in $(seq 1 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" 2>/dev/null)" = 200 ] && return 0
    sleep 0.1
  done
  return 1
}

# start_wharfd TAG [ARGS...]: a fresh wharfd with data in $T/wharfd-TAG; sets
# W_PID and W_URL (…/v1).  Writes are open (--verify none --auth none): the
# server-side workloads measure storage and serving, not signature checks.
start_wharfd() {
  local tag=$1 log=$T/wharfd-$1.log port="" i
  shift
  rm -rf "$T/wharfd-$tag"
  mkdir -p "$T/wharfd-$tag"
  "$WHARFD" --listen 127.0.0.1:0 --data "$T/wharfd-$tag" --verify none --auth none \
    --log-level error "$@" >/dev/null 2>"$log" &
  W_PID=$!
  STARTED+=("$W_PID")
  for i in $(seq 1 100); do
    port=$(sed -n 's#^wharfd: listening on http://127\.0\.0\.1:\([0-9]*\)$#\1#p' "$log")
    [ -n "$port" ] && break
    kill -0 "$W_PID" 2>/dev/null || break
    sleep 0.1
  done
  W_URL=http://127.0.0.1:$port/v1
  if [ -z "$port" ] || ! wait_http "http://127.0.0.1:$port/healthz"; then
    warn "wharfd ($tag) did not start: $(tail -n 3 "$log" | tr '\n' ' ')"
    return 1
  fi
}

stop_wharfd() { stop_pid "$W_PID"; rm -rf "$T/wharfd-$1"; }

# nginx serves $T/www from a generated config; the master runs in the
# foreground and its workers as the current user.
start_nginx() {
  local d=$T/nginx user=""
  NGINX_PORT=$("${TOOL[@]}" freeport)
  mkdir -p "$d/logs" "$d/tmp"
  [ "$(id -u)" -eq 0 ] && user="user root;"
  cat >"$d/nginx.conf" <<EOF
$user
worker_processes auto;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  default_type application/octet-stream;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $T/www;
  }
}
EOF
  nginx -p "$d" -c "$d/nginx.conf" -e "$d/logs/error.log" -g 'daemon off;' 2>"$d/stderr" &
  NGINX_PID=$!
  STARTED+=("$NGINX_PID")
  if ! wait_http "http://127.0.0.1:$NGINX_PORT/1k.bin"; then
    warn "nginx did not start: $(tail -n 3 "$d/stderr" "$d/logs/error.log" 2>/dev/null | tr '\n' ' ')"
    NGINX_PORT=""
    return 1
  fi
}

# start_registry TAG: the distribution registry with filesystem storage in
# $T/registry-TAG; sets R_PID and R_URL (http://127.0.0.1:PORT).
start_registry() {
  local d=$T/registry-$1 port
  port=$("${TOOL[@]}" freeport)
  rm -rf "$d"
  mkdir -p "$d/data"
  cat >"$d/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $d/data
  redirect:
    disable: true
http:
  addr: 127.0.0.1:$port
EOF
  docker-registry serve "$d/config.yml" >"$d/log" 2>&1 &
  R_PID=$!
  STARTED+=("$R_PID")
  R_URL=http://127.0.0.1:$port
  if ! wait_http "$R_URL/v2/"; then
    warn "docker-registry did not start: $(tail -n 3 "$d/log" | tr '\n' ' ')"
    R_URL=""
    return 1
  fi
}

stop_registry() { stop_pid "$R_PID"; rm -rf "$T/registry-$1"; }

# registry_put_blob BASE REPO FILE: a monolithic upload (POST, then PUT with
# the digest); prints the seconds both requests took, as curl measured them.
registry_put_blob() {
  local base=$1 repo=$2 file=$3 sha loc t1 t2 code sep="?"
  sha=$(sha256sum "$file" | cut -d' ' -f1)
  loc=$(curl -s -o /dev/null -D - -w '%{time_total}\n' -X POST "$base/v2/$repo/blobs/uploads/" |
    tr -d '\r' | awk 'tolower($1)=="location:"{l=$2} /^[0-9.]+$/{t=$1} END{print l, t}')
  t1=${loc##* }
  loc=${loc% *}
  [ -n "$loc" ] || return 1
  case $loc in http*) ;; *) loc=$base$loc ;; esac
  case $loc in *\?*) sep="&" ;; esac
  read -r code t2 < <(curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H 'Expect:' \
    -H 'Content-Type: application/octet-stream' -T "$file" "$loc${sep}digest=sha256:$sha")
  [ "$code" = 201 ] || { warn "registry blob PUT: HTTP $code"; return 1; }
  awk -v a="$t1" -v b="$t2" 'BEGIN{printf "%.6f\n", a + b}'
}

# registry_put_manifest BASE REPO TAG FILE...: an OCI manifest whose layers
# are FILE... (already uploaded as blobs) and a minimal config.
registry_put_manifest() {
  local base=$1 repo=$2 tag=$3 d=$T/manifest-$RANDOM
  shift 3
  "${TOOL[@]}" oci "$d" "$tag" "$@" || return 1
  local cfg man
  cfg=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]+"/index.json"))["manifests"][0]["digest"][7:]; print(json.load(open(sys.argv[1]+"/blobs/sha256/"+m))["config"]["digest"][7:])' "$d")
  man=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]+"/index.json"))["manifests"][0]["digest"][7:])' "$d")
  registry_put_blob "$base" "$repo" "$d/blobs/sha256/$cfg" >/dev/null || return 1
  [ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
    --data-binary @"$d/blobs/sha256/$man" "$base/v2/$repo/manifests/$tag")" = 201 ] || return 1
  rm -rf "$d"
}

# wrk_run CONNECTIONS URL [HEADER]: prints "req/s p99_ms" of one run, or fails
# when wrk saw errors or non-2xx answers.
wrk_run() {
  local c=$1 url=$2 out
  local args=(-t2 -c"$c" -d"${SECS}s" --latency)
  [ $# -ge 3 ] && args+=(-H "$3")
  out=$(wrk "${args[@]}" "$url" 2>&1) || { warn "wrk failed: $out"; return 1; }
  if grep -q 'Non-2xx' <<<"$out"; then
    warn "wrk: $(grep 'Non-2xx' <<<"$out") for $url"
    return 1
  fi
  awk '
    $1 == "Requests/sec:" { rps = $2 }
    $1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
      p99 = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : (u == "m") ? v * 60000 : v }
    END { if (rps == "") exit 1; printf "%s %.3f\n", rps, p99 }' <<<"$out"
}

# interleave PREFIX ROUNDS NAME...: calls `measure NAME` (defined by each
# section; prints one figure per entry of FIELDS, or one figure when FIELDS is
# empty) for every NAME in turn, ROUNDS times over, so that a change in this
# shared machine's load hits every peer alike.  Records PREFIX.NAME[.FIELD],
# the median of the rounds; a NAME that fails once is reported and left n/a.
FIELDS=()
UNIT=""
interleave() {
  local prefix=$1 rounds=$2 n i m out got
  shift 2
  local -A vals=() dead=()
  for ROUND in $(seq 1 "$rounds"); do
    for n in "$@"; do
      [ -n "${dead[$n]:-}" ] && continue
      if out=$(measure "$n") && [ -n "$out" ]; then
        read -r -a got <<<"$out"
        for i in "${!got[@]}"; do vals[$n.$i]+="${got[$i]} "; done
      else
        dead[$n]=1
        warn "$prefix.$n failed; its figure is n/a"
      fi
    done
  done
  for n in "$@"; do
    [ -n "${dead[$n]:-}" ] && continue
    if [ ${#FIELDS[@]} -eq 0 ]; then
      m=$(median ${vals[$n.0]})
      rec "$prefix.$n" "$m"
      rec "runs.$prefix.$n" "${vals[$n.0]% }"
      say "  $prefix.$n: $m $UNIT (runs: ${vals[$n.0]% })"
    else
      for i in "${!FIELDS[@]}"; do
        m=$(median ${vals[$n.$i]})
        rec "$prefix.$n.${FIELDS[$i]}" "$m"
        rec "runs.$prefix.$n.${FIELDS[$i]}" "${vals[$n.$i]% }"
        say "  $prefix.$n.${FIELDS[$i]}: $m (runs: ${vals[$n.$i]% })"
      done
    fi
  done
}

mibs_of() { awk -v t="$1" -v n="$2" -v m=$MiB 'BEGIN{printf "%.1f\n", n / m / t}'; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.4f", b - a}'; }

for tool in nginx docker-registry wrk skopeo curl python3; do
  command -v "$tool" >/dev/null || warn "$tool is not installed: its figures will be n/a"
done
[ -x "$WHARFD" ] && [ -x "$WHARF" ] || { echo "bench: build first ($WHARFD, $WHARF)" >&2; exit 1; }

say "bench: data and servers under $T; $(nproc) cores; $RUNS runs per figure; wrk ${SECS}s"
note "wharfd runs with --verify none --auth none (server-side workloads; push signs with a creator key all the same)"

# ---------------------------------------------------------------- test data
section data
mkdir -p "$T/www" "$T/up" "$T/rel" "$T/xdg/config" "$T/xdg/cache" "$T/tmp"
"${TOOL[@]}" files "$T/www" 1 1024 k >/dev/null
"${TOOL[@]}" files "$T/www" 1 $MiB m >/dev/null
"${TOOL[@]}" files "$T/www" 1 $((64 * MiB)) g >/dev/null
mv "$T/www/k000.bin" "$T/www/1k.bin"
mv "$T/www/m000.bin" "$T/www/1m.bin"
mv "$T/www/g000.bin" "$T/www/64m.bin"
NUP=$((RUNS + 2))
"${TOOL[@]}" variants "$T/www/64m.bin" "$T/up" "$NUP" >"$T/up.list"
"${TOOL[@]}" files "$T/rel" 200 $((512 * 1024)) part >/dev/null
"${TOOL[@]}" oci "$T/oci" 1.0.0 "$T"/rel/*.bin
say "1 KiB, 1 MiB, 64 MiB files; $NUP distinct 64 MiB upload files; 200 x 512 KiB release, also as an OCI layout"

# ---------------------------------------------------------------- servers
section servers
start_nginx || true
start_registry main || R_URL=""
MAIN_R_URL=$R_URL
MAIN_R_PID=${R_PID:-}
if ! start_wharfd main; then
  echo "bench: wharfd does not start; nothing to measure" >&2
  exit 1
fi
MAIN_W_PID=$W_PID

# The same bytes in wharfd: one invoice listing the three served files.
"${TOOL[@]}" invoice bench/serve 1.0.0 "$T/serve.toml" "$T/www/1k.bin" "$T/www/1m.bin" "$T/www/64m.bin"
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/serve.toml" "$W_URL/_i")
[ "$code" = 202 ] || warn "posting the serve invoice: HTTP $code"
declare -A SHA=()
for f in 1k 1m 64m; do
  sha=$(sha256sum "$T/www/$f.bin" | cut -d' ' -f1)
  SHA[$f]=$sha
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Expect:' -X POST -T "$T/www/$f.bin" "$W_URL/_i/bench/serve/1.0.0@$sha")
  [ "$code" = 200 ] || warn "uploading $f to wharfd: HTTP $code"
  if [ -n "$R_URL" ]; then
    registry_put_blob "$R_URL" bench/serve "$T/www/$f.bin" >/dev/null || { warn "registry upload of $f failed"; }
  fi
done
if [ -n "$R_URL" ]; then
  registry_put_manifest "$R_URL" bench/serve 1.0.0 "$T/www/1k.bin" || warn "registry manifest upload failed"
fi
say "nginx: ${NGINX_PORT:+http://127.0.0.1:}${NGINX_PORT:-n/a}; registry: ${R_URL:-n/a}; wharfd: $W_URL"

# ---------------------------------------------------------------- invoice GET
PEERS=()
[ -n "$NGINX_PORT" ] && PEERS+=(nginx)
[ -n "$R_URL" ] && PEERS+=(registry)
section invoice_get
measure() {
  case $1 in
    wharf) wrk_run 64 "$W_URL/_i/bench/serve/1.0.0" ;;
    nginx) wrk_run 64 "http://127.0.0.1:$NGINX_PORT/1k.bin" ;;
    registry) wrk_run 64 "$R_URL/v2/bench/serve/manifests/1.0.0" 'Accept: application/vnd.oci.image.manifest.v1+json' ;;
  esac
}
FIELDS=(rps p99)
interleave inv_get "$RUNS" wharf "${PEERS[@]}"
FIELDS=()

# ---------------------------------------------------------------- parcel GET 1 MiB
section parcel_get_1m
UNIT=MiB/s
measure() {
  local out
  case $1 in
    wharf) out=$(wrk_run 16 "$W_URL/_i/bench/serve/1.0.0@${SHA[1m]}") ;;
    nginx) out=$(wrk_run 16 "http://127.0.0.1:$NGINX_PORT/1m.bin") ;;
    registry) out=$(wrk_run 16 "$R_URL/v2/bench/serve/blobs/sha256:${SHA[1m]}") ;;
  esac || return 1
  echo "${out% *}"   # requests/s of 1 MiB answers: MiB/s
}
interleave get1m "$RUNS" wharf "${PEERS[@]}"

# ---------------------------------------------------------------- parcel GET 64 MiB
# One download at a time, timed by curl itself (no process start-up in it).
section parcel_get_64m
measure() {
  local url code t
  case $1 in
    wharf) url=$W_URL/_i/bench/serve/1.0.0@${SHA[64m]} ;;
    nginx) url=http://127.0.0.1:$NGINX_PORT/64m.bin ;;
    registry) url=$R_URL/v2/bench/serve/blobs/sha256:${SHA[64m]} ;;
  esac
  read -r code t < <(curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "$url")
  [ "$code" = 200 ] || { warn "GET $url: HTTP $code"; return 1; }
  mibs_of "$t" $((64 * MiB))
}
interleave get64m $((2 * RUNS + 1)) wharf "${PEERS[@]}"

# ---------------------------------------------------------------- upload 64 MiB
# Each round stores a parcel that nobody has yet (the files differ in their
# first bytes), read from the page cache, onto the file system that holds the
# dd target and both servers' data.  `sync` first, so that no round pays for
# the writeback of the one before.
section upload_64m
mapfile -t UPLINES <"$T/up.list"
mapfile -t UPFILES < <(awk '{print $3}' "$T/up.list")
"${TOOL[@]}" invoice bench/upload 1.0.0 "$T/upload.toml" "${UPFILES[@]}"
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/upload.toml" "$W_URL/_i")
[ "$code" = 202 ] || warn "posting the upload invoice: HTTP $code"
measure() {
  local sha f code t
  read -r sha _ f <<<"${UPLINES[$((ROUND - 1))]}"
  sync
  case $1 in
    wharf)
      read -r code t < <(curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H 'Expect:' -X POST -T "$f" \
        "$W_URL/_i/bench/upload/1.0.0@$sha")
      [ "$code" = 200 ] || { warn "wharfd upload: HTTP $code"; return 1; } ;;
    dd)
      rm -f "$T/dd.out"
      t=$(dd if="$f" of="$T/dd.out" bs=1M conv=fsync 2>&1 | awk '/copied/ {for (i = 1; i <= NF; i++) if ($i == "s,") print $(i - 1)}')
      rm -f "$T/dd.out" ;;
    registry)
      t=$(registry_put_blob "$R_URL" bench/upload "$f") || return 1 ;;
  esac
  [ -n "$t" ] && mibs_of "$t" $((64 * MiB))
}
UPPEERS=(dd)
[ -n "$R_URL" ] && UPPEERS+=(registry)
interleave up64m "$NUP" wharf "${UPPEERS[@]}"
[ -n "$R_URL" ] && note "the registry's filesystem driver does not fsync an upload; wharfd and dd do"

# ---------------------------------------------------------------- POST 1000 parcels
section post_1000
v=()
for r in $(seq 1 $((RUNS + 2))); do
  "${TOOL[@]}" fakeinvoice bench/big "1.0.$r" 1000 "$T/big.toml"
  read -r code t < <(curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --data-binary @"$T/big.toml" "$W_URL/_i")
  [ "$code" = 202 ] || { warn "POST of a 1000-parcel invoice: HTTP $code"; v=(); break; }
  v+=("$(awk -v t="$t" 'BEGIN{printf "%.2f", t * 1000}')")
done
[ ${#v[@]} -gt 0 ] && { rec post1000.wharf "$(median "${v[@]}")"; rec runs.post1000.wharf "${v[*]}"; say "  post1000.wharf: $(median "${v[@]}") ms (runs: ${v[*]})"; }

# The GET workloads are done: the main servers' memory and sockets go away
# before the upload-heavy sections.
stop_pid "$MAIN_W_PID"
[ -n "$MAIN_R_URL" ] && stop_pid "$MAIN_R_PID"
[ -n "$NGINX_PORT" ] && stop_pid "$NGINX_PID"

# ---------------------------------------------------------------- 16 concurrent uploads
section concurrent_uploads
need_mib=$((16 * CONC_MIB * 2 + 1024))
avail_mib=$(df -Pm "$T" | awk 'NR == 2 {print $4}')
while [ "$CONC_MIB" -gt 16 ] && [ "$avail_mib" -lt "$need_mib" ]; do
  CONC_MIB=$((CONC_MIB / 2))
  need_mib=$((16 * CONC_MIB * 2 + 1024))
done
want_mib=${BENCH_CONC_MIB:-256}
[ "$CONC_MIB" -lt "$want_mib" ] && note "16 concurrent uploads of $CONC_MIB MiB, not $want_mib: only ${avail_mib} MiB free under $T"
[ "$want_mib" -lt 256 ] && note "16 concurrent uploads of $CONC_MIB MiB each (BENCH_CONC_MIB), not 256"
"${TOOL[@]}" files "$T/cbase" 1 $((CONC_MIB * MiB)) b >/dev/null
"${TOOL[@]}" variants "$T/cbase/b000.bin" "$T/conc" 16 >"$T/conc.list"
rm -rf "$T/cbase"
mapfile -t CFILES < <(awk '{print $3}' "$T/conc.list")
rss=() rate=()
for r in $(seq 1 "$RUNS"); do
  start_wharfd "conc$r" || break
  "${TOOL[@]}" invoice bench/conc 1.0.0 "$T/conc.toml" "${CFILES[@]}"
  code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/conc.toml" "$W_URL/_i")
  [ "$code" = 202 ] || { warn "posting the concurrent-upload invoice: HTTP $code"; stop_wharfd "conc$r"; break; }
  rm -f "$T/rss.out" "$T/rss.out.stop"
  "${TOOL[@]}" rss "$W_PID" "$T/rss.out" &
  sampler=$!
  t0=$(now)
  cpids=()
  while read -r sha _ f; do
    curl -s -o /dev/null -w '%{http_code}\n' -H 'Expect:' -X POST -T "$f" "$W_URL/_i/bench/conc/1.0.0@$sha" \
      >"$T/conc.$sha.code" &
    cpids+=($!)
  done <"$T/conc.list"
  for p in "${cpids[@]}"; do wait "$p"; done
  secs=$(since "$t0")
  hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$W_PID/status")
  touch "$T/rss.out.stop"
  wait "$sampler"
  bad=$(cat "$T"/conc.*.code | grep -vc '^200$')
  rm -f "$T"/conc.*.code
  stop_wharfd "conc$r"
  [ "$bad" -eq 0 ] || { warn "$bad of 16 concurrent uploads failed"; break; }
  peak=$(awk -v a="${hwm:-0}" -v b="$(cat "$T/rss.out")" 'BEGIN{m = a > b ? a : b; printf "%.1f", m / 1024}')
  rss+=("$peak")
  rate+=("$(mibs_of "$secs" $((16 * CONC_MIB * MiB)))")
  say "  run $r: peak RSS $peak MiB, 16 x $CONC_MIB MiB in ${secs}s"
done
rm -rf "$T/conc"
if [ ${#rss[@]} -gt 0 ]; then
  peak=$(printf '%s\n' "${rss[@]}" | sort -g | tail -n 1)
  rec conc.wharf.rss "$peak"
  rec conc.wharf.rate "$(median "${rate[@]}")"
  rec runs.conc.wharf.rss "${rss[*]}"
  rec runs.conc.wharf.rate "${rate[*]}"
  say "  conc: peak RSS (max of runs) $peak MiB (runs: ${rss[*]}); aggregate $(median "${rate[@]}") MiB/s"
fi

# ---------------------------------------------------------------- query over 100k invoices
section query
if start_wharfd query; then
  t0=$(now)
  if "${TOOL[@]}" populate "$W_URL" "$NINV" 32; then
    say "  $NINV invoices posted in $(since "$t0")s"
    [ "$NINV" -eq 100000 ] || note "the query figures are over $NINV invoices, not 100k"
    strict=() standard=()
    for w in amber cedar fjord onyx quartz willow cobalt dune; do
      strict+=("/_q?q=$w&strict=true")
      standard+=("/_q?q=$w")
    done
    standard+=("/_q?q=service+build" "/_q?q=Dev" "/_q?q=maple+raven")
    for mode in strict standard; do
      p50=() p99=()
      declare -n paths=$mode
      for r in $(seq 1 "$RUNS"); do
        read -r a b n < <(BENCH_LATENCY_SECONDS=15 "${TOOL[@]}" latency "$W_URL" 300 "${paths[@]}") || break
        [ -n "$a" ] || break
        p50+=("$a")
        p99+=("$b")
        say "  query $mode run $r: p50 $a ms, p99 $b ms over $n requests"
      done
      unset -n paths
      if [ ${#p50[@]} -gt 0 ]; then
        rec "query.$mode.p50" "$(median "${p50[@]}")"
        rec "query.$mode.p99" "$(median "${p99[@]}")"
        rec "runs.query.$mode.p50" "${p50[*]}"
        rec "runs.query.$mode.p99" "${p99[*]}"
      fi
    done
  else
    warn "populating $NINV invoices failed"
  fi
  stop_wharfd query
fi

# ---------------------------------------------------------------- push and pull (issue 4)
# Every push goes to a server started empty for it, every pull into an empty
# cache and directory.  skopeo copies the same 200 files as an OCI image (one
# layer per file) from a local OCI layout to the registry and back.
section push_pull
UNIT=s
export XDG_CONFIG_HOME=$T/xdg/config XDG_CACHE_HOME=$T/xdg/cache TMPDIR=$T/tmp
"$WHARF" --quiet keys create --label "bench <bench@localhost>" >/dev/null ||
  warn "wharf keys create failed"
HAVE_SKOPEO=0
command -v skopeo >/dev/null && [ -n "$MAIN_R_URL" ] && HAVE_SKOPEO=1

wharf_push() {
  timeout 300 "$WHARF" --quiet --server "$1" push bench/release/1.0.0 "$T"/rel/*.bin >"$T/push.out" 2>&1 ||
    { warn "wharf push failed: $(tail -n 3 "$T/push.out")"; return 1; }
}
skopeo_push() {
  timeout 300 skopeo --insecure-policy copy -q --dest-tls-verify=false \
    "oci:$T/oci:1.0.0" "docker://${1#http://}/bench/release:1.0.0" >"$T/skopeo.out" 2>&1 ||
    { warn "skopeo push failed: $(tail -n 3 "$T/skopeo.out")"; return 1; }
}

# Runs in a subshell: each round starts its own empty server and stops it.
measure() {
  local t0 ok=0
  case $1 in
    wharf)
      start_wharfd "push$ROUND" || return 1
      t0=$(now)
      wharf_push "$W_URL" && ok=1
      stop_wharfd "push$ROUND" ;;
    skopeo)
      start_registry "push$ROUND" || return 1
      t0=$(now)
      skopeo_push "$R_URL" && ok=1
      stop_registry "push$ROUND" ;;
  esac
  [ "$ok" = 1 ] && since "$t0"
}
PUSHERS=(wharf)
[ "$HAVE_SKOPEO" = 1 ] && PUSHERS+=(skopeo)
interleave push "$RUNS" "${PUSHERS[@]}"

PULLERS=()
if start_wharfd pull && wharf_push "$W_URL"; then
  PULLERS+=(wharf)
fi
if [ "$HAVE_SKOPEO" = 1 ] && start_registry pull && skopeo_push "$R_URL"; then
  PULLERS+=(skopeo)
fi
measure() {
  local t0 n
  case $1 in
    wharf)
      rm -rf "$XDG_CACHE_HOME" "$T/pulled"
      mkdir -p "$XDG_CACHE_HOME"
      t0=$(now)
      timeout 300 "$WHARF" --quiet --server "$W_URL" pull bench/release/1.0.0 -o "$T/pulled" >"$T/pull.out" 2>&1 ||
        { warn "wharf pull failed: $(tail -n 3 "$T/pull.out")"; return 1; }
      since "$t0" >"$T/pull.t"
      n=$(find "$T/pulled" -type f | wc -l) ;;
    skopeo)
      rm -rf "$T/ociout"
      t0=$(now)
      timeout 300 skopeo --insecure-policy copy -q --src-tls-verify=false \
        "docker://${R_URL#http://}/bench/release:1.0.0" "oci:$T/ociout:1.0.0" >"$T/skopeo.out" 2>&1 ||
        { warn "skopeo pull failed: $(tail -n 3 "$T/skopeo.out")"; return 1; }
      since "$t0" >"$T/pull.t"
      n=$(find "$T/ociout/blobs" -type f | wc -l)
      n=$((n - 2)) ;;   # the manifest and the config are blobs too
  esac
  [ "$n" -eq 200 ] || { warn "$1 pull wrote $n parcels, not 200"; return 1; }
  cat "$T/pull.t"
}
[ ${#PULLERS[@]} -gt 0 ] && interleave pull "$RUNS" "${PULLERS[@]}"

# ---------------------------------------------------------------- OCI copy (issue 7)
# The same OCI layout (200 layers, 100 MiB) copied by skopeo into Wharf's
# /v2 and into the distribution registry, each round to a server started
# empty; then copied back out of each.  Into Wharf the SemVer tag also makes
# a host-signed bindle, in the same requests.
section oci_copy
UNIT=s
skopeo_into() {
  timeout 300 skopeo --insecure-policy copy -q --dest-tls-verify=false \
    "oci:$T/oci:1.0.0" "docker://$1/bench/ocicopy:1.0.0" >"$T/skopeo.out" 2>&1 ||
    { warn "skopeo copy into $1 failed: $(tail -n 3 "$T/skopeo.out")"; return 1; }
}
# The host:port of the wharfd last started.
whost() { local u=${W_URL#http://}; echo "${u%/v1}"; }
if [ "$HAVE_SKOPEO" = 1 ]; then
  measure() {
    local t0 ok=0
    case $1 in
      wharf)
        start_wharfd "ocipush$ROUND" || return 1
        t0=$(now)
        skopeo_into "$(whost)" && ok=1
        stop_wharfd "ocipush$ROUND" ;;
      registry)
        start_registry "ocipush$ROUND" || return 1
        t0=$(now)
        skopeo_into "${R_URL#http://}" && ok=1
        stop_registry "ocipush$ROUND" ;;
    esac
    [ "$ok" = 1 ] && since "$t0"
  }
  interleave ocipush "$RUNS" wharf registry

  OCI_PULLERS=()
  if start_wharfd ocipull && skopeo_into "$(whost)"; then
    OCI_W=$(whost); OCI_PULLERS+=(wharf)
  fi
  if start_registry ocipull && skopeo_into "${R_URL#http://}"; then
    OCI_R=${R_URL#http://}; OCI_PULLERS+=(registry)
  fi
  measure() {
    local t0 src
    case $1 in wharf) src=$OCI_W ;; registry) src=$OCI_R ;; esac
    rm -rf "$T/ocicopy"
    t0=$(now)
    timeout 300 skopeo --insecure-policy copy -q --src-tls-verify=false \
      "docker://$src/bench/ocicopy:1.0.0" "oci:$T/ocicopy:1.0.0" >"$T/skopeo.out" 2>&1 ||
      { warn "skopeo copy from $1 failed: $(tail -n 3 "$T/skopeo.out")"; return 1; }
    since "$t0"
  }
  [ ${#OCI_PULLERS[@]} -gt 0 ] && interleave ocipull "$RUNS" "${OCI_PULLERS[@]}"
  stop_wharfd ocipull
  stop_registry ocipull
else
  note "skopeo or the registry is missing: no OCI copy figures"
fi

# ---------------------------------------------------------------- wasm validation (issue 5)
# wharfd validates a wasm parcel in a worker before it stores it; a parcel
# that is not wasm is stored without that step.  Each round therefore uploads
# a fresh valid module and its twin (the same bytes but for a broken magic,
# labelled application/octet-stream) to the same server: the difference of
# the two medians is what validation (worker start, wabt's read and
# validation, the description) adds to an upload, transfer and fsync being
# the same for both.  The peer is wabt's own wasm-validate on the same
# module, with the proposals wharfd enables, timed as a process.
#
# Below 4 MiB a difference of a few milliseconds is measured against the
# jitter of an fsync, so small modules get three times as many rounds.
section wasm_validate
have_wabt=1
for tool in wat2wasm wasm-validate; do
  command -v "$tool" >/dev/null || { warn "$tool is not installed: no wasm figures"; have_wabt=0; }
done
if [ "$have_wabt" = 1 ] && start_wharfd wasm; then
  note "wasm validation: wharfd's time is a valid module's upload minus its non-wasm twin's (worker start and description included); wasm-validate's is one process run"
  for sz in $WASM_SIZES; do
    t0=$(now)
    d=$T/wasm-$sz
    if ! "${TOOL[@]}" wasm "$d.wasm" "$sz" >"$d.line"; then
      warn "generating the $sz module failed"
      continue
    fi
    read -r _ bytes _ <"$d.line"
    VROUNDS=$((RUNS + 2))
    [ "$bytes" -lt $((4 * MiB)) ] && VROUNDS=$((3 * (RUNS + 2)))
    "${TOOL[@]}" wasmvariants "$d.wasm" "$d" "$VROUNDS" >"$d.list"
    vbytes=$(awk 'NR == 1 {print $2}' "$d.list")
    mapfile -t WV < <(awk '$3 ~ /\.wasm$/' "$d.list")
    mapfile -t WB < <(awk '$3 ~ /\.bin$/' "$d.list")
    "${TOOL[@]}" invoice "bench/wasm-$sz" 1.0.0 "$d.toml" "$d"/v*.wasm "$d"/v*.bin
    code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$d.toml" "$W_URL/_i")
    [ "$code" = 202 ] || { warn "posting the $sz wasm invoice: HTTP $code"; continue; }
    say "  $sz: module of $bytes bytes ($vbytes with the round's custom section), made in $(since "$t0")s; $VROUNDS rounds"
    measure() {
      local sha f code t line
      case $1 in
        wharf) line=${WV[$((ROUND - 1))]} ;;
        plain) line=${WB[$((ROUND - 1))]} ;;
        wasm-validate)
          read -r _ _ f <<<"${WV[$((ROUND - 1))]}"
          t=$(now)
          wasm-validate --enable-threads --enable-exceptions --enable-tail-call "$f" >/dev/null 2>"$T/wv.err" ||
            { warn "wasm-validate $f: $(head -n 2 "$T/wv.err")"; return 1; }
          since "$t"
          return ;;
      esac
      read -r sha _ f <<<"$line"
      sync
      read -r code t < <(curl -s -o "$T/wup.out" -w '%{http_code} %{time_total}\n' -H 'Expect:' -X POST -T "$f" \
        "$W_URL/_i/bench/wasm-$sz/1.0.0@$sha")
      [ "$code" = 200 ] || { warn "uploading $f: HTTP $code $(head -c 300 "$T/wup.out")"; return 1; }
      echo "$t"
    }
    UNIT=s
    interleave "wval.$sz" "$VROUNDS" wharf plain wasm-validate
    rec "wval.$sz.bytes" "$vbytes"
    w=$("${TOOL[@]}" get "$RESULTS" "wval.$sz.wharf")
    p=$("${TOOL[@]}" get "$RESULTS" "wval.$sz.plain")
    v=$("${TOOL[@]}" get "$RESULTS" "wval.$sz.wasm-validate")
    cost=$(awk -v w="$w" -v p="$p" 'BEGIN{ if (w != "" && p != "" && w > p) printf "%.6f", w - p }')
    if [ -n "$cost" ]; then
      rec "wval.$sz.cost" "$cost"
      rec "wval.$sz.mibs" "$(mibs_of "$cost" "$vbytes")"
    else
      warn "wval.$sz: the wasm upload was not slower than the plain one ($w s vs $p s); no figure"
    fi
    [ -n "$v" ] && rec "wval.$sz.peer_mibs" "$(mibs_of "$v" "$vbytes")"
    say "  $sz: validation in wharfd ${cost:-n/a} s = $([ -n "$cost" ] && mibs_of "$cost" "$vbytes" || echo n/a) MiB/s;" \
      "wasm-validate ${v:-n/a} s = $([ -n "$v" ] && mibs_of "$v" "$vbytes" || echo n/a) MiB/s"
    rm -rf "$d" "$d.wasm" "$d.toml" "$d.list" "$d.line"
  done
  stop_wharfd wasm
  UNIT=""
fi

# ---------------------------------------------------------------- AOT builds (issue 5)
# One wharfd builds every target with one builder, so the builds follow each
# other on one core and the other core serves; a build's time is from the
# moment /_m shows it building to the moment it shows it done.  Peak memory
# cannot be read from wharfd's builders (they are its children, not ours), so
# the same build is then run here as wharfd runs it (`wharfd --aot-worker`
# with wharfd's default limits) and wait4 gives its peak RSS.  The cache hit
# is a GET of the stored artifact, timed by curl, once it is built.
section aot
AOT_OK=()
for t in $AOT_TARGETS; do
  case $t in
    x86_64-*) cc=gcc ;;
    *) cc=${t%%+*}-gcc ;;
  esac
  if command -v "$cc" >/dev/null && command -v wasm2c >/dev/null; then
    AOT_OK+=("$t")
  else
    warn "no $cc or wasm2c: no AOT figures for $t"
  fi
done
if [ "$have_wabt" = 1 ] && [ ${#AOT_OK[@]} -gt 0 ] &&
  start_wharfd aot --aot-targets "$(IFS=,; echo "${AOT_OK[*]}")" --aot-workers 1; then
  note "AOT: one builder (--aot-workers 1); build time from /_m showing it building to done; peak RSS from wait4 of the same build run alone (its largest process, cc1)"
  for sz in $AOT_SIZES; do
    m=$T/aot-$sz.wasm
    "${TOOL[@]}" wasm "$m" "$sz" >"$m.line" || { warn "generating the $sz module failed"; continue; }
    read -r sha bytes _ <"$m.line"
    rec "aot.$sz.bytes" "$bytes"
    "${TOOL[@]}" invoice "bench/aot-$sz" 1.0.0 "$m.toml" "$m"
    code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$m.toml" "$W_URL/_i")
    [ "$code" = 202 ] || { warn "posting the $sz AOT invoice: HTTP $code"; continue; }
    code=$(curl -s -o "$T/aup.out" -w '%{http_code}' -H 'Expect:' -X POST -T "$m" "$W_URL/_i/bench/aot-$sz/1.0.0@$sha")
    [ "$code" = 200 ] || { warn "uploading the $sz module: HTTP $code $(head -c 300 "$T/aup.out")"; continue; }
    say "  $sz: module of $bytes bytes uploaded; building for ${AOT_OK[*]}"
    "${TOOL[@]}" aotwait "$W_URL" "bench/aot-$sz" 1.0.0 "$sha" "$AOT_WAIT" "${AOT_OK[@]}" >"$m.built" 2>"$m.err" ||
      warn "$sz: $(tail -n 2 "$m.err")"
    while read -r t build total size; do
      [ "$build" = n/a ] && { warn "$sz $t: $(grep "^aotwait: $t " "$m.err" | head -n 1)"; continue; }
      rec "aot.$sz.$t.build" "$build"
      rec "aot.$sz.$t.size" "$size"
      hits=()
      for i in $(seq 1 "$AOT_GETS"); do
        read -r code tt < <(curl -s -o /dev/null -w '%{http_code} %{time_total}\n' \
          "$W_URL/_a/bench/aot-$sz/1.0.0@$sha/$t")
        [ "$code" = 200 ] || { warn "GET of the $sz $t artifact: HTTP $code"; hits=(); break; }
        hits+=("$(awk -v t="$tt" 'BEGIN{printf "%.3f", t * 1000}')")
      done
      hit=""
      if [ ${#hits[@]} -gt 0 ]; then
        hit=$(median "${hits[@]}")
        rec "aot.$sz.$t.hit" "$hit"
        rec "runs.aot.$sz.$t.hit" "${hits[*]}"
      fi
      say "  $sz $t: built in ${build}s (${total}s after the upload), $size bytes; cache hit ${hit:-n/a} ms"
    done <"$m.built"
  done
  stop_wharfd aot
  # The same builds, one at a time on an idle server-less machine, for
  # their peak memory.
  for sz in $AOT_SIZES; do
    m=$T/aot-$sz.wasm
    [ -f "$m" ] || continue
    for t in "${AOT_OK[@]}"; do
      [[ "$AOT_RSS_TARGETS" == *" $t "* ]] || continue
      [ -f "$m.built" ] && grep -q "^$t [0-9]" "$m.built" || continue
      if out=$("${TOOL[@]}" aotbuild "$WHARFD" "$m" "$t" "$T/aotb" 33554432 600 4294967296 900 2>"$T/aotb.err"); then
        read -r secs kib level <<<"$out"
        rec "aot.$sz.$t.rss" "$(awk -v k="$kib" 'BEGIN{printf "%.1f", k / 1024}')"
        rec "aot.$sz.$t.direct" "$secs"
        rec "aot.$sz.$t.level" "$level"
        say "  $sz $t: builder alone ${secs}s at $level, peak RSS $(awk -v k="$kib" 'BEGIN{printf "%.1f", k / 1024}') MiB"
      else
        warn "$sz $t: $(tail -n 1 "$T/aotb.err")"
      fi
      rm -rf "$T/aotb"
    done
    rm -f "$m" "$m".*
  done
fi

# ---------------------------------------------------------------- table
echo
say "== results ($(($(date +%s) - T0)) s in all; loadavg now: $(cat /proc/loadavg))"
mkdir -p "$HERE/results"
out=$HERE/results/$(date -u +%Y%m%dT%H%M%SZ).json
"${TOOL[@]}" report "$RESULTS" "$out" || exit 1
echo
echo "written: $out"
