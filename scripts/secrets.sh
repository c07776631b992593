#!/usr/bin/env bash
# Creates the credentials docker-compose.yml reads, in DIR (default ./secrets), each a file of its own and never
# in the repository: random passwords for RabbitMQ's administrator and the workers' user, MongoDB's root and the
# workers' user, Grafana's administrator, and the workers' MongoDB connection string. Existing files are kept (--force replaces them).
# Files are created with mode 0600; those the worker containers read (uid/gid 1654) get group 1654 and mode 0440
# when this runs as root. The query key pair comes from `cybex-report keygen --out DIR`.
set -euo pipefail
dir=secrets force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -*) echo "usage: scripts/secrets.sh [DIR] [--force]" >&2; exit 2 ;;
    *) dir=$arg ;;
  esac
done
umask 077
mkdir -p "$dir"
password() { head -c 24 /dev/urandom | base64 | tr -d '/+=\n'; }
write() { # name, content
  if [ -e "$dir/$1" ] && [ "$force" = 0 ]; then echo "kept $dir/$1"; return; fi
  rm -f "$dir/$1"
  printf '%s' "$2" > "$dir/$1"
  echo "wrote $dir/$1"
}
write rabbitmq_admin_password "$(password)"
write rabbitmq_worker_password "$(password)"
# The cluster profile's nodes must share one Erlang cookie.
write rabbitmq_erlang_cookie "$(password)"
write mongo_root_password "$(password)"
write mongo_worker_password "$(password)"
write mongo_worker_url "mongodb://cybex-worker:$(cat "$dir/mongo_worker_password")@mongo:27017/?authSource=admin&serverMonitoringMode=poll"
write grafana_admin_password "$(password)"
worker_files=(rabbitmq_worker_password mongo_worker_url)
[ -e "$dir/priv.pem" ] && worker_files+=(priv.pem)
if [ "$(id -u)" = 0 ]; then
  for f in "${worker_files[@]}"; do chgrp 1654 "$dir/$f" && chmod 0440 "$dir/$f"; done
  echo "the worker containers' files (${worker_files[*]}) are group 1654, mode 0440"
  # Grafana's image runs as uid 472 in group 0.
  chgrp 0 "$dir/grafana_admin_password" && chmod 0440 "$dir/grafana_admin_password"
else
  echo "as root, give the worker containers (gid 1654) their files: chgrp 1654 ${worker_files[*]/#/$dir/} && chmod 0440 ${worker_files[*]/#/$dir/}"
fi
