#!/usr/bin/env bash
# header-bomb.sh — peak memory (RSS, from /usr/bin/time -v) of `mailcred
# score` on a ~9 MB message of 700,000 tiny header fields, and of `mailcred
# receive` while N such messages arrive in parallel (from 10 loopback
# addresses 127.0.0.2-11, so the per-address limit does not refuse them).
# Goals: score < 100 MB, receive with 20 in parallel < 500 MB; exits 1 if
# either is missed. Everything stays on 127.0.0.1; the resolver is a closed
# loopback port, so DNS checks fail fast (memory is what is measured).
# Usage: bash scripts/header-bomb.sh [N]   (needs go and /usr/bin/time)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
[ -x /usr/bin/time ] || { echo "header-bomb: SKIP: /usr/bin/time is not installed (apt-get install time)"; exit 0; }
work=$(mktemp -d); recv=""
trap '[ -n "$recv" ] && kill "$recv" 2>/dev/null; rm -rf "$work"' EXIT
go build -o "$work/mailcred" ./cmd/mailcred
go build -o "$work/headerbomb" ./scripts/headerbomb
"$work/headerbomb" gen -o "$work/bomb.eml" -fields 700000
size=$(stat -c %s "$work/bomb.eml")
dns=(--resolver 127.0.0.1:1 --timeout 100ms)
peak() { awk -F': ' '/Maximum resident set size/ {printf "%d", $2/1024}' "$1"; }

/usr/bin/time -v "$work/mailcred" score "$work/bomb.eml" --ip 192.0.2.1 "${dns[@]}" --format json \
  >"$work/score.json" 2>"$work/score.time" || true
score_mb=$(peak "$work/score.time")

port=$((20000 + RANDOM % 20000))
/usr/bin/time -v "$work/mailcred" receive --listen "127.0.0.1:$port" --hostname mx.bomb.test "${dns[@]}" \
  --format json >"$work/receive.jsonl" 2>"$work/receive.time" &
recv=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
"$work/headerbomb" send -addr "127.0.0.1:$port" -data "$work/bomb.eml" -n "$n" -sources 10
kill -INT "$(pgrep -P "$recv" mailcred)"
wait "$recv" || true
receive_mb=$(peak "$work/receive.time")
reports=$(wc -l <"$work/receive.jsonl")

printf 'message           %d bytes, 700005 header fields\n' "$size"
printf 'score             %4d MB peak RSS (goal < 100)\n' "$score_mb"
printf 'receive x %-3d     %4d MB peak RSS (goal < 500), %d reports\n' "$n" "$receive_mb" "$reports"
[ "$score_mb" -lt 100 ] && [ "$receive_mb" -lt 500 ]
