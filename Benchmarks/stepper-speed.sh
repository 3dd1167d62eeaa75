#!/usr/bin/env bash
# The stepper's speed on issue 7's pinned scenario — ntlmssp, signed, a 16 MiB file, teaching
# order — as figures, never as pass/fail:
#   (i)  headless events/s with buffers and diffs built: `cifstep trace`'s own timing of the run
#        (its JSON writing timed apart), medians of RUNS runs of the release build;
#   (ii) `goto 10000` on a finished run (a replay from the start), `goto 0` and forward again:
#        the opt-in StepperBenchmarks test, built in release.
#
#   Benchmarks/stepper-speed.sh                 # 5 trace runs, then the goto benchmark
#   RUNS=9 Benchmarks/stepper-speed.sh
#   SKIP_GOTO=1 Benchmarks/stepper-speed.sh     # (i) only: skips the release build of the tests
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
scenario=(--auth ntlmssp --signing on --file random-16m.bin --policy teaching)

echo "stepper-speed: building cifstep (release)" >&2
swift build -c release --product cifstep >&2
bin="$(swift build -c release --show-bin-path)/cifstep"

work=$(mktemp -d /tmp/cifstep-stepper-speed.XXXXXX)
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "stepper-speed: $RUNS runs of: cifstep trace ${scenario[*]}" >&2
for i in $(seq "$RUNS"); do
  "$bin" trace "${scenario[@]}" -o "$work/run.json" --force 2>"$work/summary"
  cat "$work/summary" >&2
  cat "$work/summary" >>"$work/summaries"
  sha256sum <"$work/run.json" | cut -d' ' -f1 >>"$work/digests"
done
# trace: N events, M decisions, completed: B bytes read; run S s (R events/s); Z bytes to F in W s
events=$(sed -E 's/^trace: ([0-9]+) events.*/\1/' "$work/summaries" | sort -u | paste -sd' ')
decisions=$(sed -E 's/.* ([0-9]+) decisions.*/\1/' "$work/summaries" | sort -u | paste -sd' ')
run_s=$(sed -E 's/.*; run ([0-9.]+) s .*/\1/' "$work/summaries" | median)
rate=$(sed -E 's/.*\(([0-9]+) events\/s\).*/\1/' "$work/summaries" | median)
size=$(sed -E 's/.*events\/s\); ([0-9]+) bytes to.*/\1/' "$work/summaries" | sort -u | paste -sd' ')
write_s=$(sed -E 's/.* in ([0-9.]+) s$/\1/' "$work/summaries" | median)
distinct=$(sort -u "$work/digests" | wc -l)

echo
echo "headless run (cifstep trace, release, median of $RUNS):"
echo "  events: $events   decisions: $decisions"
echo "  run: $run_s s = $rate events/s (target >= 50000)"
echo "  JSON: $size bytes written in $write_s s"
echo "  files: $distinct distinct of $RUNS (1 = byte-identical)"

if [[ -z ${SKIP_GOTO:-} ]]; then
  echo >&2
  echo "stepper-speed: building and running StepperBenchmarks (release, -enable-testing)" >&2
  CIFSTEP_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter StepperBenchmarks 2>&1 \
    | tee "$work/goto.log" | grep -E '^BENCH|passed|failed|error:' >&2 || true
  echo
  echo "goto on a finished run (StepperBenchmarks, release; target goto 10000 <= 0.5 s):"
  grep '^BENCH' "$work/goto.log" | sed 's/^BENCH /  /' || echo "  (no BENCH lines: see the test output above)"
fi
