#!/usr/bin/env bash
# The README's test command: starts RabbitMQ and CongoDB, runs every test project of the solution, and stops
# the services again whatever the outcome.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != --inside ]; then exec bash tests/with-services.sh bash tests/run.sh --inside "$@"; fi
shift
dotnet build Cybex.Report.Bus.sln -c Release -nologo -v q
set +e
# One project at a time: the CLI and worker suites share the broker's message-type exchanges, and a bus query
# published by one would also reach the other's workers.
dotnet test Cybex.Report.Bus.sln -c Release --no-build -nologo -m:1 "$@" 2>&1 | tee "$CYBEX_STATE/test.log"
status=${PIPESTATUS[0]}
set -e
# One closing line for CI's reader, summed over the test projects.
awk '/Passed!|Failed!/ { for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$CYBEX_STATE/test.log"
exit "$status"
