#!/usr/bin/env bash
# Benchmarks/readahead-vs-smbclient.sh
#
# cifstep get (page cache, 3.8 readahead, asynchronous READ_ANDX) against smbclient's get on
# the same private smbd and the same file, alternately, plus smbclient reading from
# `cifstep serve` against smbclient reading from smbd. Prints, per scenario and client, the
# median over the runs of: throughput of the whole process and of the transfer alone (each
# client's own figure), client CPU seconds per GiB, the server's CPU use while the client ran,
# and the client's peak RSS; then the ratios against the goals of issues 4 and 14, and the
# start-up times (Benchmarks/startup.py).
#
# A benchmark, not a test: nothing fails on a slow run. Run it as root (samba-up.sh needs it)
# on an otherwise idle machine; the figures move with anything else running.
#
# Environment:
#   RUNS=7            runs per client and scenario (alternating, at least 1)
#   SIZE_MB=256       size of the file read (big-<SIZE_MB>m.bin on the lab share)
#   SCENARIOS="unsigned signed serve serve-signed"
#   SIGNED_SMBD=auto  auto: signed runs ask for signing on the same smbd (server signing = auto);
#                     mandatory: they go to a second smbd with server signing = mandatory
#   CIFSTEP_ARGS=     extra arguments for `cifstep get` (e.g. "--rsize 61440 --readahead 4096")
#   BEFORE_BIN=       another cifstep binary (e.g. built from an older commit) run as a third
#                     client in the unsigned and signed scenarios, alternating with the others
#   CIFSTEP_BIN=      the cifstep binary to measure (default: built by scripts/build-release)
#   SKIP_BUILD=1      use the existing build of scripts/build-release
#   STARTUP=0         skip the start-up measurement
#   KEEP=1            leave the work directory (logs) behind
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
interop=${INTEROP:-$root/../shared/interop}
RUNS=${RUNS:-7}
SIZE_MB=${SIZE_MB:-256}
SCENARIOS=${SCENARIOS:-"unsigned signed serve serve-signed"}
SIGNED_SMBD=${SIGNED_SMBD:-auto}
CIFSTEP_ARGS=${CIFSTEP_ARGS:-}
USER_NAME=alice
PASSWORD=Wonderland-42
TICKS=$(getconf CLK_TCK)

die() { echo "readahead-vs-smbclient: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "run as root (samba-up.sh starts smbd)"
[[ -x $interop/samba-up.sh ]] || die "$interop/samba-up.sh not found (set INTEROP)"
command -v smbclient >/dev/null || die "smbclient is not installed"
(( RUNS >= 1 )) || die "RUNS must be at least 1"

# The binary a person installs (scripts/build-release: statically linked Swift runtime), unless
# CIFSTEP_BIN names another (e.g. $(swift build -c release --show-bin-path)/cifstep).
if [[ -n ${CIFSTEP_BIN:-} ]]; then
  cifstep=$CIFSTEP_BIN
elif [[ ${SKIP_BUILD:-0} != 1 ]]; then
  echo "building cifstep (scripts/build-release)…" >&2
  cifstep=$("$root/scripts/build-release")
else
  cifstep=$(swift build -c release --static-swift-stdlib --scratch-path .build/static --show-bin-path)/cifstep
fi
[[ -x $cifstep ]] || die "$cifstep not built"

work=$(mktemp -d /tmp/cifstep-bench.XXXXXX)
chmod 755 "$work"
labs=()
serve_pid=""
cleanup() {
  if [[ -n $serve_pid ]]; then kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; fi
  for d in "${labs[@]}"; do "$interop/samba-down.sh" "$d" >/dev/null 2>&1 || true; done
  if [[ ${KEEP:-0} == 1 ]]; then echo "work directory kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() {  # the first port from $1 up that nothing answers on
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}

start_smbd() {  # start_smbd NAME SIGNING -> sets lab_dir, lab_port, lab_pid
  lab_dir=$work/$1
  lab_port=$(free_port $((45000 + RANDOM % 2000)))
  SIGNING=$2 BIG_MB=$SIZE_MB "$interop/samba-up.sh" "$lab_dir" "$lab_port" >"$work/$1.pid" 2>"$work/$1.log" \
    || { cat "$work/$1.log" >&2; die "samba-up.sh failed"; }
  labs+=("$lab_dir")
  lab_pid=$(tail -n 1 "$work/$1.pid")
}

file=big-${SIZE_MB}m.bin
bytes=$((SIZE_MB * 1024 * 1024))

# --- CPU accounting -------------------------------------------------------------------------
# timed OUT CMD…: runs CMD and writes "wall user sys maxrss_kb" to OUT from its rusage, to the
# microsecond (/usr/bin/time rounds to 10 ms, a tenth of a 256 MiB get).
cat >"$work/timed.py" <<'PY'
import os, sys, time
out, command = sys.argv[1], sys.argv[2:]
start = time.monotonic()
pid = os.fork()
if pid == 0:
    os.execvp(command[0], command)
_, status, usage = os.wait4(pid, 0)
wall = time.monotonic() - start
with open(out, "w") as f:
    f.write(f"{wall:.6f} {usage.ru_utime:.6f} {usage.ru_stime:.6f} {usage.ru_maxrss}\n")
sys.exit(os.waitstatus_to_exitcode(status) & 0xFF)
PY
timed() { python3 "$work/timed.py" "$@" </dev/null; }

# utime + stime (own) and cutime + cstime (reaped children) of a process, in clock ticks.
proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
child_ticks() { awk '{ print $16 + $17 }' "/proc/$1/stat"; }
children() { pgrep -P "$1" | sort | tr '\n' ' '; }

# smbd serves each connection in a child it forks and reaps; the child's CPU time reaches the
# parent's cutime + cstime once reaped. Wait for that (the set of children back to `before`).
smbd_cpu_begin() { smbd_children=$(children "$1"); smbd_ticks=$(child_ticks "$1"); }
smbd_cpu_end() {  # prints CPU seconds the connection used
  local i
  for i in $(seq 1 500); do
    [[ $(children "$1") == "$smbd_children" ]] && break
    sleep 0.01
  done
  awk -v a="$smbd_ticks" -v b="$(child_ticks "$1")" -v t="$TICKS" 'BEGIN { printf "%.3f", (b - a) / t }'
}

# --- one run ---------------------------------------------------------------------------------
# Each run prints: wall user sys maxrss_kb transfer_MBps server_cpu_s
run_smbclient() {  # run_smbclient PORT SERVER_KIND(smbd|serve) SERVER_PID [extra smbclient options…]
  local port=$1 kind=$2 pid=$3; shift 3
  local before
  if [[ $kind == smbd ]]; then smbd_cpu_begin "$pid"; else before=$(proc_ticks "$pid"); fi
  timed "$work/time" \
    smbclient //127.0.0.1/share -p "$port" -U "$USER_NAME%$PASSWORD" -m NT1 \
      --option='client min protocol=NT1' "$@" -c "get $file /dev/null" >"$work/out" 2>&1 \
    || { cat "$work/out" >&2; die "smbclient failed"; }
  local server
  if [[ $kind == smbd ]]; then server=$(smbd_cpu_end "$pid")
  else sleep 0.05; server=$(awk -v a="$before" -v b="$(proc_ticks "$pid")" -v t="$TICKS" 'BEGIN { printf "%.3f", (b - a) / t }'); fi
  # "getting file \big.bin of size N as /dev/null (1234.5 KiloBytes/sec) (average …)"
  local kibps
  kibps=$(sed -n 's/.*as \/dev\/null (\([0-9.]*\) KiloBytes\/sec).*/\1/p' "$work/out" | head -n 1)
  [[ -n $kibps ]] || { cat "$work/out" >&2; die "no rate in smbclient's output"; }
  echo "$(cat "$work/time") $(awk -v k="$kibps" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }') $server"
}

run_cifstep() {  # run_cifstep BINARY PORT SMBD_PID [extra get options…]
  local binary=$1 port=$2 pid=$3; shift 3
  smbd_cpu_begin "$pid"
  # shellcheck disable=SC2086
  CIFSTEP_PASSWORD=$PASSWORD timed "$work/time" \
    "$binary" get "//127.0.0.1:$port/share/$file" --user "$USER_NAME" -o - "$@" $CIFSTEP_ARGS \
      >/dev/null 2>"$work/out" || { cat "$work/out" >&2; die "cifstep get failed"; }
  local server; server=$(smbd_cpu_end "$pid")
  # "268435456 bytes in 0.300 s (950.2 MB/s transfer), … at most N in flight, …"
  local mbps; mbps=$(sed -n 's/.*(\([0-9.]*\) MB\/s transfer).*/\1/p' "$work/out" | head -n 1)
  grep -q "^$bytes bytes" "$work/out" || { cat "$work/out" >&2; die "cifstep read the wrong size"; }
  # The measured binary's own summary (a BEFORE_BIN may send another number of READ_ANDX).
  if [[ $binary == "$cifstep" ]]; then
    grep -o 'at most [0-9]* in flight[^,]*, [0-9]* async, [0-9]* readpage fallbacks' "$work/out" >>"$work/cifstep-summaries"
  fi
  echo "$(cat "$work/time") $mbps $server"
}

# --- statistics ------------------------------------------------------------------------------
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
column_median() { awk -v c="$2" '{ print $c }' "$1" | median; }

# Per client: process MB/s, transfer MB/s, CPU-s/GiB, server CPU %, peak RSS MiB, server
# CPU-s/GiB (medians).
summarize() {  # summarize RESULTS_FILE -> "proc transfer cpu_per_gib server_pct rss_mib server_cpu_per_gib"
  local f=$1
  awk -v b="$bytes" '{ print b / $1 / 1e6 }' "$f" >"$f.proc"
  awk -v b="$bytes" '{ print ($2 + $3) / (b / 1073741824) }' "$f" >"$f.cpu"
  awk '{ print 100 * $6 / $1 }' "$f" >"$f.srv"
  awk -v b="$bytes" '{ print $6 / (b / 1073741824) }' "$f" >"$f.srvcpu"
  echo "$(median <"$f.proc") $(column_median "$f" 5) $(median <"$f.cpu") $(median <"$f.srv") $(column_median "$f" 4 | awk '{ print $1 / 1024 }') $(median <"$f.srvcpu")"
}

printf_row() {  # scenario client "proc transfer cpu srv rss srvcpu"
  # shellcheck disable=SC2086
  set -- "$1" "$2" $3
  printf '%-13s %-34s %9.0f %9.0f %9.3f %8.0f %8.1f %10.3f\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }

# --- the labs ---------------------------------------------------------------------------------
echo "starting smbd with a ${SIZE_MB} MiB file…" >&2
start_smbd smbd auto
smbd_port=$lab_port smbd_pid=$lab_pid smbd_dir=$lab_dir
signed_port=$smbd_port signed_pid=$smbd_pid
if [[ $SIGNED_SMBD == mandatory && $SCENARIOS == *signed* ]]; then
  start_smbd smbd-signed mandatory
  signed_port=$lab_port signed_pid=$lab_pid
fi

expected=$(sha256sum "$smbd_dir/share/$file" | cut -d' ' -f1)
[[ -z ${BEFORE_BIN:-} || -x $BEFORE_BIN ]] || die "BEFORE_BIN=$BEFORE_BIN is not an executable"
got=$(CIFSTEP_PASSWORD=$PASSWORD "$cifstep" get "//127.0.0.1:$smbd_port/share/$file" --user "$USER_NAME" -o - \
  $CIFSTEP_ARGS 2>/dev/null | sha256sum | cut -d' ' -f1)
[[ $got == "$expected" ]] || die "cifstep get returned the wrong bytes ($got, expected $expected)"

echo
echo "machine: $(nproc) cores, $(uname -r); $(smbclient --version); smbd $(smbd --version | awk '{ print $2 }')"
echo "cifstep: $cifstep ${CIFSTEP_ARGS:+(get $CIFSTEP_ARGS)}; file: $file ($bytes bytes); $RUNS runs per client, alternating; sink /dev/null"
md5_cpu=""
if command -v openssl >/dev/null; then
  md5_kbps=$(openssl speed -seconds 1 -bytes 16384 md5 2>/dev/null | awk '/^md5/ { sub(/k$/, "", $2); print $2 }')
  md5_cpu=$(awk -v k="$md5_kbps" 'BEGIN { if (k > 0) printf "%.3f", 1073741.824 / k }')
  echo "MD5 alone (openssl speed, 16 KiB blocks, 1 s): $md5_kbps kB/s = $md5_cpu CPU-s/GiB"
fi
echo
printf '%-13s %-34s %9s %9s %9s %8s %8s %10s\n' scenario client "MB/s proc" "MB/s xfer" "CPU-s/GiB" "server%" "RSS MiB" "srv s/GiB"

declare -A result
for scenario in $SCENARIOS; do
  a=$work/$scenario.a b=$work/$scenario.b c=$work/$scenario.c
  : >"$a"; : >"$b"; : >"$c"; : >"$work/cifstep-summaries"
  case $scenario in
    unsigned)
      names=("smbclient (smbd)" "cifstep get (smbd)")
      for i in $(seq 1 "$RUNS"); do
        run_smbclient "$smbd_port" smbd "$smbd_pid" >>"$a"
        run_cifstep "$cifstep" "$smbd_port" "$smbd_pid" >>"$b"
        if [[ -n ${BEFORE_BIN:-} ]]; then run_cifstep "$BEFORE_BIN" "$smbd_port" "$smbd_pid" >>"$c"; fi
      done ;;
    signed)
      names=("smbclient signed (smbd)" "cifstep get --sign")
      for i in $(seq 1 "$RUNS"); do
        run_smbclient "$signed_port" smbd "$signed_pid" --option='client signing=required' >>"$a"
        run_cifstep "$cifstep" "$signed_port" "$signed_pid" --sign >>"$b"
        if [[ -n ${BEFORE_BIN:-} ]]; then run_cifstep "$BEFORE_BIN" "$signed_port" "$signed_pid" --sign >>"$c"; fi
      done ;;
    serve|serve-signed)
      serve_port=$(free_port $((47000 + RANDOM % 2000)))
      policy=auto; extra=()
      if [[ $scenario == serve-signed ]]; then extra=(--option='client signing=required'); fi
      "$cifstep" serve --listen "127.0.0.1:$serve_port" --share "share=$smbd_dir/share" \
        --user "$USER_NAME:$PASSWORD" --signing $policy 2>"$work/serve.log" &
      serve_pid=$!
      for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$serve_port") 2>/dev/null && break; sleep 0.05; done
      names=("smbclient ← smbd${extra:+ signed}" "smbclient ← cifstep serve")
      for i in $(seq 1 "$RUNS"); do
        run_smbclient "$smbd_port" smbd "$smbd_pid" "${extra[@]}" >>"$a"
        run_smbclient "$serve_port" serve "$serve_pid" "${extra[@]}" >>"$b"
      done
      kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; serve_pid="" ;;
    *) die "unknown scenario $scenario" ;;
  esac
  sa=$(summarize "$a"); sb=$(summarize "$b")
  printf_row "$scenario" "${names[0]}" "$sa"
  printf_row "$scenario" "${names[1]}" "$sb"
  if [[ -s $c ]]; then printf_row "$scenario" "${names[1]} (before)" "$(summarize "$c")"; fi
  if [[ -s $work/cifstep-summaries ]]; then
    echo "              cifstep: $(sort | uniq -c <"$work/cifstep-summaries" | sort -rn | head -n 1 | sed 's/^ *[0-9]* //') (most common)"
  fi
  result[$scenario]="$sa|$sb"
done

# --- ratios against the goals of issues 4 and 14 ----------------------------------------------------
echo
echo "ratios (second row / first row, medians) against the goals:"
for scenario in $SCENARIOS; do
  IFS='|' read -r sa sb <<<"${result[$scenario]}"
  read -r pa ta ca _ ra va <<<"$sa"
  read -r pb tb cb _ rb vb <<<"$sb"
  case $scenario in
    unsigned|signed)
      goal_cpu=$([[ $scenario == unsigned ]] && echo 0.5 || echo 0.8)
      echo "  $scenario: throughput $(ratio "$pb" "$pa")x process, $(ratio "$tb" "$ta")x transfer (goal >= 1.0);" \
        "CPU/GiB $(ratio "$cb" "$ca")x (goal <= $goal_cpu); peak RSS $(printf %.1f "$rb") MiB (goal <= 64)" ;;
    serve|serve-signed)
      goal_cpu=$([[ $scenario == serve ]] && echo 0.8 || echo 1.0)
      echo "  $scenario: smbclient from cifstep serve $(ratio "$pb" "$pa")x process, $(ratio "$tb" "$ta")x transfer" \
        "of its rate from smbd (goal >= 1.0); server CPU/GiB $(ratio "$vb" "$va")x smbd's (goal <= $goal_cpu)" ;;
  esac
done
# Signed get should cost MD5 and nothing more: (signed - MD5 alone) against unsigned.
if [[ -n ${result[unsigned]:-} && -n ${result[signed]:-} && -n $md5_cpu ]]; then
  IFS='|' read -r _ su <<<"${result[unsigned]}"; IFS='|' read -r _ ss <<<"${result[signed]}"
  read -r _ _ cu _ <<<"$su"; read -r _ _ cs _ <<<"$ss"
  awk -v s="$cs" -v u="$cu" -v m="$md5_cpu" 'BEGIN { printf "  signed get minus MD5 alone: %.3f CPU-s/GiB against unsigned %.3f + 0.05 (goal: not above)\n", s - m, u }'
fi

if [[ ${STARTUP:-1} != 0 ]]; then
  echo
  echo "start-up (Benchmarks/startup.py, goal <= 20 ms each):"
  python3 "$root/Benchmarks/startup.py" "$cifstep" | sed 's/^/  /'
fi
