#!/usr/bin/env bash
# bench-latency.sh — how mailcred's check, score, send and receive grow with
# DNS latency, against the critical path of their DNS work.
#
# Usage, from the repository root:
#   scripts/bench-latency.sh [RUNS] [DELAYS]
#     RUNS    timed runs per command and delay, the median shown (default 3, 1..100)
#     DELAYS  round trips to inject, comma-separated (default 20ms,100ms)
#
# Everything runs on 127.0.0.1 in one process (scripts/benchlatency): an
# in-process DNS server (scoring/dnstest) holding a realistic sender (an
# SPF include chain of depth 3, DKIM, DMARC with an external report
# address, forward-confirmed reverse DNS, every blocklist) with the delay
# injected on every answer, and an SMTP server (session/smtptest, STARTTLS)
# behind a proxy that holds each reply for the same delay. The commands
# run through the real command line with --resolver pointing at that
# server. Nothing leaves the machine.
#
# Columns: crit is the critical path in round trips, derived from the zone
# (the longest chain of questions that must wait for one another's
# answers); queries what one run asks; t₀ the wall time at 0 ms; for each
# delay d the wall time t, rtt = (t − t₀)/d and rtt/crit. `smtp` is the
# bare delivery `send` makes (mailcred's SMTP client alone), the reference
# for send's goal. `receive` is reached through a proxy holding each of its
# replies for the same delay (a client one round trip away), and times
# from the end of the message to the answer to DATA, that answer's own
# trip included; its second row is a second message to the same server
# (what a shared cache saves).
#
# Goals: check ≤ 1.1 × crit (with 2 and with 8 sending IPs), score ≤ 1.5 ×
# crit, send ≤ bare SMTP + 1 round trip, receive answers DATA within 3
# round trips. The script reports; it never fails on timing (exit 1 only
# when a command does not work in the world, 2 on bad arguments).
#
# Then, with the peers installed (bash .ci/install-peers: hyperfine,
# python3-dkim, npm mailauth in /tmp/mailcred-npm), the same run compares
# with them at 0 ms DNS (BENCH_PEERS=0 skips this):
#   - `mailcred score` and `mailauth report` (its --dns-cache file holds
#     the world's answers) on a 1.6 kB and a 10 MB message: wall time by
#     hyperfine, CPU and peak RSS by /usr/bin/time, CPU per MB;
#   - `mailcred score` over 1,000 messages in one process and dkimpy
#     verifying the same 1,000 in one process (BATCH, default 1000).
# scripts/bench-send.sh compares `mailcred send` with swaks.
#
# The same figures as Go benchmark metrics:
#   go test -run '^$' -bench Latency -benchtime 1x ./scripts/benchlatency/
set -euo pipefail

runs=${1:-3}
delays=${2:-20ms,100ms}
if ! [[ $runs =~ ^[0-9]+$ ]] || [ "$runs" -lt 1 ] || [ "$runs" -gt 100 ]; then
  echo "usage: scripts/bench-latency.sh [RUNS] [DELAYS]   (1 <= RUNS <= 100)" >&2
  exit 2
fi
if ! grep -q '^module github.com/mailcred/mailcred$' go.mod 2>/dev/null; then
  echo "bench-latency: run from the repository root" >&2
  exit 2
fi
work=$(mktemp -d /tmp/mailcred-latency.XXXXXX)
trap 'rm -rf "$work"' EXIT
go build -o "$work/benchlatency" ./scripts/benchlatency
batch=0
if [ "${BENCH_PEERS:-1}" != 0 ]; then batch=${BATCH:-1000}; fi
"$work/benchlatency" -runs "$runs" -delays "$delays" -batch "$batch"
[ "${BENCH_PEERS:-1}" != 0 ] || exit 0

# ---- Peers, 0 ms DNS: mailcred score against mailauth report.
mailauth=/tmp/mailcred-npm/node_modules/.bin/mailauth
if [ ! -x "$mailauth" ] || ! command -v hyperfine >/dev/null || [ ! -x /usr/bin/time ]; then
  echo "peers: mailauth ($mailauth), hyperfine or /usr/bin/time missing; run: bash .ci/install-peers"
  exit 0
fi
go build -o "$work/mailcred" ./cmd/mailcred
mkdir "$work/peers"
mkfifo "$work/hold"
"$work/benchlatency" -serve "$work/peers" <"$work/hold" >"$work/peers/addr" &
server=$!
exec 3>"$work/hold" # the server runs until this closes
trap 'exec 3>&-; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 300); do
  [ "$(wc -l <"$work/peers/addr")" -ge 2 ] && break
  sleep 0.1
done
dns=$(sed -n 1p "$work/peers/addr")
ip=$(sed -n 2p "$work/peers/addr")
[ -n "$ip" ] || { echo "bench-latency: the peers' world did not start" >&2; exit 1; }
echo
echo "== peers at 0 ms DNS: mailcred score vs mailauth report $("$mailauth" --version 2>/dev/null)"
declare -A cpu rss wall
for m in small 10m; do
  f="$work/peers/$m.eml"
  mc="$work/mailcred score $f --ip $ip --helo mail.example.com --mail-from alice@example.com --resolver $dns --format json"
  ma="$mailauth report --dns-cache $work/peers/dns-cache.json -i $ip -e mail.example.com -f alice@example.com $f"
  hyperfine -N -i --warmup 2 --runs "$((runs * 3))" --export-csv "$work/$m.csv" -n "mailcred-$m" "$mc" -n "mailauth-$m" "$ma" >/dev/null 2>&1
  while IFS=, read -r name mean _; do
    wall[$name]=$(awk -v v="$mean" 'BEGIN { printf "%.1f", v * 1000 }')
  done < <(tail -n +2 "$work/$m.csv")
  for tool in mailcred mailauth; do
    cmd=$mc
    [ "$tool" = mailauth ] && cmd=$ma
    /usr/bin/time -f "%U %S %M" -o "$work/time" $cmd >/dev/null 2>&1 || true
    read -r u s k <"$work/time"
    cpu[$tool-$m]=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
    rss[$tool-$m]=$((k / 1024))
  done
done
printf '%-10s %12s %12s %10s %12s %12s %10s\n' "" "small wall" "small CPU" "small RSS" "10 MB wall" "10 MB CPU" "10 MB RSS"
for tool in mailcred mailauth; do
  printf '%-10s %9s ms %10s s %7s MiB %9s ms %10s s %7s MiB\n' "$tool" "${wall[$tool-small]}" "${cpu[$tool-small]}" "${rss[$tool-small]}" \
    "${wall[$tool-10m]}" "${cpu[$tool-10m]}" "${rss[$tool-10m]}"
done
awk -v a="${wall[mailcred-small]}" -v b="${wall[mailauth-small]}" -v c="${wall[mailcred-10m]}" -v d="${wall[mailauth-10m]}" \
  -v e="${cpu[mailcred-small]}" -v f="${cpu[mailcred-10m]}" -v g="${cpu[mailauth-small]}" -v h="${cpu[mailauth-10m]}" 'BEGIN {
  printf "wall mailcred/mailauth: small %.3f, 10 MB %.3f\n", a / b, c / d
  mc = (f - e) * 1000 / 10; ma = (h - g) * 1000 / 10
  printf "CPU per MB (10 MB minus small, over 10): mailcred %.0f ms, mailauth %.0f ms, ratio %.2f (goal <= 1.5)\n", mc, ma, (ma > 0 ? mc / ma : 0)
}'
echo "RSS growth 10 MB minus small: mailcred $((rss[mailcred-10m] - rss[mailcred-small])) MiB, mailauth $((rss[mailauth-10m] - rss[mailauth-small])) MiB (one copy of the message is 10 MiB)"
