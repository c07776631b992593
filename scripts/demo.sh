#!/usr/bin/env bash
# The README's first command: installs and starts RabbitMQ and the Mongo-compatible server when missing,
# builds, and runs the whole pipeline on a demo archive. Everything it started is stopped on exit, and its
# state removed (the keys in secrets/ stay).
#   bash scripts/demo.sh          run the demo and stop
#   bash scripts/demo.sh --keep   keep the worker (and the dashboard) running until Ctrl+C
set -euo pipefail
cd "$(dirname "$0")/.."
export CYBEX_STATE="${CYBEX_STATE:-/tmp/cybex-demo}" CYBEX_DROP_STATE=1
exec bash tests/with-services.sh bash -c 'dotnet build src/Cybex.Report.Cli -c Release -nologo -v q && dotnet run --no-build -c Release --project src/Cybex.Report.Cli -- demo "$@"' demo "$@"
