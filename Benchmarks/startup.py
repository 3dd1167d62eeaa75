#!/usr/bin/env python3
"""Benchmarks/startup.py CIFSTEP_BINARY [RUNS]

Start-up of the two programs a person starts most (issue 14's target: 20 ms each):
- `cifstep get`: from starting the process to the first byte on the wire — a listener on a
  loopback port notes when the client's NEGOTIATE arrives (then hangs up: the get fails, which
  is expected and not timed);
- `cifstep repl`: from starting the process to the first prompt, on a pseudo-terminal (libedit,
  prompt and colour all in play), with the default scenario.
Prints the median, minimum and 90th percentile of RUNS starts each (default 30). Figures only;
nothing fails on a slow run. Build first: scripts/build-release (prints the binary to pass).
"""
import os, pty, select, socket, statistics, subprocess, sys, time

binary = sys.argv[1]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 30


def get_to_first_byte():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    env = dict(os.environ, CIFSTEP_PASSWORD="x")
    t0 = time.monotonic()
    p = subprocess.Popen([binary, "get", f"//127.0.0.1:{port}/share/file.bin", "--user", "u", "-o", "-"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    connection, _ = listener.accept()
    connection.recv(1)
    elapsed = time.monotonic() - t0
    connection.close()
    listener.close()
    p.wait()
    return elapsed


def repl_to_prompt():
    master, slave = pty.openpty()
    env = dict(os.environ, HOME=os.environ.get("TMPDIR", "/tmp"), TERM="xterm")
    t0 = time.monotonic()
    p = subprocess.Popen([binary, "repl"], stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    buffer = b""
    while b"]> " not in buffer:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            raise SystemExit("no prompt within 30 s")
        buffer += os.read(master, 65536)
    elapsed = time.monotonic() - t0
    os.write(master, b"quit\r")
    p.wait()
    os.close(master)
    return elapsed


def report(name, samples):
    ms = sorted(s * 1000 for s in samples)
    p90 = ms[min(len(ms) - 1, int(round(0.9 * (len(ms) - 1))))]
    print(f"{name:<34} median {statistics.median(ms):6.1f} ms   min {ms[0]:6.1f} ms   p90 {p90:6.1f} ms   ({len(ms)} runs)")


get_to_first_byte()  # warm the page cache with the binary and its libraries
report("cifstep get: exec → first byte", [get_to_first_byte() for _ in range(runs)])
report("cifstep repl: exec → first prompt", [repl_to_prompt() for _ in range(runs)])
