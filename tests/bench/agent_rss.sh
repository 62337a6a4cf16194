#!/usr/bin/env bash
# Resident memory of pantau-agent probing many sites with content checks on (issue goal:
# under 20 MiB for 200 sites every 30 s). Serves SITES copies of the demo court site from a
# private nginx, points the agent at them (availability every INTERVAL s, content checks every
# INTERVAL s), lets it run for MINUTES and samples VmRSS/VmHWM from /proc every 5 s. The
# collector address is a closed port: events stay in the agent's spool, as during an outage.
#
#   tests/bench/agent_rss.sh                      # 200 sites, 30 s, 3 minutes
#   SITES=50 MINUTES=1 tests/bench/agent_rss.sh
#   BUILD_DIR=build tests/bench/agent_rss.sh
set -euo pipefail

cd "$(dirname "$0")/../.."
REPO=$(pwd)
BUILD_DIR=${BUILD_DIR:-build}
SITES=${SITES:-200}
INTERVAL=${INTERVAL:-30}
MINUTES=${MINUTES:-3}

cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j2 --target pantau-agent >/dev/null

WORK=$(mktemp -d /tmp/pantau-rss.XXXXXX)
chmod 755 "$WORK"
NGINX_PID=""
AGENT_PID=""
cleanup() {
  [[ -n "$AGENT_PID" ]] && kill "$AGENT_PID" 2>/dev/null || true
  [[ -n "$NGINX_PID" ]] && kill "$NGINX_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
DEAD=$(free_port)

mkdir -p "$WORK/www" "$WORK/nginx" "$WORK/state"
for i in $(seq 1 "$SITES"); do cp -R deploy/demo-site "$WORK/www/site-$i"; done
chmod -R a+rX "$WORK/www"
USER_LINE=""
[[ $(id -u) -eq 0 ]] && USER_LINE="user www-data;"
cat >"$WORK/nginx/nginx.conf" <<CONF
$USER_LINE
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/tmp;
  proxy_temp_path $WORK/nginx/tmp;
  fastcgi_temp_path $WORK/nginx/tmp;
  uwsgi_temp_path $WORK/nginx/tmp;
  scgi_temp_path $WORK/nginx/tmp;
  server { listen 127.0.0.1:$PORT; root $WORK/www; }
}
CONF
mkdir -p "$WORK/nginx/tmp"
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
NGINX_PID=$!

{
  echo "agent_id: rss-bench"
  echo "state_dir: $WORK/state"
  echo "data_dir: $REPO/data"
  echo "log_level: error"
  echo "collector:"
  echo "  address: 127.0.0.1:$DEAD"
  echo "  insecure: true"
  echo "sites:"
  for i in $(seq 1 "$SITES"); do
    echo "  - id: site-$i"
    echo "    url: http://127.0.0.1:$PORT/site-$i/"
    echo "    court_type: PN"
    echo "    interval_seconds: $INTERVAL"
    echo "    jitter_seconds: $INTERVAL"
    echo "    content:"
    echo "      interval_seconds: $INTERVAL"
    echo "      jitter_seconds: $INTERVAL"
  done
} >"$WORK/agent.yaml"

"$BUILD_DIR/bin/pantau-agent" --config "$WORK/agent.yaml" 2>"$WORK/agent.log" &
AGENT_PID=$!
echo "pantau-agent pid $AGENT_PID: $SITES sites, availability and content checks every ${INTERVAL} s, ${MINUTES} min"
END=$(( $(date +%s) + MINUTES * 60 ))
MAX=0
while [[ $(date +%s) -lt $END ]]; do
  sleep 5
  kill -0 "$AGENT_PID" 2>/dev/null || { echo "agent exited:"; tail -5 "$WORK/agent.log"; exit 1; }
  RSS=$(awk '/^VmRSS/ {print $2}' "/proc/$AGENT_PID/status")
  (( RSS > MAX )) && MAX=$RSS
  printf '%s  VmRSS %6.1f MiB\n' "$(date -u +%H:%M:%S)" "$(awk -v k="$RSS" 'BEGIN{print k/1024}')"
done
HWM=$(awk '/^VmHWM/ {print $2}' "/proc/$AGENT_PID/status")
ANON=$(awk '/^RssAnon/ {print $2}' "/proc/$AGENT_PID/status")
FILE=$(awk '/^RssFile/ {print $2}' "/proc/$AGENT_PID/status")
PSS=$(awk '/^Pss:/ {print $2}' "/proc/$AGENT_PID/smaps_rollup")
SPOOLED=$(sqlite3 "$WORK/state/spool.db" 'select count(*) from events' 2>/dev/null || echo "?")
mib() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }
echo "peak sampled VmRSS $(mib "$MAX") MiB, VmHWM $(mib "$HWM") MiB, events spooled $SPOOLED"
echo "at the end: RssAnon $(mib "$ANON") MiB (the agent's own memory), RssFile $(mib "$FILE") MiB" \
  "(code of the binary and shared libraries: gRPC, OpenSSL, protobuf, ...), Pss $(mib "$PSS") MiB"
