#!/usr/bin/env bash
# Benchmarks/serve-attacks.sh
#
# Peak memory of `cifstep serve` under each attack of issue 13 (keep-alive flood, 16 MiB
# READ_ANDX of a small file x8, 500 FIND_FIRST2, 65,534 half logins, 20,000 opens) and a burst
# of 500 connects, for the build before the server's limits and for this tree. Each attack
# runs against a fresh server (release build, default limits) while smbclient fetches a file
# from it (the "good client"); the table gives the server's RSS at start, its peak (VmHWM),
# its RSS once the attack's connections closed, whether the good client was served, and what
# the server answered the attack. The attacker is Tests/InteropTests/ServeAttacker.swift, run
# by the opt-in ServeAttackBenchmarks test.
#
# A benchmark, not a test: nothing fails on a figure. Needs smbclient.
#
# Environment:
#   BEFORE=0f4d174     the revision "before" is built from (git archive into a temporary tree)
#   BEFORE_BIN=path    use this cifstep as "before" instead of building it
#   SKIP_BUILD=1       use the existing .build/release/cifstep for "after"
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
BEFORE=${BEFORE:-0f4d174}
die() { echo "serve-attacks: $*" >&2; exit 1; }
command -v smbclient >/dev/null || die "smbclient is not installed"

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  echo "building cifstep (release)…" >&2
  swift build -c release --product cifstep >&2
fi
after=$(swift build -c release --show-bin-path)/cifstep
[[ -x $after ]] || die "$after not built"

before=${BEFORE_BIN:-}
if [[ -z $before ]]; then
  tree=/tmp/cifstep-serve-before-$BEFORE
  if [[ ! -x $tree/.build/release/cifstep ]]; then
    echo "building cifstep $BEFORE (release) in $tree…" >&2
    mkdir -p "$tree"
    git -C "$root" archive "$BEFORE" | tar -x -C "$tree"
    (cd "$tree" && swift build -c release --product cifstep >&2)
  fi
  before=$tree/.build/release/cifstep
fi

swift build --build-tests >&2
CIFSTEP_BENCH=1 CIFSTEP_SERVE_BINS="before ($BEFORE)=$before,after=$after" \
  swift test --skip-build --filter ServeAttackBenchmarks 2>&1 | sed -n '/^serve under attack/,/^$/p'
