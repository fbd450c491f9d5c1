#!/usr/bin/env bash
# GET /v1/_q, Bindle's search: strict and standard terms, npm-style version
# ranges, yanked bindles, paging with a stable order, the limit cap, bad
# parameters, and the reply's fields in TOML and in JSON.
. "$(dirname "$0")/lib.sh"

start_wharfd || exit 1

# publish NAME VERSION AUTHOR DESCRIPTION: an invoice without parcels (201).
publish() {
  cat >"$TMP/inv.toml" <<EOF
bindleVersion = "1.0.0"

[bindle]
name = "$1"
version = "$2"
authors = ["$3"]
description = "$4"
EOF
  req POST /_i -H 'Content-Type: application/toml' --data-binary @"$TMP/inv.toml"
  expect_status "publish $1/$2" 201
}

# Out of order on purpose: the order seen must come from the server.
publish acme/widget 1.10.0 "Alice Smith" "Widget with maps"
publish zeta/tool 3.0.0 "Carol" "Command line tool"
publish acme/widget 1.2.0 "Alice Smith" "Widget with charts"
publish acme/gadget 1.0.0 "Bob Jones" "Telemetry helper"
publish acme/widget 2.1.0-beta.1 "Alice Smith" "Widget next"
publish acme/widget 1.0.0 "Alice Smith" "A small widget"
publish zeta/tool 0.1.0 "Carol" "Early tool"
publish beta/app 1.0.0-alpha.1 "Dave" "Experimental app with unicorns"
publish acme/widget 1.3.0-rc.1 "Alice Smith" "Widget candidate"
publish acme/gadget 0.5.0 "Bob Jones" "Telemetry helper for satellites"
publish acme/widget 2.0.0 "Alice Smith" "Widget two"
publish acme/widget 1.2.5 "Alice Smith" "Widget fix"

req DELETE "/_i/zeta/tool/0.1.0?reason=early"
expect_status "yank zeta/tool/0.1.0" 200

# Every released invoice, in the order the server must give: name, then
# SemVer precedence (1.2.5 < 1.3.0-rc.1 < 1.10.0, not text order).
ALL="acme/gadget@0.5.0 acme/gadget@1.0.0 acme/widget@1.0.0 acme/widget@1.2.0"
ALL="$ALL acme/widget@1.2.5 acme/widget@1.3.0-rc.1 acme/widget@1.10.0 acme/widget@2.0.0"
ALL="$ALL acme/widget@2.1.0-beta.1 beta/app@1.0.0-alpha.1 zeta/tool@3.0.0"
WIDGETS="acme/widget@1.0.0 acme/widget@1.2.0 acme/widget@1.2.5 acme/widget@1.3.0-rc.1"
WIDGETS="$WIDGETS acme/widget@1.10.0 acme/widget@2.0.0 acme/widget@2.1.0-beta.1"

# q QUERY_STRING: a search answered in JSON.
q() { req GET "/_q?$1" -H 'Accept: application/json'; }

# The hits of the last JSON reply as "name@version ...", in reply order.
ids() {
  grep -o '"bindle":{"name":"[^"]*","version":"[^"]*"' "$BODY" |
    sed 's/.*"name":"\([^"]*\)","version":"\([^"]*\)"/\1@\2/' | paste -sd' ' -
}

# A top-level scalar of the last JSON reply (they all come before invoices).
field() { grep -o "\"$1\":[^,}]*" "$BODY" | head -n 1 | cut -d: -f2-; }

# expect_hits NAME TOTAL "IDS": a 200 whose total and hit list are these.
expect_hits() {
  local got
  got=$(ids)
  if [ "$STATUS" = 200 ] && [ "$(field total)" = "$2" ] && [ "$got" = "$3" ]; then
    pass "$1"
  else
    fail "$1" "HTTP $STATUS, total $(field total) (want $2), hits '$got' (want '$3')"
  fi
}

# expect_400 NAME: a 400 whose body is one error key.
expect_400() {
  if [ "$STATUS" = 400 ] && grep -q '^{"error":"[^"]' "$BODY"; then pass "$1"; else
    fail "$1" "expected a 400 with an error, got HTTP $STATUS: $(head -c 300 "$BODY")"; fi
}

# ---- everything, and the reply's fields --------------------------------

q ""
expect_hits "no q: every released invoice, in order" 11 "$ALL"
for f in query strict offset limit timestamp total more yanked invoices; do
  check "JSON reply has $f" grep -q "\"$f\":" "$BODY"
done
check "JSON content type" test "$(header Content-Type)" = "application/json"
check "default limit is 50" test "$(field limit)" = 50
check "more is false when all fit" test "$(field more)" = false
check "timestamp is a number of seconds" bash -c "[[ '$(field timestamp)' =~ ^[0-9]{9,}$ ]]"

req GET "/_q?q=widget&strict=true"
expect_status "TOML search answers 200" 200
check "TOML content type" test "$(header Content-Type)" = "application/toml"
for f in query strict offset limit timestamp total more yanked; do
  check "TOML reply has $f" grep -q "^$f = " "$BODY"
done
check "TOML reply has [[invoices]]" grep -q '^\[\[invoices\]\]$' "$BODY"
check "TOML echoes the query" grep -qx 'query = "widget"' "$BODY"
check "TOML says strict" grep -qx 'strict = true' "$BODY"
check "TOML total" grep -qx 'total = 7' "$BODY"
check "TOML lists 7 invoices" test "$(grep -c '^\[\[invoices\]\]$' "$BODY")" -eq 7

# ---- strict and standard terms -------------------------------------------

q "q=widget&strict=true"
expect_hits "strict: name substring" 7 "$WIDGETS"
check "JSON echoes the query" test "$(field query)" = '"widget"'
check "JSON says strict" test "$(field strict)" = true
q "q=gad&strict=true"
expect_hits "strict: a partial name" 2 "acme/gadget@0.5.0 acme/gadget@1.0.0"
q "q=acme%20gad&strict=true"
expect_hits "strict: every term must match" 2 "acme/gadget@0.5.0 acme/gadget@1.0.0"
q "q=unicorns"
expect_hits "standard finds a description word" 1 "beta/app@1.0.0-alpha.1"
check "standard says strict = false" test "$(field strict)" = false
q "q=unicorns&strict=true"
expect_hits "strict does not look at descriptions" 0 ""
q "q=satellites&strict=false"
expect_hits "standard: a word of one description" 1 "acme/gadget@0.5.0"
q "q=TELEMETRY"
expect_hits "standard is case-insensitive" 2 "acme/gadget@0.5.0 acme/gadget@1.0.0"
q "q=Widget&strict=true"
expect_hits "strict is case-sensitive" 0 ""
q "q=carol"
expect_hits "standard matches authors" 1 "zeta/tool@3.0.0"
q "q=1.2.5"
expect_hits "standard matches versions" 1 "acme/widget@1.2.5"
q "q=tool%20command"
expect_hits "standard: terms in different fields" 1 "zeta/tool@3.0.0"
q "q=nothing-like-this"
expect_hits "no match: total 0, no invoices" 0 ""
check "no match: invoices is an empty list" grep -q '"invoices":\[\]' "$BODY"

# Query syntax of the database must mean nothing.
for t in '%22' '%22widget%22' 'widget*' 'NEAR%28acme' '-widget' 'acme%20NOT' "%27%3B%20DROP%20TABLE%20invoices%3B--"; do
  q "q=$t"
  expect_hits "q=$t is literal text (no match, no error)" 0 ""
done
q ""
check "the invoices survived those queries" test "$(field total)" = 11

# ---- version ranges --------------------------------------------------------

REL1="acme/gadget@1.0.0 acme/widget@1.0.0 acme/widget@1.2.0 acme/widget@1.2.5 acme/widget@1.10.0"
q "v=%5E1"
expect_hits "v=^1" 5 "$REL1"
q "v=~1.2"
expect_hits "v=~1.2" 2 "acme/widget@1.2.0 acme/widget@1.2.5"
q "v=%3E%3D1.0.0%20%3C2.0.0"
expect_hits "v=>=1.0.0 <2.0.0" 5 "$REL1"
q "v=1.x"
expect_hits "v=1.x" 5 "$REL1"
q "v=1.2.3%20-%202"
expect_hits "v=1.2.3 - 2" 3 "acme/widget@1.2.5 acme/widget@1.10.0 acme/widget@2.0.0"
q "v=%5E0.5%20%7C%7C%20%3E%3D3"
expect_hits "v=^0.5 || >=3" 2 "acme/gadget@0.5.0 zeta/tool@3.0.0"
q "v=~1.2%20%7C%7C%202.x"
expect_hits "v=~1.2 || 2.x (no 2.1.0-beta.1)" 3 \
  "acme/widget@1.2.0 acme/widget@1.2.5 acme/widget@2.0.0"
q "v=%3E%3D1.3.0-rc.0%20%3C2"
expect_hits "a prerelease on the range's tuple is in" 2 "acme/widget@1.3.0-rc.1 acme/widget@1.10.0"
q "v=%5E2.1.0-beta.0"
expect_hits "v=^2.1.0-beta.0" 1 "acme/widget@2.1.0-beta.1"
q "v=%5E1.0.0-alpha"
expect_hits "v=^1.0.0-alpha: 1.0.0-alpha.1 in, 1.3.0-rc.1 out" 6 \
  "acme/gadget@1.0.0 acme/widget@1.0.0 acme/widget@1.2.0 acme/widget@1.2.5 acme/widget@1.10.0 beta/app@1.0.0-alpha.1"
q "q=widget&strict=true&v=%3E%3D1.2.0%20%3C1.10.0"
expect_hits "q and v together" 2 "acme/widget@1.2.0 acme/widget@1.2.5"
for v in bad 1.2.3.4 '%3E%3Dx.y.z' '%5E1.2.3-'; do
  q "v=$v"
  expect_400 "v=$v: 400 with an error"
done
req GET "/_q?v=bad"
check "a bad range is a TOML error by default" grep -q '^error = "' "$BODY"

# ---- yanked ------------------------------------------------------------------

q "q=tool"
expect_hits "the yanked invoice is left out" 1 "zeta/tool@3.0.0"
check "the reply says yanked = false" test "$(field yanked)" = false
q "q=tool&yanked=true"
expect_hits "yanked=true includes it" 2 "zeta/tool@0.1.0 zeta/tool@3.0.0"
check "the reply says yanked = true" test "$(field yanked)" = true
check "the yanked invoice is marked yanked" grep -q '"yanked":true,' "$BODY"
q "yanked=true"
check "yanked=true: total counts it" test "$(field total)" = 12

# ---- paging ------------------------------------------------------------------

seen=""
for o in 0 4 8; do
  q "o=$o&l=4"
  check "page o=$o: total 11" test "$(field total)" = 11
  check "page o=$o: offset echoed" test "$(field offset)" = "$o"
  check "page o=$o: limit echoed" test "$(field limit)" = 4
  if [ "$o" = 8 ]; then want_more=false; else want_more=true; fi
  check "page o=$o: more = $want_more" test "$(field more)" = "$want_more"
  seen="$seen${seen:+ }$(ids)"
done
check "the pages give every invoice once, in order" test "$seen" = "$ALL"
seen=""
for o in 0 4 8; do q "o=$o&l=4"; seen="$seen${seen:+ }$(ids)"; done
check "paging again gives the same order" test "$seen" = "$ALL"
q "q=widget&strict=true&o=5&l=5"
expect_hits "a filtered last page" 7 "acme/widget@2.0.0 acme/widget@2.1.0-beta.1"
check "a filtered last page: more = false" test "$(field more)" = false
q "o=100"
expect_hits "an offset past the end: no invoices" 11 ""

q "l=0"
expect_hits "l=0: the total only" 11 ""
check "l=0: limit says 0" test "$(field limit)" = 0
check "l=0: invoices is an empty list" grep -q '"invoices":\[\]' "$BODY"
req GET "/_q?l=0"
check "l=0 in TOML: total" grep -qx 'total = 11' "$BODY"
check "l=0 in TOML: no invoice" bash -c "! grep -q '^\[\[invoices\]\]' '$BODY'"

q "l=1000"
expect_hits "l=1000 is served" 11 "$ALL"
check "l=1000 is served as 255" test "$(field limit)" = 255

for p in l=abc l=-1 o=-1 o=abc 'l=1.5' 'o=%201' strict=maybe yanked=2; do
  q "$p"
  expect_400 "$p: 400 with an error"
done

check "stops cleanly" stop_wharfd

# Many terms in one query, each a substring of every widget's fields.  Run
# against a fresh process so that the checks above stand on their own.
start_wharfd || exit 1
many="widget"; for _ in $(seq 2 16); do many="$many%20widget"; done
q "q=$many"
expect_hits "16 standard terms (the limit)" 7 "$WIDGETS"
q "q=$many&strict=true"
expect_hits "16 strict terms" 7 "$WIDGETS"
q "q=$many%20widget"
expect_400 "17 terms: 400 with an error"
check "stops cleanly after many-term queries" stop_wharfd

finish
