#!/usr/bin/env python3
"""Benchmarks/repl-latency.py CIFSTEP_BINARY [STEPS]

Times the REPL as a person meets it, on a pseudo-terminal (so libedit, the prompt and colour
are all in play): from starting `cifstep repl` to its first prompt (median of 20 starts), and
`step` — the command, the session's move and the rendering of its event line — from pressing
Enter to the next prompt (median and 90th percentile over STEPS steps, default 300, on the
issue 10 scenario: ntlmssp, signed, random-256k.bin). Figures only; nothing fails on a slow run.
Build first: swift build -c release --product cifstep.
"""
import os, pty, select, statistics, subprocess, sys, time

binary = sys.argv[1]
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 300
args = [binary, "repl", "--auth", "ntlmssp", "--signing", "on", "--file", "random-256k.bin"]


def start():
    master, slave = pty.openpty()
    env = dict(os.environ, HOME=os.environ.get("TMPDIR", "/tmp"), TERM="xterm")
    t0 = time.monotonic()
    p = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    return p, master, t0


def read_until(master, needle, buffer=b""):
    while needle not in buffer:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            raise SystemExit(f"no {needle!r} within 30 s")
        buffer += os.read(master, 65536)
    return buffer[buffer.index(needle) + len(needle):]


def stop(p, master):
    os.write(master, b"quit\r")
    p.wait()
    os.close(master)


starts = []
for _ in range(20):
    p, master, t0 = start()
    read_until(master, b"]> ")
    starts.append(time.monotonic() - t0)
    stop(p, master)

p, master, _ = start()
rest = read_until(master, b"]> ")
times = []
for i in range(steps):
    t0 = time.monotonic()
    os.write(master, b"s\r")
    rest = read_until(master, b"]> ")
    times.append(time.monotonic() - t0)
stop(p, master)

segments = [statistics.median(times[i:i + 100]) * 1000 for i in range(0, len(times), 100)]
times.sort()
print(f"start to prompt: median {statistics.median(starts) * 1000:.1f} ms (min {min(starts) * 1000:.1f}, max {max(starts) * 1000:.1f}, 20 starts)")
print(f"step, Enter to the next prompt: median {statistics.median(times) * 1000:.2f} ms, "
      f"p90 {times[int(len(times) * 0.9)] * 1000:.2f} ms ({steps} steps; medians per 100: "
      + ", ".join(f"{m:.2f}" for m in segments) + " ms)")
