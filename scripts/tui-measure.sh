#!/usr/bin/env bash
# tui-measure.sh — start-up and memory of the real workbench, measured the
# way a person sees them: `mailcred demo` in tmux (80×24), time from launch
# to the first frame and to the first verdicts, then the process's RSS
# after N sends (each send adds a transcript and a check run).
# Usage: bash scripts/tui-measure.sh [N]   (needs tmux and go)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { echo "tui-measure: SKIP: tmux is not installed"; exit 0; }
n=${1:-30}
work=$(mktemp -d)
go build -o "$work/mailcred" ./cmd/mailcred
session="mailcred-measure-$$"
trap 'tmux kill-session -t "$session" 2>/dev/null || true; rm -rf "$work"' EXIT
ms() { echo $(( ($(date +%s%N) - start) / 1000000 )); }
wait_screen() {
  local end=$((SECONDS + 20))
  until tmux capture-pane -t "$session" -p | grep -q -- "$1"; do
    ((SECONDS < end)) || { echo "tui-measure: timed out waiting for $1"; exit 1; }
    sleep 0.005
  done
}
start=$(date +%s%N)
tmux new-session -d -s "$session" -x 80 -y 24 "$work/mailcred demo --watch 0 2>$work/stderr; sleep 30"
wait_screen "mailcred example.com"; first=$(ms)
wait_screen "✗ spf.record"; verdicts=$(ms)
pid=$(pgrep -x mailcred -n)
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
hwm() { awk '/VmHWM/ {print $2}' "/proc/$pid/status"; }
idle=$(rss)
for _ in $(seq 1 "$n"); do
  tmux send-keys -t "$session" s; sleep 0.2
  tmux send-keys -t "$session" y; sleep 0.25
done
sleep 1
echo "first frame:        ${first} ms after launch (goal: well under a second)"
echo "first verdicts:     ${verdicts} ms after launch"
echo "RSS at start:       $((idle / 1024)) MB"
echo "RSS after $n sends: $(( $(rss) / 1024 )) MB (peak $(( $(hwm) / 1024 )) MB; goal < 50 MB)"
