#!/usr/bin/env bash
# Builds pantau-probe-load and runs it: probes per CPU-second of our HttpEngine against
# Prometheus blackbox_exporter, http and https; prints the figures docs/BENCHMARKS.md quotes
# (section "Probes: HttpEngine vs blackbox_exporter").
#
#   tests/bench/run_probe_benchmarks.sh                       # 3 rounds, default workload
#   tests/bench/run_probe_benchmarks.sh --rounds 1 --https-probes 2000   # flags go to
#                                                             # pantau-probe-load (see --help)
#   BUILD_DIR=/tmp/bench-build tests/bench/run_probe_benchmarks.sh
#
# Needs the Debian packages of README.md plus nginx-core, openssl and
# prometheus-blackbox-exporter (`apt-get install --no-install-recommends
# prometheus-blackbox-exporter`). Starts its own nginx and blackbox_exporter on 127.0.0.1.
# Run it on an otherwise idle machine: the program prints the CPU that went to other
# processes ("other"); more than a few tenths of a second means the run was disturbed.
set -euo pipefail

cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build}

if [[ ! -x /usr/bin/prometheus-blackbox-exporter ]]; then
  echo "missing /usr/bin/prometheus-blackbox-exporter:" >&2
  echo "  apt-get install -y --no-install-recommends prometheus-blackbox-exporter" >&2
  exit 1
fi

cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j2 --target pantau-probe-load

echo
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
set -x
"$BUILD_DIR/bin/pantau-probe-load" --rounds 3 "$@"
