#!/usr/bin/env bash
# Where the worker's CPU goes: runs `cybex-report bench` (its arguments are this script's), samples the worker
# process's CPU with perf while the load runs, and prints each component's share as a Markdown table
# (scripts/profile-shares.py). Needs the services (tests/with-services.sh) and perf (Debian's linux-perf).
#   bash tests/with-services.sh bash scripts/profile-worker.sh --queries 1500
# PROFILE_SECONDS (20) is how long it samples, PROFILE_SKIP (8) how long after the worker starts it begins.
# Managed frames are named through the runtime's perf map; ReadyToRun is off so framework code has names too.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v perf > /dev/null || sudo apt-get install -y -qq linux-perf
out="${PROFILE_OUT:-$(mktemp -d)}"
mkdir -p "$out"
dotnet build src/Cybex.Report.Cli -c Release -nologo -v q > /dev/null
export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 DOTNET_ReadyToRun=0
dotnet src/Cybex.Report.Cli/bin/Release/net10.0/cybex-report.dll bench "$@" > "$out/bench.txt" 2>&1 &
bench=$!
worker=""
for _ in $(seq 1 240); do
  worker=$(pgrep -n -f cybex-report-worker.dll || true)
  [ -n "$worker" ] && break
  sleep 0.5
done
[ -n "$worker" ] || { echo "no worker process started; bench said:" >&2; cat "$out/bench.txt" >&2; exit 1; }
sleep "${PROFILE_SKIP:-8}"
perf record -q -e cpu-clock -F 999 -g -p "$worker" -o "$out/worker.perf" -- sleep "${PROFILE_SECONDS:-20}" 2> /dev/null
wait "$bench" || true
cat "$out/bench.txt"
perf script -i "$out/worker.perf" -F comm,tid,ip,sym,dso 2> /dev/null | python3 scripts/profile-shares.py
echo "perf data and bench output in $out"
