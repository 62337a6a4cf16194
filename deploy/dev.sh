#!/usr/bin/env bash
# pantau developer environment: install, build, run a private demo stack, test.
#
#   ./deploy/dev.sh up       install packages, build, start PostgreSQL + nginx demo site +
#                            collector + agent, wait for the first probe, show status
#   ./deploy/dev.sh test     install packages, build, run every test (ctest)
#   ./deploy/dev.sh help     all subcommands
#
# Works on Debian 12, as root or as a normal user (sudo is used for apt only). Everything
# `up` starts runs on private ports/sockets out of one state directory; see state_dir_choose.
set -Eeuo pipefail
umask 022

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_DIR
readonly STATE_RECORD="${REPO_DIR}/.dev-state-dir"
readonly PG_PORT=55432
readonly NGINX_LISTEN=127.0.0.1:8088
readonly COLLECTOR_LISTEN=127.0.0.1:7443
readonly COLLECTOR_ADDRESS=localhost:7443
readonly COLLECTOR_METRICS=127.0.0.1:9464
readonly AGENT_METRICS=127.0.0.1:9465
readonly MAIL_LISTEN=127.0.0.1:2525
readonly DEMO_SITE_ID=pn-contoh-www
readonly WAIT_FOR_PROBE_SECONDS=60

STATE=""          # chosen state directory (absolute), set by state_dir_choose/state_dir_load
CURRENT_STEP=""   # what we are doing, for the failure message
CURRENT_LOG=""    # the log that explains a failure of CURRENT_STEP, if any
IN_UP=0           # 1 while `up` runs: failures then mention `down`

# ---------------------------------------------------------------------------------------------
# Output and failure handling

say() { printf '==> %s\n' "$*"; }
warn() { printf 'dev.sh: %s\n' "$*" >&2; }

tail_log() {
  local log="$1"
  if [[ -n "${log}" && -s "${log}" ]]; then
    printf -- '--- last lines of %s ---\n' "${log}" >&2
    tail -n 30 "${log}" >&2 || true
    printf -- '--- end of %s ---\n' "${log}" >&2
  fi
}

failed_in() {
  if [[ -n "${CURRENT_STEP}" ]]; then
    printf "FAILED in step '%s'" "${CURRENT_STEP}"
  else
    printf 'FAILED'
  fi
}

down_hint() {
  if ((IN_UP)); then
    warn "whatever already started keeps running; ./deploy/dev.sh down stops it"
  fi
}

# die MESSAGE [LOG...]: report the failed step, show the logs' tails, exit 1.
die() {
  local message="$1"
  shift
  trap - ERR
  warn "$(failed_in): ${message}"
  local log
  for log in "$@"; do tail_log "${log}"; done
  down_hint
  exit 1
}

on_err() {
  local rc=$? line=$1
  trap - ERR
  warn "$(failed_in) (exit ${rc}, dev.sh line ${line})"
  tail_log "${CURRENT_LOG}"
  down_hint
  exit "${rc}"
}
trap 'on_err ${LINENO}' ERR

step() {
  CURRENT_STEP="$1"
  CURRENT_LOG="${2:-}"
  say "${CURRENT_STEP}"
}

is_root() { [[ ${EUID} -eq 0 ]]; }

# ---------------------------------------------------------------------------------------------
# Packages (one list for `up` and `test`)

required_packages() {
  printf '%s\n' \
    build-essential cmake pkg-config g++ \
    libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler \
    libpqxx-dev prometheus-cpp-dev libcurl4-openssl-dev libre2-dev libsqlite3-dev \
    libyaml-cpp-dev libabsl-dev libarchive-dev libssl-dev libc-ares-dev zlib1g-dev \
    libgeoip-dev geoip-database logrotate nftables iproute2 python3-aiosmtpd \
    libgtest-dev libgmock-dev libbenchmark-dev \
    postgresql nginx-core dnsmasq-base openssl curl ca-certificates tar zstd coreutils
}

ensure_packages() {
  step "install missing Debian packages"
  local -a missing=()
  local pkg
  while read -r pkg; do
    if [[ "$(dpkg-query -W -f='${db:Status-Status}' "${pkg}" 2>/dev/null || true)" != installed ]]; then
      missing+=("${pkg}")
    fi
  done < <(required_packages)
  if [[ ${#missing[@]} -eq 0 ]]; then
    say "all $(required_packages | wc -l) packages present"
    return 0
  fi
  local -a sudo=()
  if ! is_root; then
    command -v sudo >/dev/null 2>&1 ||
      die "not root and no sudo; install as root: apt-get install ${missing[*]}"
    sudo=(sudo)
  fi
  say "installing: ${missing[*]}"
  # Package lists younger than 30 minutes (e.g. CI just ran apt-get update) are fresh enough.
  if [[ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -30 -print -quit 2>/dev/null)" ]]; then
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    "${missing[@]}"
}

# ---------------------------------------------------------------------------------------------
# Build

# build_tree DIR CMAKE_ARGS...
# (with BUILD_TARGETS set, only those targets are built)
build_tree() {
  local dir="$1"
  shift
  step "configure ${dir}/ (cmake $*)"
  cmake -S "${REPO_DIR}" -B "${REPO_DIR}/${dir}" "$@"
  local -a targets=()
  if [[ -n "${BUILD_TARGETS:-}" ]]; then
    read -r -a targets <<<"${BUILD_TARGETS}"
    targets=(--target "${targets[@]}")
  fi
  step "build ${dir}/ (cmake --build ${dir} -j$(nproc) ${targets[*]})"
  cmake --build "${REPO_DIR}/${dir}" -j"$(nproc)" "${targets[@]}"
}

build_for_up() {
  # `up` needs only the three programs; `test` builds everything.
  BUILD_TARGETS="pantau-collector pantau-agent pantauctl" \
    build_tree build -DCMAKE_BUILD_TYPE=RelWithDebInfo
  local bin
  for bin in pantau-collector pantau-agent pantauctl; do
    [[ -x "${REPO_DIR}/build/bin/${bin}" ]] ||
      die "the build finished but build/bin/${bin} does not exist"
  done
}

# ---------------------------------------------------------------------------------------------
# State directory
#
# Normally <checkout>/.dev. As root, PostgreSQL runs as `postgres` and nginx workers as
# `nobody`; both must be able to traverse into the state directory. When they cannot reach the
# checkout (e.g. /root is mode 700), or the checkout path has characters that config files
# would need quoted, the state lives in /var/tmp/pantau-dev-<8 hex of sha256(checkout path)>.
# `up` records the choice in <checkout>/.dev-state-dir; the other subcommands read it.

path_is_plain() { [[ "$1" =~ ^[A-Za-z0-9._/@+-]+$ ]]; }

user_can_traverse() {
  local user="$1" dir="$2"
  (cd / && runuser -u "${user}" -- test -x "${dir}") 2>/dev/null
}

state_dir_choose() {
  if [[ -f "${STATE_RECORD}" ]]; then
    STATE="$(<"${STATE_RECORD}")"
    if [[ -d "${STATE}" ]]; then
      say "state directory: ${STATE} (recorded in .dev-state-dir)"
      return 0
    fi
  fi
  STATE="${REPO_DIR}/.dev"
  local reason=""
  if ! path_is_plain "${REPO_DIR}"; then
    reason="the checkout path has spaces or special characters"
  elif is_root; then
    local user
    for user in postgres nobody; do
      if ! user_can_traverse "${user}" "${REPO_DIR}"; then
        reason="user '${user}' cannot traverse into ${REPO_DIR}"
        break
      fi
    done
  fi
  if [[ -n "${reason}" ]]; then
    local hash
    hash="$(printf '%s' "${REPO_DIR}" | sha256sum | cut -c1-8)"
    STATE="/var/tmp/pantau-dev-${hash}"
    say "using state directory ${STATE} instead of ${REPO_DIR}/.dev: ${reason}"
  else
    say "state directory: ${STATE}"
  fi
  if [[ -e "${STATE}" && ! -O "${STATE}" ]]; then
    die "${STATE} exists but is not owned by $(id -un); remove it or fix its owner"
  fi
  mkdir -p "${STATE}"
  chmod 755 "${STATE}"
  printf '%s\n' "${STATE}" >"${STATE_RECORD}"
}

# Sets STATE for status/down/logs/clean; returns 1 when `up` never ran here.
state_dir_load() {
  [[ -f "${STATE_RECORD}" ]] || return 1
  STATE="$(<"${STATE_RECORD}")"
  [[ -n "${STATE}" && -d "${STATE}" ]]
}

# ---------------------------------------------------------------------------------------------
# Processes started from pid files

# pid_running PIDFILE CMDLINE_SUBSTRING: true when the pid file names a live process whose
# command line contains the substring (guards against a reused pid).
pid_running() {
  local pidfile="$1" expect="$2" pid cmdline
  [[ -s "${pidfile}" ]] || return 1
  pid="$(<"${pidfile}")"
  [[ "${pid}" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/${pid}/cmdline" ]] || return 1
  cmdline="$(tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null || true)"
  [[ "${cmdline}" == *"${expect}"* ]]
}

# stop_pidfile NAME PIDFILE CMDLINE_SUBSTRING: SIGTERM, wait up to 20 s, then SIGKILL.
stop_pidfile() {
  local name="$1" pidfile="$2" expect="$3" pid i
  if ! pid_running "${pidfile}" "${expect}"; then
    rm -f "${pidfile}"
    return 0
  fi
  pid="$(<"${pidfile}")"
  say "stopping ${name} (pid ${pid})"
  kill -TERM "${pid}" 2>/dev/null || true
  for ((i = 0; i < 200; i++)); do
    kill -0 "${pid}" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "${pid}" 2>/dev/null; then
    warn "${name} did not stop within 20 s; sending SIGKILL"
    kill -KILL "${pid}" 2>/dev/null || true
    sleep 0.2
  fi
  rm -f "${pidfile}"
}

port_open() {
  local host="$1" port="$2"
  (exec 3<>"/dev/tcp/${host}/${port}") 2>/dev/null
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL (private instance; as root it runs as `postgres`)

as_pg() {
  if is_root; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

pg_bin_dir() {
  local version_file="${STATE}/pg/PG_VERSION" dir
  if [[ -f "${version_file}" ]]; then
    dir="/usr/lib/postgresql/$(<"${version_file}")/bin"
    [[ -x "${dir}/pg_ctl" ]] && { printf '%s\n' "${dir}"; return 0; }
  fi
  dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
  [[ -n "${dir}" && -x "${dir}/pg_ctl" ]] || return 1
  printf '%s\n' "${dir}"
}

pg_running() {
  local bin
  [[ -f "${STATE}/pg/PG_VERSION" ]] || return 1
  bin="$(pg_bin_dir)" || return 1
  as_pg "${bin}/pg_ctl" -D "${STATE}/pg" status >/dev/null 2>&1
}

start_postgres() {
  local log="${STATE}/log/postgres.log" bin
  step "start PostgreSQL on 127.0.0.1:${PG_PORT} and ${STATE}/run" "${log}"
  bin="$(pg_bin_dir)" || die "no PostgreSQL server found under /usr/lib/postgresql/*/bin"
  mkdir -p "${STATE}/run" "${STATE}/log"
  touch "${log}"
  if is_root; then
    chown postgres: "${STATE}/run" "${log}"
  fi
  if [[ ! -f "${STATE}/pg/PG_VERSION" ]]; then
    say "initdb ${STATE}/pg ($("${bin}/postgres" --version))"
    mkdir -p "${STATE}/pg"
    chmod 700 "${STATE}/pg"
    if is_root; then chown postgres: "${STATE}/pg"; fi
    as_pg "${bin}/initdb" -D "${STATE}/pg" -A trust -U pantau -E UTF8 --locale=C.UTF-8 \
      >>"${log}" 2>&1 || die "initdb failed" "${log}"
    printf "\n# pantau dev settings, rewritten by deploy/dev.sh up\ninclude_if_exists 'pantau-dev.conf'\n" |
      as_pg tee -a "${STATE}/pg/postgresql.conf" >/dev/null
  fi
  printf "listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\n" \
    "${PG_PORT}" "${STATE}/run" | as_pg tee "${STATE}/pg/pantau-dev.conf" >/dev/null
  if pg_running; then
    say "PostgreSQL already running"
  else
    as_pg "${bin}/pg_ctl" -D "${STATE}/pg" -l "${log}" -w -t 60 start >/dev/null ||
      die "pg_ctl start failed (is port ${PG_PORT} taken?)" "${log}"
  fi
  local exists
  exists="$("${bin}/psql" -h "${STATE}/run" -p "${PG_PORT}" -U pantau -d postgres -tAX \
    -c "SELECT 1 FROM pg_database WHERE datname = 'pantau'")" ||
    die "cannot connect to PostgreSQL at ${STATE}/run:${PG_PORT}" "${log}"
  if [[ "${exists}" != 1 ]]; then
    "${bin}/createdb" -h "${STATE}/run" -p "${PG_PORT}" -U pantau pantau
    say "created database pantau"
  fi
}

stop_postgres() {
  local bin
  pg_running || return 0
  bin="$(pg_bin_dir)"
  say "stopping PostgreSQL"
  as_pg "${bin}/pg_ctl" -D "${STATE}/pg" -m fast -w -t 60 stop >/dev/null
}

# ---------------------------------------------------------------------------------------------
# TLS (dev CA + server certificate for localhost / 127.0.0.1)

make_tls() {
  local dir="${STATE}/tls"
  step "dev TLS certificates in ${dir}"
  if [[ -s "${dir}/ca.pem" && -s "${dir}/server.pem" && -s "${dir}/server.key" ]]; then
    say "certificates already present"
    return 0
  fi
  local tmp="${STATE}/tls.tmp"
  rm -rf "${tmp}"
  mkdir -p "${tmp}"
  # Each command checked explicitly: errexit does not apply inside `( ... ) || die`.
  (
    umask 077
    openssl req -x509 -new -nodes -newkey rsa:2048 -sha256 -days 3650 \
      -subj "/O=pantau dev/CN=pantau dev CA" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -keyout "${tmp}/ca.key" -out "${tmp}/ca.pem" || exit 1
    openssl req -new -nodes -newkey rsa:2048 -sha256 -subj "/O=pantau dev/CN=localhost" \
      -keyout "${tmp}/server.key" -out "${tmp}/server.csr" || exit 1
    printf '%s\n' "basicConstraints=CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=serverAuth" \
      "subjectAltName=DNS:localhost,IP:127.0.0.1" >"${tmp}/server.ext" || exit 1
    openssl x509 -req -sha256 -days 825 -in "${tmp}/server.csr" \
      -CA "${tmp}/ca.pem" -CAkey "${tmp}/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
      -extfile "${tmp}/server.ext" -out "${tmp}/server.pem" || exit 1
    openssl verify -CAfile "${tmp}/ca.pem" "${tmp}/server.pem" || exit 1
  ) >"${STATE}/log/openssl.log" 2>&1 || die "openssl failed" "${STATE}/log/openssl.log"
  chmod 644 "${tmp}/ca.pem" "${tmp}/server.pem"
  rm -f "${tmp}/server.csr" "${tmp}/server.ext"
  rm -rf "${dir}"
  mv "${tmp}" "${dir}"
  chmod 755 "${dir}"
}

# ---------------------------------------------------------------------------------------------
# Demo court website on a private nginx

write_nginx_conf() {
  local conf="$1"
  cat >"${conf}" <<EOF
# Private nginx for the pantau demo court website; generated by deploy/dev.sh up.
worker_processes 1;
daemon on;
pid ${STATE}/run/nginx.pid;
error_log ${STATE}/log/nginx-error.log warn;

events {
  worker_connections 256;
}

http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  charset utf-8;
  server_tokens off;
  sendfile on;

  access_log ${STATE}/log/nginx-access.log combined;

  client_body_temp_path ${STATE}/nginx/tmp/client_body;
  proxy_temp_path ${STATE}/nginx/tmp/proxy;
  fastcgi_temp_path ${STATE}/nginx/tmp/fastcgi;
  uwsgi_temp_path ${STATE}/nginx/tmp/uwsgi;
  scgi_temp_path ${STATE}/nginx/tmp/scgi;

  server {
    listen ${NGINX_LISTEN};
    server_name localhost;
    root ${STATE}/site;
    index index.html;
    error_page 404 /404.html;
    location / {
      try_files \$uri \$uri/ =404;
    }
  }
}
EOF
}

start_nginx() {
  local log="${STATE}/log/nginx-error.log" conf="${STATE}/nginx/nginx.conf"
  step "demo court website on http://${NGINX_LISTEN}/ (nginx)" "${log}"
  [[ -d "${REPO_DIR}/deploy/demo-site" ]] || die "deploy/demo-site/ is missing"
  # Fresh copy each time (timestamps kept) so edits to deploy/demo-site/ show up.
  rm -rf "${STATE}/site"
  cp -R --preserve=timestamps "${REPO_DIR}/deploy/demo-site" "${STATE}/site"
  chmod -R u+rwX,go+rX,go-w "${STATE}/site"
  mkdir -p "${STATE}/nginx/tmp" "${STATE}/log"
  write_nginx_conf "${conf}"
  if pid_running "${STATE}/run/nginx.pid" "nginx: master"; then
    say "nginx already running"
    return 0
  fi
  nginx -p "${STATE}/nginx/" -c "${conf}" -e "${log}" -t >"${STATE}/log/nginx-check.log" 2>&1 ||
    die "nginx configuration test failed" "${STATE}/log/nginx-check.log" "${log}"
  nginx -p "${STATE}/nginx/" -c "${conf}" -e "${log}" ||
    die "nginx did not start (is ${NGINX_LISTEN} taken?)" "${log}"
  local i
  for ((i = 0; i < 50; i++)); do
    curl -fsS -o /dev/null "http://${NGINX_LISTEN}/" 2>/dev/null && return 0
    sleep 0.1
  done
  die "nginx started but http://${NGINX_LISTEN}/ does not answer" "${log}"
}

stop_nginx() {
  stop_pidfile nginx "${STATE}/run/nginx.pid" "nginx: master"
}

# ---------------------------------------------------------------------------------------------
# Collector and agent

write_configs() {
  step "write ${STATE}/collector.yaml and ${STATE}/agent.yaml"
  mkdir -p "${STATE}/agent"
  cat >"${STATE}/collector.yaml" <<EOF
# pantau-collector dev config; generated by deploy/dev.sh up (edits are overwritten).
listen: ${COLLECTOR_LISTEN}
metrics_listen: ${COLLECTOR_METRICS}
database: "host=${STATE}/run port=${PG_PORT} dbname=pantau user=pantau"
data_dir: ${REPO_DIR}/data
tls:
  cert_file: ${STATE}/tls/server.pem
  key_file: ${STATE}/tls/server.key
incidents:
  sweep_interval_seconds: 2
notify:
  # The dev stack's local mail sink (aiosmtpd on loopback, no TLS): ./deploy/dev.sh mail.
  # A real collector uses its mail relay with tls: starttls.
  smtp:
    url: smtp://${MAIL_LISTEN}
    tls: none
    from: pantau@pn-contoh.test
EOF
  cat >"${STATE}/agent.yaml" <<EOF
# pantau-agent dev config; generated by deploy/dev.sh up (edits are overwritten).
agent_id: demo-agent
court_id: PN-CONTOH
state_dir: ${STATE}/agent
data_dir: ${REPO_DIR}/data
metrics_listen: ${AGENT_METRICS}
collector:
  address: ${COLLECTOR_ADDRESS}
  ca_file: ${STATE}/tls/ca.pem
sites:
  - id: ${DEMO_SITE_ID}
    url: http://${NGINX_LISTEN}/
    interval_seconds: 15
    jitter_seconds: 2
    timeout_seconds: 10
    content:
      interval_seconds: 60
      jitter_seconds: 5
      # The demo site's news is from 2025; a real court would keep the default of 30 days.
      max_content_age_days: 3650
    logs:
      - path: ${STATE}/log/nginx-access.log
        format: combined
      - path: ${STATE}/log/nginx-error.log
        type: error
    # The demo site's files: integrity monitoring watches them, backups copy them.
    web_root: ${STATE}/site
    backup:
      # A real court names a mounted disk here (and may add databases: with mysqldump).
      media: [${STATE}/backups]
      interval_seconds: 21600
      min_free_mb: 16
logwatch:
  # The demo reads the whole log once; a real agent starts at the end of an existing log.
  start_at_end: false
  geoip_file: /usr/share/GeoIP/GeoIP.dat
  geoip_v6_file: /usr/share/GeoIP/GeoIPv6.dat
  active_response:
    enabled: false
EOF
}

# start_daemon NAME ARGS...: run in the background with nohup, log STATE/log/NAME.log,
# pid STATE/run/NAME.pid; keeps an instance that is already running.
start_daemon() {
  local name="$1"
  shift
  local pidfile="${STATE}/run/${name}.pid" log="${STATE}/log/${name}.log"
  step "start ${name}" "${log}"
  if pid_running "${pidfile}" "${name}"; then
    say "${name} already running (pid $(<"${pidfile}"))"
    return 0
  fi
  printf '\n=== %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>"${log}"
  nohup "$@" >>"${log}" 2>&1 </dev/null &
  printf '%s\n' "$!" >"${pidfile}"
  sleep 1
  pid_running "${pidfile}" "${name}" || die "${name} exited right after starting" "${log}"
}

start_collector() {
  start_daemon pantau-collector "${REPO_DIR}/build/bin/pantau-collector" \
    --config "${STATE}/collector.yaml"
  local i
  for ((i = 0; i < 300; i++)); do
    port_open 127.0.0.1 "${COLLECTOR_LISTEN##*:}" && return 0
    pid_running "${STATE}/run/pantau-collector.pid" pantau-collector ||
      die "pantau-collector exited" "${STATE}/log/pantau-collector.log"
    sleep 0.1
  done
  die "pantau-collector is not listening on ${COLLECTOR_LISTEN} after 30 s" \
    "${STATE}/log/pantau-collector.log"
}

# Mail for the demo people lands in the Maildir STATE/mail/inbox (./deploy/dev.sh mail shows it).
start_mail_sink() {
  mkdir -p "${STATE}/mail"
  start_daemon aiosmtpd /usr/bin/python3 -m aiosmtpd -n -l "${MAIL_LISTEN}" \
    -c aiosmtpd.handlers.Mailbox "${STATE}/mail/inbox"
}

# An admin token for the dev operator (STATE/admin.token, mode 0600), made once, and the demo
# organisation (deploy/demo-org.yaml): courts, people, the SOP's escalation policy.
setup_operator() {
  step "operator token and demo organisation" "${STATE}/log/pantau-collector.log"
  if [[ ! -s "${STATE}/admin.token" ]]; then
    "${REPO_DIR}/build/bin/pantau-collector" bootstrap-admin --config "${STATE}/collector.yaml" \
      --person admin --name "Admin demo" --token-file "${STATE}/admin.token" \
      >>"${STATE}/log/pantau-collector.log" 2>&1 ||
      die "could not create the admin token" "${STATE}/log/pantau-collector.log"
  fi
  pantauctl org apply "${REPO_DIR}/deploy/demo-org.yaml" >/dev/null ||
    die "pantauctl org apply deploy/demo-org.yaml failed"
}

start_agent() {
  start_daemon pantau-agent "${REPO_DIR}/build/bin/pantau-agent" --config "${STATE}/agent.yaml"
}

pantauctl() {
  "${REPO_DIR}/build/bin/pantauctl" --collector "${COLLECTOR_ADDRESS}" \
    --ca-file "${STATE}/tls/ca.pem" --token-file "${STATE}/admin.token" "$@"
}

wait_for_first_probe() {
  step "wait (up to ${WAIT_FOR_PROBE_SECONDS} s) for the first probe of ${DEMO_SITE_ID}" \
    "${STATE}/log/pantau-agent.log"
  local deadline=$((SECONDS + WAIT_FOR_PROBE_SECONDS)) out=""
  while ((SECONDS < deadline)); do
    if out="$(pantauctl --timeout 5 status --json 2>&1)" &&
      [[ "${out}" =~ \"site\"[[:space:]]*:[[:space:]]*\"${DEMO_SITE_ID}\" ]]; then
      return 0
    fi
    local name
    for name in pantau-collector pantau-agent; do
      pid_running "${STATE}/run/${name}.pid" "${name}" ||
        die "${name} exited" "${STATE}/log/${name}.log"
    done
    sleep 2
  done
  warn "last pantauctl answer: ${out}"
  die "no probe of ${DEMO_SITE_ID} reached the collector within ${WAIT_FOR_PROBE_SECONDS} s" \
    "${STATE}/log/pantau-agent.log" "${STATE}/log/pantau-collector.log"
}

# ---------------------------------------------------------------------------------------------
# Subcommands

cmd_up() {
  ensure_packages
  build_for_up
  step "choose the state directory"
  state_dir_choose
  IN_UP=1
  mkdir -p "${STATE}/log" "${STATE}/run" "${STATE}/agent" "${STATE}/backups"
  start_postgres
  make_tls
  start_nginx
  write_configs
  start_mail_sink
  start_collector
  setup_operator
  start_agent
  wait_for_first_probe
  CURRENT_STEP="show status"
  CURRENT_LOG=""
  echo
  pantauctl status
  wait_for_visitors
  wait_for_backup
  cat <<EOF

pantau dev stack is running (state in ${STATE}):
  demo court website   http://${NGINX_LISTEN}/
  collector gRPC       ${COLLECTOR_ADDRESS} (TLS, CA ${STATE}/tls/ca.pem)
  collector metrics    http://${COLLECTOR_METRICS}/metrics
  agent metrics        http://${AGENT_METRICS}/metrics
  PostgreSQL           psql -h ${STATE}/run -p ${PG_PORT} -U pantau pantau
  logs                 ${STATE}/log/   (./deploy/dev.sh logs)
  status               ./deploy/dev.sh status [--json]
  visitors, alerts     ./deploy/dev.sh visitors | alerts   (the demo site's access log)
  incidents            ./deploy/dev.sh incidents [show ID | ack ID ...]   (pantauctl incidents)
  backups              ./deploy/dev.sh backups   (archives in ${STATE}/backups/)
  web-root integrity   ./deploy/dev.sh integrity [status | accept PATH ...]
  pages sent           ./deploy/dev.sh mail   (the demo people's mailbox, ${STATE}/mail/)
  operator token       ${STATE}/admin.token   (pantauctl --token-file ...)
  stop                 ./deploy/dev.sh down     (keeps data; "clean" also deletes it)
EOF
}

# The agent reads the demo site's access log and commits its statistics every 5 s: show
# them once they are there (a few seconds after the first probe).
wait_for_visitors() {
  CURRENT_STEP="show visitor statistics"
  local i out=""
  for ((i = 0; i < 100; i++)); do
    if out="$(pantauctl --timeout 5 visitors --site "${DEMO_SITE_ID}" --minutes 30 2>&1)" &&
      [[ "${out}" == *TOTAL* ]]; then
      echo
      printf '%s\n' "${out}"
      return 0
    fi
    sleep 0.2
  done
  warn "no visitor statistics from the demo site's access log yet: ${out}"
}

# The agent backs the demo site up as soon as it starts (no backup yet): show the collector's
# view of it once the verified summary has arrived.
wait_for_backup() {
  CURRENT_STEP="show backups"
  local i out=""
  for ((i = 0; i < 150; i++)); do
    if out="$(pantauctl --timeout 5 backups --site "${DEMO_SITE_ID}" 2>&1)" &&
      [[ "${out}" == *"${DEMO_SITE_ID}-"* ]]; then
      echo
      printf '%s
' "${out}"
      return 0
    fi
    sleep 0.2
  done
  warn "no backup of the demo site reached the collector yet: ${out}"
}

# integrity ARGS: pantau-agent integrity against the dev agent's state (default: status).
cmd_integrity() {
  state_dir_load || die "no dev stack here; start one with ./deploy/dev.sh up"
  [[ -x "${REPO_DIR}/build/bin/pantau-agent" ]] || die "build/bin/pantau-agent is missing; run ./deploy/dev.sh up"
  CURRENT_STEP="integrity"
  (($# > 0)) || set -- status
  local rc=0
  "${REPO_DIR}/build/bin/pantau-agent" integrity "$@" --config "${STATE}/agent.yaml" || rc=$?
  trap - ERR
  exit "${rc}"
}

# visitors / alerts: pantauctl against the dev collector, for the demo site by default.
cmd_ctl() {
  local what="$1"
  shift
  state_dir_load || die "no dev stack here; start one with ./deploy/dev.sh up"
  [[ -x "${REPO_DIR}/build/bin/pantauctl" ]] || die "build/bin/pantauctl is missing; run ./deploy/dev.sh up"
  CURRENT_STEP="${what}"
  local rc=0
  if [[ "${what}" == visitors && " $* " != *" --site "* ]]; then
    set -- --site "${DEMO_SITE_ID}" "$@"
  fi
  pantauctl "${what}" "$@" || rc=$?
  trap - ERR
  exit "${rc}"
}

cmd_status() {
  state_dir_load || die "no dev stack here; start one with ./deploy/dev.sh up"
  [[ -x "${REPO_DIR}/build/bin/pantauctl" ]] || die "build/bin/pantauctl is missing; run ./deploy/dev.sh up"
  CURRENT_STEP="status"
  local rc=0
  pantauctl status "$@" || rc=$?
  trap - ERR
  exit "${rc}"
}

cmd_down() {
  if ! state_dir_load; then
    say "nothing to stop (no .dev-state-dir; up never ran here)"
    return 0
  fi
  if ! is_root && [[ ! -O "${STATE}" ]]; then
    die "${STATE} belongs to another user; run as root (sudo ./deploy/dev.sh down)"
  fi
  step "stop the dev stack in ${STATE}"
  stop_pidfile pantau-agent "${STATE}/run/pantau-agent.pid" pantau-agent
  stop_pidfile pantau-collector "${STATE}/run/pantau-collector.pid" pantau-collector
  stop_pidfile aiosmtpd "${STATE}/run/aiosmtpd.pid" aiosmtpd
  stop_nginx
  stop_postgres
  say "stopped; data kept in ${STATE}"
}

cmd_clean() {
  cmd_down
  if state_dir_load; then
    case "${STATE}" in
      "${REPO_DIR}/.dev" | /var/tmp/pantau-dev-*) ;;
      *) die "refusing to delete unexpected state directory '${STATE}' from .dev-state-dir" ;;
    esac
    say "removing ${STATE}"
    rm -rf "${STATE}"
  fi
  rm -f "${STATE_RECORD}"
}

cmd_test() {
  ensure_packages
  local dir
  if [[ "${PANTAU_SANITIZE:-0}" == 1 ]]; then
    dir=build-asan
    export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
    export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=${REPO_DIR}/tests/sanitizers/lsan.supp:print_suppressions=0}"
    build_tree "${dir}" -DPANTAU_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
  else
    dir=build
    build_tree "${dir}" -DCMAKE_BUILD_TYPE=RelWithDebInfo
  fi
  step "ctest --test-dir ${dir} --output-on-failure -j2 $*"
  local rc=0
  ctest --test-dir "${REPO_DIR}/${dir}" --output-on-failure -j2 "$@" || rc=$?
  if ((rc != 0)); then
    warn "FAILED: tests in ${dir}/ (ctest exit ${rc})"
    trap - ERR
    exit "${rc}"
  fi
  say "all tests passed in ${dir}/"
}

cmd_logs() {
  state_dir_load || die "no dev stack here; start one with ./deploy/dev.sh up"
  local -a logs=()
  local log
  for log in "${STATE}"/log/*.log; do
    case "${log##*/}" in
      openssl.log | nginx-check.log) continue ;;  # one-off setup output, not services
    esac
    if [[ -f "${log}" ]]; then logs+=("${log}"); fi
  done
  [[ ${#logs[@]} -gt 0 ]] || { say "no logs in ${STATE}/log"; return 0; }
  if [[ "${1:-}" == -f ]]; then
    exec tail -n 20 -F "${logs[@]}"
  fi
  for log in "${logs[@]}"; do
    printf '\n===== %s =====\n' "${log}"
    tail -n 20 "${log}"
  done
}

cmd_mail() {
  state_dir_load || die "no dev stack here; start one with ./deploy/dev.sh up"
  local maildir="${STATE}/mail/inbox"
  if [[ -z "$(ls -A "${maildir}/new" "${maildir}/cur" 2>/dev/null)" ]]; then
    say "no mail yet in ${maildir}"
    return 0
  fi
  /usr/bin/python3 - "${maildir}" <<'PY'
import mailbox, sys
from email.header import decode_header, make_header
from email.utils import parsedate_to_datetime
box = mailbox.Maildir(sys.argv[1], create=False)
for m in sorted(box, key=lambda m: parsedate_to_datetime(m.get("Date"))):
    subject = str(make_header(decode_header(m.get("Subject", ""))))
    print(f"=== {m.get('Date', '')}  to {m.get('To', '')}\n    {subject}")
    body = m.get_payload(decode=True) or b""
    print("    " + body.decode(m.get_content_charset() or "utf-8", "replace").strip().replace("\n", "\n    ") + "\n")
PY
}

usage() {
  cat <<'EOF'
usage: ./deploy/dev.sh COMMAND

  up              install missing Debian packages, build (build/), start a private
                  PostgreSQL (127.0.0.1:55432), the demo court website on nginx
                  (http://127.0.0.1:8088/), pantau-collector (localhost:7443, TLS) and
                  pantau-agent; wait for the first probe and show the status
  status [--json] pantauctl status against the dev collector
  visitors [ARGS] pantauctl visitors (default --site pn-contoh-www): requests per minute
  alerts [ARGS]   pantauctl alerts: suspicious activity found in the web-server logs
  incidents [ARGS] pantauctl incidents (list, show ID, ack ID, note, handoff, resolve)
  backups [ARGS]  pantauctl backups: the backups the agent made of the demo site
  integrity [ARGS] pantau-agent integrity (status, scan, accept PATH, maintenance ...)
  mail            the pages the demo people received (local mail sink)
  logs [-f]       last lines of every log (-f: follow)
  down            stop what `up` started; keep the data
  clean           down, then delete the state directory
  test [ARGS]     install missing packages, build build/, run ctest (ARGS go to ctest);
                  with PANTAU_SANITIZE=1: build-asan/ with ASan+UBSan (Debug)
  help            this text

State lives in <checkout>/.dev, or in /var/tmp/pantau-dev-<hash> when running as root
and the checkout is not reachable by the postgres/nobody users; .dev-state-dir records which.
EOF
}

main() {
  local cmd="${1:-help}"
  [[ $# -gt 0 ]] && shift
  case "${cmd}" in
    up) cmd_up "$@" ;;
    status) cmd_status "$@" ;;
    visitors | alerts | incidents | backups) cmd_ctl "${cmd}" "$@" ;;
    integrity) cmd_integrity "$@" ;;
    mail) cmd_mail "$@" ;;
    down | stop) cmd_down "$@" ;;
    clean) cmd_clean "$@" ;;
    test) cmd_test "$@" ;;
    logs) cmd_logs "$@" ;;
    help | -h | --help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

# Sourcing the file (for debugging single steps) defines the functions without running main.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
