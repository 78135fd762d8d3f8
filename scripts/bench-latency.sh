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
# for send's goal. `receive` times the answer to DATA; its second row is a
# second message to the same server (what a shared cache saves).
#
# Goals: check ≤ 1.1 × crit (with 2 and with 8 sending IPs), score ≤ 1.5 ×
# crit, send ≤ bare SMTP + 1 round trip, receive answers DATA within 3
# round trips. The script reports; it never fails on timing (exit 1 only
# when a command does not work in the world, 2 on bad arguments).
#
# The same figures as Go benchmark metrics:
#   go test -run '^$' -bench Latency -benchtime 1x ./scripts/benchlatency/
# scripts/bench-send.sh compares one whole `mailcred send` process with
# swaks.
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
"$work/benchlatency" -runs "$runs" -delays "$delays"
