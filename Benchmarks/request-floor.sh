#!/usr/bin/env bash
# Benchmarks/request-floor.sh
#
# The kernel's share of a request/reply exchange on loopback TCP, without any client code
# (Benchmarks/request-floor.c): client CPU per GiB for 1 MiB replies against 126,976-byte ones
# (smbd's largest signed READ_ANDX data in whole pages), one and eight in flight, received with
# MSG_WAITALL and with cifsd's low-water-mark receive. What `cifstep get` spends per READ_ANDX
# above this is its own (Benchmarks/README.md, issue 14's third pass).
#
# A benchmark, not a test. Needs a C compiler (cc). Environment: MIB=1024 (data per line).
set -euo pipefail
cd "$(dirname "$0")"
MIB=${MIB:-1024}
command -v cc >/dev/null || { echo "request-floor: no C compiler (apt install gcc)" >&2; exit 1; }
bin=$(mktemp /tmp/request-floor.XXXXXX)
trap 'rm -f "$bin"' EXIT
cc -O2 -o "$bin" request-floor.c
for size in 1048576 126976; do
  for depth in 1 8; do
    for mode in 0 1; do "$bin" "$size" "$depth" "$MIB" "$mode"; done
  done
done
