#!/usr/bin/env bash
# Builds the benchmark programs and runs them; prints the figures docs/BENCHMARKS.md quotes.
#
#   tests/bench/run_benchmarks.sh                    # default workload, 3 rounds
#   tests/bench/run_benchmarks.sh --rounds 1 --agents 50 --batches 10   # flags go to
#                                                    # pantau-ingest-load (see its --help)
#   BUILD_DIR=/tmp/bench-build tests/bench/run_benchmarks.sh
#
# Starts its own throwaway PostgreSQL (tests/testing/postgres_server.h); as root the server
# runs as the `postgres` user. Needs the Debian packages of README.md, postgresql included.
# Run it on an otherwise idle machine: the load generator, the collector and PostgreSQL share
# the CPUs, and anything else running skews the figures (the program prints the CPU time that
# went elsewhere as "other").
set -euo pipefail

cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build}

cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j2 --target pantau-ingest-load

echo
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
set -x
"$BUILD_DIR/bin/pantau-ingest-load" --rounds 3 "$@"
