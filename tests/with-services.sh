#!/usr/bin/env bash
# Runs a command with RabbitMQ and CongoDB up (tests/services.sh), their settings exported, and stops them
# afterwards whatever the command's outcome. CYBEX_STATE names the state folder (a fresh one by default);
# CYBEX_DROP_STATE=1 removes it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export CYBEX_STATE="${CYBEX_STATE:-$(mktemp -d /tmp/cybex-services.XXXXXX)}"
trap 'bash tests/services.sh stop || true; if [ "${CYBEX_DROP_STATE:-0}" = 1 ]; then rm -rf "$CYBEX_STATE"; fi' EXIT
# An assignment, not eval "$(...)": a failed start must stop here.
settings=$(bash tests/services.sh start)
eval "$settings"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
"$@"
