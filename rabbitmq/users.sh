#!/bin/sh
# Entrypoint of the rabbitmq container (docker-compose.yml): starts the broker, then creates its users from the
# secret files, so no password is in the repository or the image:
#   admin         the dashboard's administrator (/run/secrets/rabbitmq_admin_password)
#   cybex-worker  the workers' user: no tags (no dashboard, no management API), permissions on the cybex vhost
#                 only (/run/secrets/rabbitmq_worker_password)
#   <user>        a bus publisher per /run/secrets/rabbitmq_publisher_<user> (its password), boxed in by
#                 publisher-permissions.sh
# and deletes guest. Passwords are read from standard input, never passed as arguments.
set -eu
# The nodes of the cluster profile share this cookie; a single node does not care which it has.
if [ -f /run/secrets/rabbitmq_erlang_cookie ]; then
  install -m 400 -o rabbitmq -g rabbitmq /run/secrets/rabbitmq_erlang_cookie /var/lib/rabbitmq/.erlang.cookie
fi
docker-entrypoint.sh rabbitmq-server &
server=$!
until rabbitmq-diagnostics -q check_running >/dev/null 2>&1; do
  kill -0 "$server" 2>/dev/null || exit 1
  sleep 1
done

ensure_user() { # name, password file, tags...
  name=$1 file=$2
  shift 2
  if rabbitmqctl -q list_users | cut -f1 | grep -qx "$name"; then
    rabbitmqctl -q change_password "$name" < "$file"
  else
    rabbitmqctl -q add_user "$name" < "$file"
  fi
  rabbitmqctl -q set_user_tags "$name" "$@"
}

ensure_user admin /run/secrets/rabbitmq_admin_password administrator
ensure_user cybex-worker /run/secrets/rabbitmq_worker_password
# MassTransit declares its exchanges and queues (configure) and publishes and consumes (write, read), all inside
# the cybex vhost; the user has no permission on any other vhost.
rabbitmqctl -q set_permissions -p cybex cybex-worker '.*' '.*' '.*'
rabbitmqctl -q set_permissions -p cybex admin '.*' '.*' '.*'
# Bus publishers, one secret file each (rabbitmq_publisher_<user>, its password): boxed in by publisher-permissions.sh.
for file in /run/secrets/rabbitmq_publisher_*; do
  [ -f "$file" ] || continue
  user=${file#/run/secrets/rabbitmq_publisher_}
  permissions=$(sh /etc/rabbitmq/publisher-permissions.sh "$user")
  ensure_user "$user" "$file"
  # shellcheck disable=SC2086 # three regexes, one per line, none with spaces
  set -- $permissions
  rabbitmqctl -q set_permissions -p cybex "$user" "$1" "$2" "$3"
done
rabbitmqctl -q delete_user guest 2>/dev/null || true
wait "$server"
