#!/usr/bin/env bash
# Every lesson headless, as `cifstep lesson check` runs it, on a release build: prints each
# lesson's time (from a fresh session to its last checkpoint, in process) and the slowest,
# against the target of 100 ms a lesson. Lesson 11 runs when CIFSTEP_SAMBA, CIFSTEP_SAMBA_USER and
# CIFSTEP_SAMBA_PASSWORD name a Samba server (scripts/test starts one); else it is skipped.
#
# Usage: Benchmarks/lessons.sh [RUNS]   (default 5 runs; the median per lesson is reported)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
swift build -c release --product cifstep >/dev/null
bin=.build/release/cifstep
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for ((i = 1; i <= runs; i++)); do
  "$bin" lesson check Lessons/[0-9]*.md > "$tmp/run$i.txt"
done
python3 - "$tmp" "$runs" <<'PY'
import re, statistics, sys, os
tmp, runs = sys.argv[1], int(sys.argv[2])
times = {}
for i in range(1, runs + 1):
    for line in open(os.path.join(tmp, f"run{i}.txt")):
        m = re.match(r"^(ok  |FAIL) (\S+) ([0-9.]+) s(.*)$", line.rstrip("\n"))
        if m:
            times.setdefault(m.group(2), []).append((float(m.group(3)), m.group(1).strip(), m.group(4)))
print(f"{'lesson':40} {'median ms':>10} {'max ms':>8}")
worst = 0.0
for name, samples in sorted(times.items()):
    values = [s[0] * 1000 for s in samples]
    median = statistics.median(values)
    worst = max(worst, median)
    note = samples[0][2].strip() or ("" if samples[0][1] == "ok" else "FAILED")
    print(f"{name:40} {median:10.1f} {max(values):8.1f} {note}")
print(f"slowest lesson: {worst:.1f} ms (target <= 100 ms): {'met' if worst <= 100 else 'missed'}")
PY
