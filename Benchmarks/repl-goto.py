#!/usr/bin/env python3
"""Benchmarks/repl-goto.py CIFSTEP_BINARY

Times `goto` in the real REPL on the pinned scenario of the stepper issue (ntlmssp, signed,
random-16m.bin, teaching order): `continue` to the end, then `goto 10000` (a replay from the
start) and back to the end, five times. Each figure is the time from sending the command to
the REPL printing that event's line (stdout line-buffered through stdbuf). Figures only; nothing
fails on a slow run. Build first: swift build -c release --product cifstep.
"""
import subprocess, sys, time
binary = sys.argv[1]
args = ["stdbuf", "-oL", binary, "repl", "--auth", "ntlmssp", "--signing", "on", "--file", "random-16m.bin", "--policy", "teaching", "--no-color"]
p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
def until(pred):
    while True:
        line = p.stdout.readline()
        if not line: raise SystemExit("REPL ended")
        if pred(line): return line
def cmd(text, pred):
    t0 = time.monotonic(); p.stdin.write(text + "\n"); p.stdin.flush(); until(pred); return time.monotonic() - t0
t_cont = cmd("continue", lambda l: l.startswith("end of the run"))
results = []  # (goto 10000, goto end)
for i in range(5):
    back = cmd("goto 10000", lambda l: l.startswith("#10000 "))
    end = cmd("goto 999999999", lambda l: l.startswith("end of the run"))
    results.append((back, end))
p.stdin.write("quit\n"); p.stdin.flush(); p.wait()
print(f"continue to the end: {t_cont:.3f} s")
for back, end in results: print(f"goto 10000 (from the end): {back:.3f} s; back to the end: {end:.3f} s")
