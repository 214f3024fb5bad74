#!/usr/bin/env bash
# The steps of the revhook GitHub Action (action.yml): build revhook, start the
# receiver command (optional) and wait for its port, run `revhook check` with
# every report, append the markdown summary to the job summary, set the
# outputs, stop the receiver, and exit with check's exit code.
#
# Inputs come from the environment (action.yml maps them):
#   RH_URL               receiver endpoint (required)
#   REVHOOK_SECRET       webhook secret (required; never on a command line)
#   RH_RECEIVER_COMMAND  command that starts the receiver (optional)
#   RH_WAIT_TIMEOUT      seconds to wait for the receiver's port (default 60)
#   RH_ARGS              extra `revhook check` arguments, shell-quoted
#   RH_REPORTS_DIR       where the reports go (default revhook-reports)
#   REVHOOK_BIN          a revhook binary to use instead of building one (tests)
# and GitHub's own: GITHUB_ACTION_PATH, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP.
set -uo pipefail

die() { echo "::error title=revhook::$*" >&2; exit 1; }

[ -n "${RH_URL:-}" ] || die "the url input is required"
[ -n "${REVHOOK_SECRET:-}" ] || die "the secret input is required (pass it from a secret: secret: \${{ secrets.WEBHOOK_SECRET }})"
timeout_s=${RH_WAIT_TIMEOUT:-60}
if ! [[ $timeout_s =~ ^[0-9]+$ ]] || [ "$timeout_s" -lt 1 ] || [ "$timeout_s" -gt 3600 ]; then
  die "wait-timeout must be a number of seconds from 1 to 3600, got '$timeout_s'"
fi
dir=${RH_REPORTS_DIR:-revhook-reports}
mkdir -p "$dir" || die "cannot create the reports directory $dir"
dir=$(cd "$dir" && pwd)

# Host and port of the URL, for the wait: scheme://[user@]host[:port][/path].
hostport=${RH_URL#*://}
hostport=${hostport%%/*}
hostport=${hostport%%\?*}
hostport=${hostport##*@}
case $RH_URL in
  https://*) port=443 ;;
  http://*) port=80 ;;
  *) die "url must start with http:// or https://, got '$RH_URL'" ;;
esac
if [[ $hostport =~ ^\[(.*)\](:([0-9]+))?$ ]]; then # [::1]:8080
  host=${BASH_REMATCH[1]}
  port=${BASH_REMATCH[3]:-$port}
elif [[ $hostport =~ ^([^:]+)(:([0-9]+))?$ ]]; then
  host=${BASH_REMATCH[1]}
  port=${BASH_REMATCH[3]:-$port}
else
  die "cannot read a host and port in url '$RH_URL'"
fi

# One connection attempt, bounded where coreutils' timeout exists (not on macOS).
port_open() {
  if command -v timeout >/dev/null 2>&1; then
    # shellcheck disable=SC2016 # $0 and $1 are the inner shell's
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null
  else
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
  fi
}

# 1. revhook: built from the action's own checkout, the version the workflow pinned.
bin=${REVHOOK_BIN:-}
if [ -z "$bin" ]; then
  root=${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}
  bin="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/revhook-action/revhook"
  echo "building revhook from $root"
  (cd "$root" && go build -o "$bin" ./cmd/revhook) || die "building revhook failed (see above)"
fi
"$bin" --version || die "$bin does not run"

# 2. The receiver, in a process group of its own so that stopping it stops
# everything it started; it inherits REVHOOK_SECRET (and WEBHOOK_SECRET).
receiver_pid=""
# shellcheck disable=SC2317 # called by the EXIT trap
stop_receiver() {
  [ -n "$receiver_pid" ] || return 0
  kill -TERM -- "-$receiver_pid" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$receiver_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$receiver_pid" 2>/dev/null
  wait "$receiver_pid" 2>/dev/null
  receiver_pid=""
  echo "::group::receiver output ($dir/receiver.log)"
  tail -n 200 "$dir/receiver.log"
  echo "::endgroup::"
}
trap stop_receiver EXIT
trap 'exit 130' INT TERM

if [ -n "${RH_RECEIVER_COMMAND:-}" ]; then
  # Never check a process this action did not start.
  port_open && die "something already listens on $host:$port before the receiver command started; stop it or change the url"
  export WEBHOOK_SECRET=${WEBHOOK_SECRET:-$REVHOOK_SECRET}
  set -m # job control: the background job gets its own process group
  bash -c "$RH_RECEIVER_COMMAND" >"$dir/receiver.log" 2>&1 &
  receiver_pid=$!
  set +m
  echo "started the receiver (pid $receiver_pid): $RH_RECEIVER_COMMAND"
  deadline=$((SECONDS + timeout_s))
  until port_open; do
    if ! kill -0 "$receiver_pid" 2>/dev/null; then
      wait "$receiver_pid"
      code=$?
      receiver_pid=""
      tail -n 50 "$dir/receiver.log" >&2
      die "the receiver command exited (status $code) before $host:$port opened"
    fi
    [ "$SECONDS" -lt "$deadline" ] || die "the receiver did not open $host:$port within ${timeout_s}s (wait-timeout)"
    sleep 0.2
  done
  echo "the receiver listens on $host:$port"
fi

# 3. The check. A revhook without the markdown-summary format falls back to
# the full markdown report.
summary_format=markdown-summary
if ! "$bin" check --url "$RH_URL" --list --report "markdown-summary=$dir/.probe.md" >/dev/null 2>&1; then
  summary_format=markdown
  echo "this revhook has no markdown-summary report; the job summary gets the full markdown report"
fi
rm -f "$dir/.probe.md"
extra=()
args=${RH_ARGS:-}
if [ -n "${args//[[:space:]]/}" ]; then
  # xargs splits like a shell (quotes, backslashes) without running anything.
  split="$dir/.args"
  printf '%s' "$args" | xargs printf '%s\0' >"$split" || die "cannot split the args input (unbalanced quotes?): $args"
  while IFS= read -r -d '' a; do extra+=("$a"); done <"$split"
  rm -f "$split"
fi
junit=$dir/revhook.xml html=$dir/revhook.html json=$dir/revhook.json summary=$dir/revhook-summary.md
rm -f "$junit" "$html" "$json" "$summary"
"$bin" check --url "$RH_URL" --report "junit=$junit" --report "html=$html" --report "json=$json" \
  --report "$summary_format=$summary" ${extra[@]+"${extra[@]}"}
code=$?

# 4. Job summary and outputs.
verdict=error # exit 2 (usage) or 3 (revhook failed): no report
if [ -f "$json" ]; then
  verdict=$(grep -o '"verdict": *"[a-z]*"' "$json" | head -n 1 | sed 's/.*"\([a-z]*\)"$/\1/')
fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  if [ -f "$summary" ]; then
    cat "$summary" >>"$GITHUB_STEP_SUMMARY"
  else
    printf '### revhook check could not run (exit %s)\n\nSee the step log.\n' "$code" >>"$GITHUB_STEP_SUMMARY"
  fi
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "verdict=$verdict"
    echo "exit-code=$code"
    echo "reports-dir=$dir"
    echo "junit=$junit"
    echo "html=$html"
    echo "json=$json"
    echo "markdown-summary=$summary"
  } >>"$GITHUB_OUTPUT"
fi
exit "$code"
