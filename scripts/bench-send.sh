#!/usr/bin/env bash
# bench-send.sh — how long one send takes with mailcred and with swaks, the
# reference SMTP client, to the same loopback server, and the ratio.
#
# Usage, from the repository root:
#   scripts/bench-send.sh [N]        N timed sends per client (default 30, at most 1000)
#
# One send is one whole process, as a person runs it: start, connect,
# EHLO, STARTTLS (the chain verified against the server's test CA), EHLO,
# MAIL, RCPT, DATA, QUIT, exit. Three clients are timed:
#
#   mailcred send   the real command: compose, DKIM-sign, deliver, explain,
#                   then score the send (its DNS checks ask the loopback DNS
#                   server below, never the system's resolver), and the
#                   same with --no-score (the send alone);
#   smtpc           scripts/benchsend: mailcred's SMTP client alone
#                   (session/smtpc.Deliver), sending a prepared 1 KB message;
#   swaks           the same prepared message, with --tls --tls-verify.
#
# The ratio printed is mailcred send / swaks, and smtpc / swaks; while
# `mailcred send` does not work (it is being written), only the second,
# and the output says so. The peer is scripts/benchserver: mailcred's test
# SMTP server (session/smtptest, go-smtp with STARTTLS) and a DNS server
# (scoring/dnstest) with the sender's SPF, DKIM, DMARC and reverse DNS.
#
# Network: as root the timing runs in a network namespace of its own
# (unshare --net) where only loopback exists, so nothing can leave the
# machine whatever a client tries; otherwise (or with BENCH_NETNS=0) on
# the host, on 127.0.0.1 only. The server is stopped when the script ends, and stops by itself
# after 10 minutes at the latest.
#
# BENCH_KEEP=FILE keeps the output of the first `mailcred send` there.
#
# Timing uses hyperfine (apt-get install hyperfine) when installed, else
# (or with BENCH_TIMER=loop) a bash loop on `date +%s%N`. A last line gives
# the in-process figure (smtpc's BenchmarkDeliver, STARTTLS) so process
# start-up can be told apart from the SMTP work.
#
# Needs go, and swaks with libnet-ssleay-perl; `bash .ci/install-peers`
# installs swaks and hyperfine.
set -euo pipefail

n=${1:-30}
if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt 1000 ]; then
  echo "usage: scripts/bench-send.sh [N]   (1 <= N <= 1000)" >&2
  exit 2
fi
if ! grep -q '^module github.com/mailcred/mailcred$' go.mod 2>/dev/null; then
  echo "bench-send: run from the repository root" >&2
  exit 2
fi
if ! command -v swaks >/dev/null; then
  echo "bench-send: swaks not found; install with: apt-get install -y --no-install-recommends swaks libnet-ssleay-perl" >&2
  exit 1
fi

# ---- Part one: build, then run part two (the timing) isolated if we can.
if [ -z "${BENCH_WORK:-}" ]; then
  work=$(mktemp -d /tmp/mailcred-bench.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  echo "== building"
  go build -o "$work/benchserver" ./scripts/benchserver
  go build -o "$work/benchsend" ./scripts/benchsend
  go build -o "$work/mailcred" ./cmd/mailcred 2>"$work/build.log" || rm -f "$work/mailcred"
  if [ "${BENCH_NETNS:-1}" != 0 ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && command -v ip >/dev/null && unshare --net true 2>/dev/null; then
    BENCH_WORK=$work BENCH_NET="a network namespace of its own, only loopback in it" \
      unshare --net -- bash -c 'ip link set lo up && exec bash "$@"' bench-send "$0" "$n"
  else
    BENCH_WORK=$work BENCH_NET="the host's, on 127.0.0.1 only (no namespace of its own)" bash "$0" "$n"
  fi
  [ -z "${BENCH_KEEP:-}" ] || cp "$work/mailcred.log" "$BENCH_KEEP" 2>/dev/null || true
  echo "== in process, no start-up: smtpc BenchmarkDeliver/starttls"
  go test -run '^$' -bench 'BenchmarkDeliver/starttls' -benchtime 200x ./session/smtpc/ 2>&1 |
    awk '/^BenchmarkDeliver/ { printf "smtpc.Deliver in process: %.3f ms per send\n", $3 / 1e6 }'
  exit 0
fi

# ---- Part two: the world, the clients, the timing.
work=$BENCH_WORK
server_pid=
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
trap stop_server EXIT

"$work/benchserver" -ca "$work/ca.pem" -dkim-key "$work/dkim.pem" -count "$work/count" -for 10m \
  >"$work/addr" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 100); do
  [ "$(wc -l <"$work/addr")" -ge 2 ] && break
  sleep 0.1
done
addr=$(sed -n 1p "$work/addr")
dns=$(sed -n 2p "$work/addr")
if [ -z "$dns" ]; then
  echo "bench-send: the server did not start:" >&2
  cat "$work/server.log" >&2
  exit 1
fi
count() { cat "$work/count"; }

from=alice@sender.test
to=bob@bench.test
helo=mail.sender.test
body="Twelve lines of the benchmark message, the same text for every client."
for i in $(seq 12); do printf 'line %02d: %s\n' "$i" "$body"; done >"$work/body.txt"
# The prepared message for smtpc and swaks, CRLF line endings. swaks sends
# CRLF "." CRLF after what it is given, so its copy carries the closing dot
# already and both send the same bytes.
{
  printf 'From: Alice <%s>\r\nTo: Bob <%s>\r\nSubject: bench\r\n' "$from" "$to"
  printf 'Date: %s\r\nMessage-ID: <bench.%s@sender.test>\r\n' "$(date -R)" "$$"
  printf 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n'
  sed 's/$/\r/' "$work/body.txt"
} >"$work/message.eml"
{ cat "$work/message.eml"; printf '.\r\n'; } >"$work/message-swaks.eml"

names=() cmds=()
mailcred_cmd="$work/mailcred send --yes --via $addr --tls starttls --tls-ca $work/ca.pem --tls-verify --helo $helo --from $from --to $to --subject bench --body-file $work/body.txt --dkim-key $work/dkim.pem --selector bench --resolver $dns --timeout 1s"
smtpc_cmd="$work/benchsend -addr $addr -ca $work/ca.pem -server-name mx.bench.test -helo $helo -from $from -to $to -data $work/message.eml"
swaks_cmd="swaks --server $addr --tls --tls-verify --tls-ca-path $work/ca.pem --ehlo $helo --from $from --to $to --data @$work/message-swaks.eml --timeout 30"

# `mailcred send` counts when it delivered; its exit status is 1 when a
# check of the score failed, which is not the send's fault.
mailcred_note=
if [ ! -x "$work/mailcred" ]; then
  mailcred_note="cmd/mailcred does not build: $(head -n 2 "$work/build.log" | tr '\n' ' ')"
else
  before=$(count)
  rc=0
  timeout 60 $mailcred_cmd >"$work/mailcred.log" 2>&1 || rc=$?
  # 0 clean, 1 a check failed, 3 a check could not be completed: delivered all the same.
  if [ "$(count)" -gt "$before" ] && { [ "$rc" -le 1 ] || [ "$rc" -eq 3 ]; }; then
    names+=(mailcred) cmds+=("$mailcred_cmd")
    names+=(mailcred-no-score) cmds+=("$mailcred_cmd --no-score")
    score=$(grep -m1 -E '^Score [0-9]' "$work/mailcred.log" || true)
    failed=$(awk '$1 == "✗" && $2 == "fail" { print $3 }' "$work/mailcred.log" | paste -sd, -)
    mailcred_note="delivers; exit $rc${score:+; $score}${failed:+; failed: $failed}"
  else
    mailcred_note="does not deliver yet (exit $rc): $(head -c 160 "$work/mailcred.log" | tr '\n' ' ')"
  fi
fi
# smtpc and swaks must deliver; the run stops here if one does not.
for c in smtpc swaks; do
  var=${c}_cmd
  before=$(count)
  if ! timeout 60 ${!var} >"$work/probe.log" 2>&1 || [ "$(count)" -le "$before" ]; then
    echo "bench-send: $c did not deliver:" >&2
    cat "$work/probe.log" >&2
    exit 1
  fi
  names+=("$c") cmds+=("${!var}")
done

warmup=3
probed=$(count) # the deliveries above, before the timing
echo "== timing $n sends per client to $addr (STARTTLS, verified)"
declare -A mean=() sd=()
if [ "${BENCH_TIMER:-}" != loop ] && command -v hyperfine >/dev/null; then
  timer="hyperfine $(hyperfine --version | cut -d' ' -f2)"
  args=()
  for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
  # -i: mailcred send exits 1 when a check fails; deliveries are counted below.
  hyperfine -N -i --warmup "$warmup" --runs "$n" --export-csv "$work/times.csv" "${args[@]}" \
    >"$work/hyperfine.log" 2>&1 || {
    cat "$work/hyperfine.log" >&2
    exit 1
  }
  # command,mean,stddev,median,user,system,min,max in seconds.
  while IFS=, read -r name m s _; do
    mean[$name]=$(awk -v v="$m" 'BEGIN { printf "%.2f", v * 1000 }')
    sd[$name]=$(awk -v v="$s" 'BEGIN { printf "%.2f ms", v * 1000 }')
  done < <(tail -n +2 "$work/times.csv")
else
  timer="bash loop on date +%s%N"
  for i in "${!names[@]}"; do
    for _ in $(seq "$warmup"); do timeout 60 ${cmds[$i]} >/dev/null 2>&1 || true; done
    start=$(date +%s%N)
    for _ in $(seq "$n"); do timeout 60 ${cmds[$i]} >/dev/null 2>&1 || true; done
    end=$(date +%s%N)
    mean[${names[$i]}]=$(awk -v d=$((end - start)) -v n="$n" 'BEGIN { printf "%.2f", d / n / 1e6 }')
    sd[${names[$i]}]="n/a"
  done
fi
delivered=$(count)
stop_server
expected=$((probed + ${#names[@]} * (warmup + n)))

ratio() {
  awk -v a="${mean[$1]}" -v b="${mean[$2]}" -v what="$3" 'BEGIN {
    r = a / b
    printf "ratio %s: %.3f", what, r
    if (r < 1) printf "  (%.1fx faster)\n", 1 / r; else printf "  (%.1fx slower)\n", r
  }'
}
echo "network:  $BENCH_NET"
echo "timer:    $timer; $n runs after $warmup warm-up runs, per client"
echo "mailcred send: $mailcred_note"
if [ -n "${mean[mailcred]:-}" ]; then
  printf 'mailcred send:  %8s ms per send (sd %s)  compose, DKIM-sign, deliver, explain, score\n' "${mean[mailcred]}" "${sd[mailcred]}"
  printf 'send --no-score:%8s ms per send (sd %s)  the same without the score\n' "${mean[mailcred-no-score]}" "${sd[mailcred-no-score]}"
fi
printf 'smtpc:          %8s ms per send (sd %s)  scripts/benchsend, the client alone\n' "${mean[smtpc]}" "${sd[smtpc]}"
printf 'swaks:          %8s ms per send (sd %s)  swaks %s\n' "${mean[swaks]}" "${sd[swaks]}" \
  "$(swaks --version 2>/dev/null | awk '/version/ { print $3; exit }')"
if [ -n "${mean[mailcred]:-}" ]; then
  ratio mailcred swaks "mailcred/swaks"
  ratio mailcred-no-score swaks "--no-score/swaks"
fi
ratio smtpc swaks "smtpc/swaks   "
echo "server:   $(sed 's/^benchserver: //' "$work/server.log"); expected $expected ($delivered counted while timing)"
if ! grep -q "accepted $expected messages ($expected over TLS)" "$work/server.log"; then
  echo "bench-send: warning: not every send was accepted over TLS" >&2
fi
