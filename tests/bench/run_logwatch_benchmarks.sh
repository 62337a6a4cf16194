#!/usr/bin/env bash
# Logwatch throughput and memory: `pantau-agent scan-log` with the full rule set on a
# realistic 1M-line court-site access log (~1% attacks, tests/bench/court_log_gen.cc), next to
# fail2ban-regex with an equivalent filter and GoAccess on the same file, in the same run; then
# scan-log's peak memory over 1M and 10M lines (it must stay flat). Prints the figures that
# docs/BENCHMARKS.md quotes (section "Logwatch").
#
#   tests/bench/run_logwatch_benchmarks.sh                 # 1M lines, 3 rounds, 10M memory run
#   LINES=200000 ROUNDS=1 BIG_LINES=0 tests/bench/run_logwatch_benchmarks.sh   # quick look
#   BUILD_DIR=/tmp/bench-build tests/bench/run_logwatch_benchmarks.sh
#
# Needs the Debian packages of README.md plus fail2ban and goaccess (`apt-get install -y
# --no-install-recommends fail2ban goaccess`); without them those rows are skipped. Every
# program is pinned to one core (taskset -c 0), so the figures are per core. Run it on an
# otherwise idle machine.
set -euo pipefail

cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build}
LINES=${LINES:-1000000}
ROUNDS=${ROUNDS:-3}
BIG_LINES=${BIG_LINES:-10000000}
WORK=$(mktemp -d /tmp/pantau-logbench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j2 --target pantau-agent pantau-court-log-gen >/dev/null
AGENT="$BUILD_DIR/bin/pantau-agent"
GEN="$BUILD_DIR/bin/pantau-court-log-gen"
PIN=(taskset -c 0)

"$GEN" --lines "$LINES" > "$WORK/access.log"
SIZE_MB=$(( $(stat -c %s "$WORK/access.log") / 1000000 ))
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "input:   $LINES lines, ${SIZE_MB} MB, $(grep -c -E 'UNION|sqlmap|jndi|passwd|\.env|wp-login|xmlrpc|Nikto|WPScan|script|think|eval-stdin|169\.254|wso\.php|\.git/|wp-config|bin/sh' "$WORK/access.log") attack lines"
cat "$WORK/access.log" > /dev/null  # page cache warm for everyone

# seconds and peak RSS (KiB) of a command: "SECONDS KIB"
measure() {
  /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" > "$WORK/out" 2> "$WORK/err" || {
    echo "failed: $*" >&2
    tail -5 "$WORK/err" >&2
    return 1
  }
  cat "$WORK/time"
}

best_rate() {  # best of ROUNDS: prints "lines/s seconds rss_kib"
  local best="" secs rss
  for _ in $(seq "$ROUNDS"); do
    read -r secs rss < <(measure "$@")
    if [[ -z "$best" ]] || awk -v a="$secs" -v b="${best%% *}" 'BEGIN{exit !(a<b)}'; then
      best="$secs $rss"
    fi
  done
  read -r secs rss <<<"$best"
  awk -v n="$LINES" -v s="$secs" -v r="$rss" 'BEGIN{printf "%12.0f lines/s  %6.2f s  %7.1f MiB peak RSS\n", (s>0?n/s:0), s, r/1024}'
}

echo
echo "== scan-log (full rule set, one core) =="
printf '%-34s' "pantau-agent scan-log --json"
best_rate "${PIN[@]}" "$AGENT" scan-log --json --format combined "$WORK/access.log"
tail -1 "$WORK/out"
echo "alerts: $(grep -c '"type":"alert"' "$WORK/out")"
printf '%-34s' "pantau-agent scan-log (summary)"
best_rate "${PIN[@]}" "$AGENT" scan-log --format combined "$WORK/access.log"

if command -v fail2ban-regex >/dev/null; then
  # The same families as far as fail2ban's one-regex-per-line model allows: request attacks,
  # scanner User-Agents and login brute force. fail2ban cuts the date out of the line before
  # matching, hence the empty "[]".
  cat > "$WORK/pantau-equivalent.conf" <<'F2B'
[Definition]
failregex = ^<HOST> \S+ \S+ \[[^\]]*\] "[A-Z]+ [^"]*(?i:union(?:\s|%%20|\+|/\*.*?\*/)+(?:all(?:\s|%%20|\+)+)?select|sleep\(|benchmark\(|%%27|<script|%%3Cscript|onerror=|\.\./|%%2e%%2e|etc/passwd|/\.env|/\.git/|wp-config\.php\.|wso\.php|jndi:|invokefunction|eval-stdin\.php|169\.254\.169\.254|/bin/sh)
            ^<HOST> \S+ \S+ \[[^\]]*\] "[^"]*" \d+ \S+ "[^"]*" "[^"]*(?i:sqlmap|nikto|wpscan|nuclei|masscan|zgrab|jndi:)
            ^<HOST> \S+ \S+ \[[^\]]*\] "POST /(?:wp-login|xmlrpc)\.php
datepattern = ^[^\[]*\[({DATE})
              {^LN-BEG}
F2B
  printf '%-34s' "fail2ban-regex (equivalent filter)"
  ROUNDS_SAVED=$ROUNDS; ROUNDS=1
  best_rate "${PIN[@]}" fail2ban-regex "$WORK/access.log" "$WORK/pantau-equivalent.conf"
  ROUNDS=$ROUNDS_SAVED
  grep -E "^Lines:" "$WORK/out" | head -1 || true
else
  echo "fail2ban-regex: not installed (apt-get install fail2ban) — skipped"
fi

if command -v goaccess >/dev/null; then
  printf '%-34s' "goaccess (COMBINED, JSON report)"
  best_rate "${PIN[@]}" goaccess "$WORK/access.log" --log-format=COMBINED --no-progress \
    --no-global-config -o "$WORK/report.json"
else
  echo "goaccess: not installed (apt-get install goaccess) — skipped"
fi

if [[ "$BIG_LINES" -gt 0 ]]; then
  echo
  echo "== memory over a long file =="
  "$GEN" --lines "$BIG_LINES" --seed 7 > "$WORK/big.log"
  read -r secs rss < <(measure "${PIN[@]}" "$AGENT" scan-log --format combined "$WORK/big.log")
  small_rss=$(measure "${PIN[@]}" "$AGENT" scan-log --format combined "$WORK/access.log" | cut -d' ' -f2)
  awk -v n="$BIG_LINES" -v s="$secs" -v r="$rss" -v m="$LINES" -v q="$small_rss" 'BEGIN{
    printf "%d lines: %.1f MiB peak RSS (%.0f lines/s); %d lines: %.1f MiB\n", n, r/1024, n/s, m, q/1024}'
  rm -f "$WORK/big.log"
fi
