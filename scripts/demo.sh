#!/usr/bin/env bash
# The README's first command: installs and starts RabbitMQ and the Mongo-compatible server when missing,
# builds, and runs the whole pipeline on a demo archive. Everything it started is stopped on exit.
#   bash scripts/demo.sh          run the demo and stop
#   bash scripts/demo.sh --keep   keep the worker (and the dashboard) running until Ctrl+C
set -euo pipefail
cd "$(dirname "$0")/.."
export CYBEX_STATE="${CYBEX_STATE:-/tmp/cybex-demo}"
# Leave nothing behind: the services and their state go when the demo ends (the keys in secrets/ stay).
trap 'bash tests/services.sh stop || true; rm -rf "$CYBEX_STATE"' EXIT
# An assignment, not eval "$(...)": a failed start must stop the script.
settings=$(bash tests/services.sh start)
eval "$settings"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build src/Cybex.Report.Cli -c Release -nologo -v q
dotnet run --no-build -c Release --project src/Cybex.Report.Cli -- demo "$@"
