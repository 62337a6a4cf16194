#!/bin/sh
# Backup throughput: pantau's .tar.zst writer against `tar -I 'zstd -3'` on the same ~2 GB web
# root, and the cost of an incremental run after 1% of the files changed.
#
#   tests/bench/run_backup_benchmarks.sh [BUILD_DIR]      (default: build)
#
# Environment: REPS (timed repetitions of each run, default 3; the fastest counts, as the
# machine may be shared), BENCH_DIR (default: a new directory under /var/tmp, removed afterwards; it needs
# ~5 GB free), BENCH_GB (size of the web root, default 2), KEEP=1 keeps the directory.
# Uses BUILD_DIR/bin/pantau-agent when it exists, else the test-only
# BUILD_DIR/bin/pantau-backup-tool (same RunBackupCommand). Needs GNU tar, zstd and python3.
# The page cache is warmed before each timed run (nothing is dropped: this is a shared machine),
# so the figures compare CPU cost, not disk speed.
set -eu

BUILD=${1:-build}
BENCH_GB=${BENCH_GB:-2}
REPS=${REPS:-3}
if [ -x "$BUILD/bin/pantau-agent" ]; then
  AGENT="$BUILD/bin/pantau-agent backup"
else
  AGENT="$BUILD/bin/pantau-backup-tool"
fi
if [ -z "${BENCH_DIR:-}" ]; then
  BENCH_DIR=$(mktemp -d /var/tmp/pantau-backup-bench.XXXXXX)
  [ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$BENCH_DIR"' EXIT
fi
ROOT="$BENCH_DIR/www"
mkdir -p "$BENCH_DIR/media" "$BENCH_DIR/state" "$BENCH_DIR/tar"

mbps() { python3 -c "import sys; print('%.1f' % ($1 / 1e6 / ($2)))"; }
# timed OUT_FILE CMD...: runs CMD (stdout to OUT_FILE), prints "WALL_S CPU_S" (CPU = user+sys
# of CMD and the children it waited for). The machine may be shared: wall time includes waiting
# for a core, CPU time does not.
timed() {
  python3 -c '
import resource, subprocess, sys, time
out = open(sys.argv[1], "w")
t0 = time.monotonic()
subprocess.run(sys.argv[2:], stdout=out, check=True)
wall = time.monotonic() - t0
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f %.3f" % (wall, r.ru_utime + r.ru_stime))
' "$@"
}
# Warm the page cache and flush earlier dirty data (the previous archive), so one run's
# write-back is not charged to the next run's fsync.
warm() { find "$ROOT" -type f -print0 | xargs -0 cat > /dev/null; sync; }
# best OUT_FILE CMD...: runs `timed` REPS times (page cache warmed, dirty data flushed before
# each), prints the fastest "WALL_S CPU_S".
best() {
  _best=""
  _i=0
  while [ $_i -lt "$REPS" ]; do
    warm
    _r=$(timed "$@")
    if [ -z "$_best" ] || python3 -c "import sys; sys.exit(0 if ${_r%% *} < ${_best%% *} else 1)"; then
      _best=$_r
    fi
    _i=$((_i + 1))
  done
  echo "$_best"
}

if [ ! -d "$ROOT" ]; then
  echo "generating a ~${BENCH_GB} GB web root in $ROOT ..."
  python3 - "$ROOT" "$BENCH_GB" <<'EOF'
import os, random, sys
root, gb = sys.argv[1], float(sys.argv[2])
rnd = random.Random(42)
scale = gb / 2.0
# Text that looks like a CMS: a pool of code and markup fragments, files built from them.
words = ("function return array echo include require class public private static "
         "div span class id href src title meta script style table tr td form input "
         "putusan perkara pengadilan negeri jadwal sidang informasi layanan publik "
         "color margin padding display flex border width height font-size").split()
def fragment():
    lines = []
    for _ in range(rnd.randint(10, 60)):
        indent = "  " * rnd.randint(0, 4)
        lines.append(indent + " ".join(rnd.choice(words) for _ in range(rnd.randint(3, 12))) +
                     rnd.choice([";", " {", " }", ">", "</div>", ""]))
    return "\n".join(lines) + "\n"
pool = [fragment().encode() for _ in range(3000)]
exts = ["php"] * 5 + ["html"] * 2 + ["css", "js"]
total = 0
n_text = int(40000 * scale)
for i in range(n_text):
    d = os.path.join(root, "site", "module%03d" % (i % 300), "sub%02d" % (i % 17))
    os.makedirs(d, exist_ok=True)
    body = b"".join(rnd.choice(pool) for _ in range(rnd.randint(1, 8)))
    data = ("/* file %d */\n" % i).encode() + body
    with open(os.path.join(d, "f%05d.%s" % (i, rnd.choice(exts))), "wb") as f:
        f.write(data)
    total += len(data)
# JPEG-like incompressible images.
n_img = int(1500 * scale)
img = os.path.join(root, "images", "uploads")
for i in range(n_img):
    d = os.path.join(img, "%04d" % (i // 100))
    os.makedirs(d, exist_ok=True)
    size = rnd.randint(100_000, 900_000)
    with open(os.path.join(d, "photo%05d.jpg" % i), "wb") as f:
        f.write(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(size))
    total += size
# A few large files: a SQL export and a log (compressible), two archives (not).
big = os.path.join(root, "files")
os.makedirs(big, exist_ok=True)
for name, size, text in [("export.sql", 250, True), ("access.log", 250, True),
                         ("dokumen.zip", 150, False), ("video.mp4", 150, False)]:
    size = int(size * scale) << 20
    with open(os.path.join(big, name), "wb") as f:
        written = 0
        while written < size:
            chunk = b"".join(rnd.choice(pool) for _ in range(64)) if text else os.urandom(1 << 20)
            f.write(chunk)
            written += len(chunk)
    total += written
print("generated %.2f GB in %d text files, %d images, 4 large files" % (total / 1e9, n_text, n_img))
EOF
fi

BYTES=$(du -sb "$ROOT" | cut -f1)
FILES=$(find "$ROOT" -type f | wc -l)
echo "web root: $ROOT, $FILES files, $BYTES bytes"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GB RAM"

write_config() {  # $1 = verify true|false
  cat > "$BENCH_DIR/agent.yaml" <<EOF
agent_id: bench
state_dir: $BENCH_DIR/state
collector:
  address: localhost:1
sites:
  - id: bench
    url: http://localhost/
    web_root: $ROOT
    backup:
      media: [$BENCH_DIR/media]
      compression_level: 3
      full_interval_hours: 8760
      keep_last: 100
      verify: $1
      min_free_mb: 0
EOF
}

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

# (a) GNU tar + zstd -3, (a') the same with the archive fsynced at the end (`sync FILE`, as
# pantau does), (b) pantau full with verify off. The three are interleaved, REPS rounds, so a
# change in the machine's load hits them alike; the fastest of each counts.
write_config false
keep_min() {  # keep_min VAR "WALL CPU"
  eval "_cur=\${$1:-}"
  if [ -z "$_cur" ] || python3 -c "import sys; sys.exit(0 if ${2%% *} < ${_cur%% *} else 1)"; then
    eval "$1=\"$2\""
  fi
}
A="" AS="" B=""
_round=0
while [ $_round -lt "$REPS" ]; do
  warm
  keep_min A "$(timed /dev/null tar -I 'zstd -3' -cf "$BENCH_DIR/tar/out.tar.zst" -C "$ROOT" .)"
  TAR_SIZE=$(stat -c %s "$BENCH_DIR/tar/out.tar.zst")
  rm -f "$BENCH_DIR/tar/out.tar.zst"
  warm
  keep_min AS "$(timed /dev/null sh -c 'tar -I "zstd -3" -cf "$1/tar/out.tar.zst" -C "$2" . && sync "$1/tar/out.tar.zst"' sh "$BENCH_DIR" "$ROOT")"
  rm -f "$BENCH_DIR/tar/out.tar.zst"
  warm
  keep_min B "$(timed "$BENCH_DIR/full.out" $AGENT run --full --config "$BENCH_DIR/agent.yaml")"
  _round=$((_round + 1))
done
set -- $A; TAR_S=$1 TAR_CPU=$2
set -- $AS; TARS_S=$1 TARS_CPU=$2
set -- $B; FULL_S=$1 FULL_CPU=$2
FULL_SIZE=$(stat -c %s "$(ls -t "$BENCH_DIR"/media/*.tar.zst | head -1)")

# pantau full with verify on.
write_config true
set -- $(best "$BENCH_DIR/full_verify.out" $AGENT run --full --config "$BENCH_DIR/agent.yaml")
FULLV_S=$1 FULLV_CPU=$2

# (c) change 1% of the files (a random 1% of those under 1 MiB, as a CMS update or an upload
# would; the four large files stay as they are), incremental run (verify off, like (b)).
write_config false
python3 - "$ROOT" <<'EOF'
import os, random, sys
paths = []
for d, _, names in os.walk(sys.argv[1]):
    paths += [os.path.join(d, n) for n in names]
paths.sort()
small = [p for p in paths if os.path.getsize(p) < (1 << 20)]
chosen = random.Random(7).sample(small, len(paths) // 100)
for p in chosen:
    with open(p, "ab") as f:
        f.write(b"\n/* changed */\n")
print("changed %d of %d files (%.1f MB)" % (len(chosen), len(paths),
      sum(os.path.getsize(p) for p in chosen) / 1e6))
EOF
# Every repetition references the same full archive, so each copies the same changed files.
set -- $(best "$BENCH_DIR/inc.out" $AGENT run --config "$BENCH_DIR/agent.yaml")
INC_S=$1 INC_CPU=$2

echo
echo "load average before the runs: $LOAD; fastest of $REPS runs each"
echo "(a) tar -I 'zstd -3':          wall $(printf %.2f "$TAR_S") s  $(mbps "$BYTES" "$TAR_S") MB/s  cpu $(printf %.2f "$TAR_CPU") s  archive $TAR_SIZE bytes"
echo "(a') tar + zstd, then sync:     wall $(printf %.2f "$TARS_S") s  $(mbps "$BYTES" "$TARS_S") MB/s  cpu $(printf %.2f "$TARS_CPU") s"
echo "(b) pantau full, verify off:   wall $(printf %.2f "$FULL_S") s  $(mbps "$BYTES" "$FULL_S") MB/s  cpu $(printf %.2f "$FULL_CPU") s  archive $FULL_SIZE bytes"
echo "    pantau full, verify on:    wall $(printf %.2f "$FULLV_S") s  $(mbps "$BYTES" "$FULLV_S") MB/s  cpu $(printf %.2f "$FULLV_CPU") s"
echo "(c) pantau incremental (1%):   wall $(printf %.2f "$INC_S") s  cpu $(printf %.2f "$INC_CPU") s"
echo "    $(cat "$BENCH_DIR/inc.out")"
echo
echo "throughput ratio pantau/tar (verify off, wall): $(python3 -c "print('%.2f' % ($TAR_S / $FULL_S))")  (goal >= 0.90)"
echo "throughput ratio vs tar + sync (wall):          $(python3 -c "print('%.2f' % ($TARS_S / $FULL_S))")"
echo "incremental / full (wall):                      $(python3 -c "print('%.1f%%' % (100 * $INC_S / $FULL_S))")  (goal <= 10%)"
echo "incremental / full (cpu):                       $(python3 -c "print('%.1f%%' % (100 * $INC_CPU / $FULL_CPU))")"
