#!/usr/bin/env bash
# stress: run the test suite several times while other CPU load runs on the
# machine, stop at the first failure and say which test failed.
#
#   tools/stress.sh                       # 3 runs of ./... with one busy loop per core
#   STRESS_RUNS=5 STRESS_PKGS='./steps/... ./cmd/...' tools/stress.sh
#   STRESS_SKIP='^TestName$' tools/stress.sh   # leave a test out (go test -skip)
#
# The busy loops are child processes of this script, each bounded by
# `timeout` (STRESS_LOAD_MAX), and killed by their pid when the script ends.
set -uo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
runs=${STRESS_RUNS:-3}
pkgs=${STRESS_PKGS:-./...}
load=${STRESS_LOAD:-$(nproc 2>/dev/null || echo 2)}
maxload=${STRESS_LOAD_MAX:-3600}
skip=()
[ -n "${STRESS_SKIP:-}" ] && skip=(-skip "$STRESS_SKIP")   # e.g. a test another branch is rewriting
log=$(mktemp -t revhook-stress.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
for _ in $(seq "$load"); do
  timeout "$maxload" bash -c 'while :; do :; done' &
  pids+=($!)
done
echo "stress: $runs run(s) of go test -race -count=1 $pkgs, with $load busy loop(s) beside them"
for i in $(seq "$runs"); do
  start=$(date +%s)
  # shellcheck disable=SC2086 # pkgs is a list
  if $GO test -race -count=1 "${skip[@]}" $pkgs >"$log" 2>&1; then
    echo "stress: run $i/$runs passed in $(( $(date +%s) - start )) s"
    continue
  fi
  echo "stress: run $i/$runs FAILED after $(( $(date +%s) - start )) s:"
  grep -E '^(--- FAIL|FAIL|panic:|fatal error:|WARNING: DATA RACE)' "$log" | sort -u | sed 's/^/  /'
  echo "stress: full output in $log"
  exit 1
done
rm -f "$log"
echo "stress: all $runs runs passed"
