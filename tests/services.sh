#!/usr/bin/env bash
# Real local services for tests and the demo: RabbitMQ (Debian package, management plugin) and CongoDB
# (MongoDB wire protocol, from npm), both on 127.0.0.1 with state under $CYBEX_STATE.
#   tests/services.sh start|stop|status|env   (and rabbitmq-stop|rabbitmq-start|congodb-pause|congodb-resume for fault tests)
#   tests/services.sh cluster-start N|cluster-stop|node-stop K|node-kill K|node-start K|cluster-env
#     a RabbitMQ cluster of N nodes beside the single node (rabbit-cK@localhost, AMQP 5680+K, dashboard
#     15680+K, one Erlang cookie, state under $CYBEX_STATE/cluster): joined into one cluster, settings printed.
# start installs what is missing, starts both, waits until each answers and prints the connection settings
# as shell exports (eval "$(tests/services.sh env)" in another shell). stop stops exactly what start started.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
STATE="${CYBEX_STATE:-/tmp/cybex-services}"
RMQ_PORT="${RMQ_PORT:-5672}"
RMQ_MGMT_PORT="${RMQ_MGMT_PORT:-15672}"
MONGO_PORT="${MONGO_PORT:-27017}"
RMQ_BIN=/usr/lib/rabbitmq/bin
RMQ_BASE="$STATE/rabbitmq"
CONGO_DIR="$HERE/services/congodb"
CONGO_PID="$STATE/congodb.pid"

# The /usr/sbin wrappers switch to the rabbitmq user and its cookie; a private node needs its own HOME/cookie.
rmq_env() {
  export HOME="$RMQ_BASE" RABBITMQ_NODENAME="${RMQ_NODE:-rabbit}@localhost" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT="$RMQ_PORT" RABBITMQ_DIST_PORT=$((RMQ_PORT + 20000))
  export RABBITMQ_MNESIA_BASE="$RMQ_BASE/mnesia" RABBITMQ_LOG_BASE="$RMQ_BASE/log"
  export RABBITMQ_PID_FILE="$RMQ_BASE/rabbit.pid" RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_BASE/enabled_plugins"
  export RABBITMQ_CONFIG_FILE="$RMQ_BASE/rabbitmq.conf" RABBITMQ_CONF_ENV_FILE="$RMQ_BASE/rabbitmq-env.conf"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$RMQ_BASE/advanced.config"
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" ERL_EPMD_ADDRESS=127.0.0.1
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

install_missing() {
  if [ ! -x "$RMQ_BIN/rabbitmq-server" ]; then
    echo "installing rabbitmq-server from Debian" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >&2
  fi
  # Not a service: the compose file's validator (the engine is not needed for `docker-compose config`).
  if ! command -v docker-compose >/dev/null; then
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >&2
  fi
  # Not a service either: the Prometheus test starts its own, with the scrape configuration in deploy/.
  if [ ! -x /usr/bin/prometheus ]; then
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >&2
  fi
  if ! command -v node >/dev/null; then
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >&2
  fi
  if [ ! -d "$CONGO_DIR/node_modules/@push.rocks/smartmongo" ]; then
    echo "installing CongoDB from npm" >&2
    (cd "$CONGO_DIR" && npm ci --no-audit --no-fund --loglevel=error >&2)
    # Updates re-clone documents and turn BSON value objects into plain documents; keep them intact.
    local f="$CONGO_DIR/node_modules/@push.rocks/smartmongo/dist_ts/congodb/engine/UpdateEngine.js"
    grep -q 'cybex: keep BSON values' "$f" || sed -i 's|^\(\s*\)static deepClone(obj) {|&\n\1    if (obj \&\& obj._bsontype \&\& !(obj instanceof plugins.bson.ObjectId)) return obj; // cybex: keep BSON values|' "$f"
  fi
}

start_rabbitmq() {
  rmq_env
  if alive "$RABBITMQ_PID_FILE"; then echo "rabbitmq already running" >&2; return; fi
  if port_open "$RMQ_PORT"; then echo "port $RMQ_PORT is taken by something else" >&2; exit 1; fi
  mkdir -p "$RMQ_BASE/mnesia" "$RMQ_BASE/log"
  : > "$RABBITMQ_CONF_ENV_FILE"
  if [ ! -f "$RMQ_BASE/.erlang.cookie" ]; then
    head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$RMQ_BASE/.erlang.cookie"
    chmod 400 "$RMQ_BASE/.erlang.cookie"
  fi
  echo '[rabbitmq_management].' > "$RABBITMQ_ENABLED_PLUGINS_FILE"
  cat > "$RABBITMQ_CONFIG_FILE" <<CONF
listeners.tcp.default = 127.0.0.1:$RMQ_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $RMQ_MGMT_PORT
loopback_users.guest = true
CONF
  "$RMQ_BIN/rabbitmq-server" -detached
  "$RMQ_BIN/rabbitmqctl" -q wait --timeout 90 "$RABBITMQ_PID_FILE"
  "$RMQ_BIN/rabbitmqctl" -q await_startup --timeout 90
  echo "rabbitmq ready (pid $(cat "$RABBITMQ_PID_FILE")), dashboard http://127.0.0.1:$RMQ_MGMT_PORT (guest/guest)" >&2
}

stop_rabbitmq() {
  rmq_env
  [ -f "$RABBITMQ_PID_FILE" ] || return 0
  local pid; pid=$(cat "$RABBITMQ_PID_FILE")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$RABBITMQ_PID_FILE"
  # epmd is started implicitly by the node and outlives it
  epmd -names 2>/dev/null | grep -q '^name ' || epmd -kill >/dev/null 2>&1 || true
  echo "rabbitmq stopped" >&2
}

start_congodb() {
  if alive "$CONGO_PID"; then echo "congodb already running" >&2; return; fi
  if port_open "$MONGO_PORT"; then echo "port $MONGO_PORT is taken by something else" >&2; exit 1; fi
  (cd "$CONGO_DIR" && exec node server.mjs --host 127.0.0.1 --port "$MONGO_PORT") >>"$STATE/congodb.log" 2>&1 &
  echo $! > "$CONGO_PID"
  for _ in $(seq 200); do
    port_open "$MONGO_PORT" && break
    alive "$CONGO_PID" || { cat "$STATE/congodb.log" >&2; exit 1; }
    sleep 0.05
  done
  port_open "$MONGO_PORT" || { echo "congodb did not open port $MONGO_PORT" >&2; exit 1; }
  echo "congodb ready (pid $(cat "$CONGO_PID"))" >&2
}

stop_congodb() {
  alive "$CONGO_PID" || { rm -f "$CONGO_PID"; return 0; }
  local pid; pid=$(cat "$CONGO_PID")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$CONGO_PID"
  echo "congodb stopped" >&2
}

CLUSTER_BASE="$STATE/cluster"
CLUSTER_PORT_BASE="${CLUSTER_PORT_BASE:-5680}"
# Another name prefix (and port base) lets a second suite run its cluster beside this one on the same host.
CLUSTER_NODE_PREFIX="${CLUSTER_NODE_PREFIX:-rabbit-c}"

# Node K of the cluster: its own name, ports and state; the cluster's one cookie.
node_env() {
  RMQ_NODE="$CLUSTER_NODE_PREFIX$1" RMQ_BASE="$CLUSTER_BASE/node$1" RMQ_PORT=$((CLUSTER_PORT_BASE + $1)) RMQ_MGMT_PORT=$((CLUSTER_PORT_BASE + 10000 + $1))
  mkdir -p "$RMQ_BASE"
  if [ ! -f "$RMQ_BASE/.erlang.cookie" ]; then
    install -m 400 "$CLUSTER_BASE/.erlang.cookie" "$RMQ_BASE/.erlang.cookie"
  fi
}

cluster_size() { ls -d "$CLUSTER_BASE"/node* 2>/dev/null | wc -l; }

start_cluster() {
  local n="$1"
  mkdir -p "$CLUSTER_BASE"
  if [ ! -f "$CLUSTER_BASE/.erlang.cookie" ]; then
    head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$CLUSTER_BASE/.erlang.cookie"
    chmod 400 "$CLUSTER_BASE/.erlang.cookie"
  fi
  for k in $(seq "$n"); do (node_env "$k"; start_rabbitmq) & done
  wait
  for k in $(seq 2 "$n"); do
    (
      node_env "$k"; rmq_env
      if ! "$RMQ_BIN/rabbitmqctl" -q cluster_status 2>/dev/null | grep -q "${CLUSTER_NODE_PREFIX}1@localhost"; then
        "$RMQ_BIN/rabbitmqctl" -q stop_app
        "$RMQ_BIN/rabbitmqctl" -q join_cluster "${CLUSTER_NODE_PREFIX}1@localhost"
        "$RMQ_BIN/rabbitmqctl" -q start_app
      fi
    )
  done
  echo "rabbitmq cluster of $n nodes ready" >&2
}

stop_cluster() {
  for dir in "$CLUSTER_BASE"/node*; do
    [ -d "$dir" ] || continue
    (node_env "${dir##*node}"; stop_rabbitmq)
  done
  rm -rf "$CLUSTER_BASE"
}

print_cluster_env() {
  local hosts="" mgmt=""
  for k in $(seq "$(cluster_size)"); do
    hosts="$hosts${hosts:+,}127.0.0.1:$((CLUSTER_PORT_BASE + k))"
    mgmt="$mgmt${mgmt:+,}http://127.0.0.1:$((CLUSTER_PORT_BASE + 10000 + k))/"
  done
  echo "export RABBITMQ_CLUSTER_HOSTS=$hosts RABBITMQ_CLUSTER_MANAGEMENT=$mgmt"
}

print_env() {
  echo "export RABBITMQ_HOST=127.0.0.1 RABBITMQ_PORT=$RMQ_PORT RABBITMQ_USER=guest RABBITMQ_PASS=guest RABBITMQ_MANAGEMENT_URL=http://127.0.0.1:$RMQ_MGMT_PORT/"
  echo "export MONGO_URL='mongodb://127.0.0.1:$MONGO_PORT/?directConnection=true&serverMonitoringMode=poll'"
}

case "${1:-}" in
  start) mkdir -p "$STATE"; install_missing; start_rabbitmq; start_congodb; print_env ;;
  stop) stop_congodb; stop_rabbitmq ;;
  status)
    rc=0
    if alive "$RMQ_BASE/rabbit.pid" && port_open "$RMQ_PORT"; then echo "rabbitmq: running"; else echo "rabbitmq: stopped"; rc=1; fi
    if alive "$CONGO_PID" && port_open "$MONGO_PORT"; then echo "congodb: running"; else echo "congodb: stopped"; rc=1; fi
    exit $rc ;;
  env) print_env ;;
  # Fault injection for the fault suite: the broker down and up, the database frozen and thawed.
  rabbitmq-stop) stop_rabbitmq ;;
  rabbitmq-start) start_rabbitmq ;;
  congodb-pause) alive "$CONGO_PID" && kill -STOP "$(cat "$CONGO_PID")" ;;
  congodb-resume) alive "$CONGO_PID" && kill -CONT "$(cat "$CONGO_PID")" ;;
  cluster-start) mkdir -p "$STATE"; install_missing; start_cluster "${2:-3}"; print_cluster_env ;;
  cluster-stop) stop_cluster ;;
  cluster-env) print_cluster_env ;;
  node-stop) node_env "$2"; stop_rabbitmq ;;
  # As a machine lost: no shutdown, the node's queues' leadership moves to the others.
  node-kill) node_env "$2"; rmq_env; alive "$RABBITMQ_PID_FILE" && kill -KILL "$(cat "$RABBITMQ_PID_FILE")"; rm -f "$RABBITMQ_PID_FILE"; echo "$CLUSTER_NODE_PREFIX$2 killed" >&2 ;;
  node-start) node_env "$2"; start_rabbitmq ;;
  *) echo "usage: $0 start|stop|status|env|rabbitmq-stop|rabbitmq-start|congodb-pause|congodb-resume|cluster-start N|cluster-stop|cluster-env|node-stop K|node-kill K|node-start K" >&2; exit 2 ;;
esac
