#!/usr/bin/env bash
# Builds and runs pantau-incident-load: the escalation sweep over 10,000 open incidents and
# the probe-confirms-down → SMTP-accepted latency (docs/BENCHMARKS.md, "Incidents").
#
#   tests/bench/run_incident_benchmarks.sh [--incidents N] [--pages N]
#
# Starts its own PostgreSQL and aiosmtpd (python3-aiosmtpd); run it on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j2 --target pantau-incident-load
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
set -x
"$BUILD_DIR/bin/pantau-incident-load" "$@"
