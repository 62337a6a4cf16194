#!/usr/bin/env bash
# Integrity monitor scan cost (docs/BENCHMARKS.md, section "Integrity"): a generated web root of
# FILES mixed files (default 50,000; PHP/HTML/JS/CSS/images, 1 KB..1 MB, ~2 GB), then the first
# baseline scan (SHA-256 of everything, signatures in scripts/images/.htaccess), a rescan with
# nothing changed (stat only) and a rescan after 1% of the files changed. One core (taskset -c 0);
# the files are in the page cache, so the figures are CPU cost per core, not disk speed.
#
#   tests/bench/run_integrity_benchmarks.sh
#   FILES=5000 tests/bench/run_integrity_benchmarks.sh        # quick look
#   BUILD_DIR=/tmp/bench-build WORK=/var/tmp tests/bench/run_integrity_benchmarks.sh
set -euo pipefail

cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build}
FILES=${FILES:-50000}
WORK_PARENT=${WORK:-/tmp}
WORK_DIR=$(mktemp -d "$WORK_PARENT/pantau-integrity-bench.XXXXXX")
trap 'rm -rf "$WORK_DIR"' EXIT

cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j2 --target pantau-integrity-bench >/dev/null
PIN=()
command -v taskset >/dev/null && PIN=(taskset -c 0)
echo "== integrity scan, $FILES files ($(nproc) cores, pinned to one; $(uname -r))"
"${PIN[@]}" "$BUILD_DIR/bin/pantau-integrity-bench" --files "$FILES" --dir "$WORK_DIR"
