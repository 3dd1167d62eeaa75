#!/usr/bin/env bash
# Benchmarks/get-before-after.sh OLD_CIFSTEP NEW_CIFSTEP
#
# Free-run `cifstep get` (tracing off) of two builds against one private smbd, alternately: did
# a change to the client core slow the path `get` runs? Prints, per build, the medians of wall
# seconds, MB/s and client CPU-seconds per GiB, then NEW / OLD ratios (the stepper issue allows
# at most 5 % slower).
#
# A benchmark, not a test: nothing fails on a slow run. Run as root (samba-up.sh needs it).
# Build the two binaries first, e.g. `git worktree add /tmp/old <commit> && (cd /tmp/old &&
# swift build -c release --product cifstep)`.
#
# Environment:
#   RUNS=9         runs per build (alternating)
#   SIZE_MB=1024   size of the file read (large enough for /usr/bin/time's 10 ms resolution)
#   GET_ARGS=      extra arguments for both (e.g. "--sign")
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 OLD_CIFSTEP NEW_CIFSTEP" >&2; exit 2; }
old=$1 new=$2
cd "$(dirname "$0")/.."
interop=${INTEROP:-$(pwd)/../shared/interop}
RUNS=${RUNS:-9}
SIZE_MB=${SIZE_MB:-1024}
GET_ARGS=${GET_ARGS:-}
die() { echo "get-before-after: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "run as root (samba-up.sh starts smbd)"
[[ -x $old && -x $new ]] || die "both binaries must be executable"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is not installed (apt-get install time)"

work=$(mktemp -d /tmp/cifstep-getba.XXXXXX)
chmod 755 "$work"
port=$((46000 + RANDOM % 2000))
cleanup() { "$interop/samba-down.sh" "$work/lab" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
BIG_MB=$SIZE_MB "$interop/samba-up.sh" "$work/lab" "$port" >/dev/null 2>"$work/lab.log" \
  || { cat "$work/lab.log" >&2; die "samba-up.sh failed"; }
file=big-${SIZE_MB}m.bin
bytes=$((SIZE_MB * 1024 * 1024))
expected=$(sha256sum "$work/lab/share/$file" | cut -d' ' -f1)

check() {  # check BINARY: the bytes are the file's
  # shellcheck disable=SC2086
  CIFSTEP_PASSWORD=Wonderland-42 "$1" get "//127.0.0.1:$port/share/$file" --user alice -o - $GET_ARGS 2>"$work/err" \
    | sha256sum | cut -d' ' -f1 >"$work/sum"
  [[ $(cat "$work/sum") == "$expected" ]] || { cat "$work/err" >&2; die "$1 returned the wrong bytes"; }
}
run() {  # run BINARY -> "wall user sys"; sink /dev/null (get writes a device directly), so no
  # consumer of the bytes limits the rate
  # shellcheck disable=SC2086
  CIFSTEP_PASSWORD=Wonderland-42 /usr/bin/time -f '%e %U %S' -o "$work/time" \
    "$1" get "//127.0.0.1:$port/share/$file" --user alice -o /dev/null $GET_ARGS 2>"$work/err" \
    || { cat "$work/err" >&2; die "$1 get failed"; }
  cat "$work/time"
}
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: >"$work/old"; : >"$work/new"
check "$old"; check "$new"   # right bytes, and smbd's file warm in the page cache
for _ in $(seq 1 "$RUNS"); do run "$old" >>"$work/old"; run "$new" >>"$work/new"; done

stats() {  # stats FILE -> "wall MBps cpu_per_gib"
  local wall cpu
  wall=$(awk '{ print $1 }' "$1" | median)
  cpu=$(awk -v b="$bytes" '{ print ($2 + $3) / (b / 1073741824) }' "$1" | median)
  echo "$wall $(awk -v b="$bytes" -v w="$wall" 'BEGIN { printf "%.0f", b / w / 1e6 }') $cpu"
}
read -r ow om oc <<<"$(stats "$work/old")"
read -r nw nm nc <<<"$(stats "$work/new")"
echo "machine: $(nproc) cores; file $file; $RUNS runs each, alternating; get $GET_ARGS"
printf '%-6s %9s %8s %10s\n' build "wall s" "MB/s" "CPU-s/GiB"
printf '%-6s %9.3f %8.0f %10.3f\n' old "$ow" "$om" "$oc" new "$nw" "$nm" "$nc"
awk -v ow="$ow" -v nw="$nw" -v oc="$oc" -v nc="$nc" \
  'BEGIN { printf "new/old: wall %.3f, CPU %.3f (≤ 1.05 = within the 5 %% budget)\n", nw / ow, nc / oc }'
