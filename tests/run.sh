#!/usr/bin/env bash
# Runs the whole suite against one or more build variants and prints the
# closing line "N passed, N failed" (a test is a unit test function, an API
# check, or a fuzz target's corpus replay).
#
# usage: tests/run.sh [--unit-only] BUILD_DIR...   (e.g. build/release build/asan)
set -uo pipefail
cd "$(dirname "$0")/.."

unit_only=false
if [ "${1:-}" = "--unit-only" ]; then unit_only=true; shift; fi
[ $# -gt 0 ] || { echo "usage: $0 [--unit-only] BUILD_DIR..." >&2; exit 2; }

export WHARF_FIXTURES="${WHARF_FIXTURES:-$(cd .. && pwd)/shared/fixtures}"
# Sanitizer runs must fail loudly, never just print.
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"

passed=0 failed=0
failures=()

# Adds the counts from a runner's closing "…N passed, N failed" line.
count() {
  local name=$1 out=$2 rc=$3 line p f
  line=$(grep -E '(^|: )[0-9]+ passed, [0-9]+ failed$' <<<"$out" | tail -n 1)
  if [ -z "$line" ]; then
    failed=$((failed + 1)); failures+=("$name (no result line, exit $rc)")
    return
  fi
  p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+')
  f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+')
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$f" -gt 0 ] || [ "$rc" -ne 0 ]; then
    [ "$f" -gt 0 ] || failed=$((failed + 1))
    failures+=("$name")
  fi
}

for build in "$@"; do
  variant=$(basename "$build")
  echo "== $variant: unit tests"
  for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    case "$t" in *.o) continue ;; esac
    out=$("$t" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -vE '^$' | sed 's/^/  /' | grep -E 'FAIL|failed$|ERROR|runtime error' || true
    count "$variant $(basename "$t")" "$out" "$rc"
  done
  $unit_only && continue

  echo "== $variant: fuzz corpus replay"
  for t in "$build"/fuzz/fuzz_*; do
    [ -x "$t" ] || continue
    case "$t" in *.o) continue ;; esac
    name=$(basename "$t")
    out=$("$t" "tests/fuzz/corpus/$name" 2>&1); rc=$?
    if [ $rc -eq 0 ]; then passed=$((passed + 1)); else
      failed=$((failed + 1)); failures+=("$variant $name replay"); printf '%s\n' "$out" | tail -20; fi
  done

  echo "== $variant: API tests"
  for t in tests/api/t_*.sh; do
    out=$(WHARFD="$build/bin/wharfd" WHARF="$build/bin/wharf" bash "$t" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -E '^(not ok|#)' | sed 's/^/  /' || true
    count "$variant $(basename "$t")" "$out" "$rc"
  done
done

if [ ${#failures[@]} -gt 0 ]; then
  echo "failed:"; printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
