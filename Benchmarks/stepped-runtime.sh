#!/usr/bin/env bash
# Stepped-runtime throughput: events/s for step(), run(until:), runToCompletion and replays on a
# synthetic four-thread program (Tests/KernelRuntimeTests/SteppedProgram.swift), release build.
# Prints figures only; nothing fails on a slow run.
#
#   Benchmarks/stepped-runtime.sh                         # 7,000 pages = 105,001 events
#   CIFSTEP_BENCH_PAGES=20000 Benchmarks/stepped-runtime.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# `swift test` (not `swift build --build-tests`) compiles release modules for @testable import.
CIFSTEP_BENCH=1 swift test -c release --filter SteppedBenchmarks 2>&1 | grep -E '^BENCH|error|failed' || true
