#!/usr/bin/env python3
"""Split the first TCP stream of a pcap into SMB1 messages, one file per message.

usage: extract-smb-fixtures.py CAPTURE.pcap PORT OUTDIR PREFIX
Writes OUTDIR/PREFIX-NNN-{c2s,s2c}-CMD.bin (the SMB message without its 4-byte
direct-TCP header). Needs tshark.
"""
import os, subprocess, sys

CMDS = {0x72: "negotiate", 0x73: "session-setup", 0x75: "tree-connect", 0xa2: "nt-create",
        0x2e: "read", 0x04: "close", 0x71: "tree-disconnect", 0x74: "logoff", 0x32: "trans2",
        0x2b: "echo"}

def main():
    pcap, port, outdir, prefix = sys.argv[1:5]
    out = subprocess.run(["tshark", "-r", pcap, "-q", "-z", "follow,tcp,raw,0"],
                         check=True, capture_output=True, text=True).stdout
    chunks = []  # (direction, bytes)
    started = False
    for line in out.splitlines():
        if line.startswith("====="):
            started = not started if not chunks else False
            continue
        if not started or ":" in line and not line.strip().replace("\t", "").isalnum():
            continue
        s = line.rstrip()
        if not s or s.startswith(("Follow", "Filter", "Node")):
            continue
        direction = "s2c" if s.startswith("\t") else "c2s"
        try:
            data = bytes.fromhex(s.strip())
        except ValueError:
            continue
        if chunks and chunks[-1][0] == direction:
            chunks[-1] = (direction, chunks[-1][1] + data)
        else:
            chunks.append((direction, data))
    os.makedirs(outdir, exist_ok=True)
    n = 0
    for direction, stream in chunks:
        i = 0
        while i + 4 <= len(stream):
            kind, length = stream[i], int.from_bytes(stream[i + 1:i + 4], "big")
            msg = stream[i + 4:i + 4 + length]
            i += 4 + length
            if kind != 0 or msg[:4] != b"\xffSMB":
                continue
            n += 1
            name = CMDS.get(msg[4], "cmd%02x" % msg[4])
            with open(os.path.join(outdir, "%s-%03d-%s-%s.bin" % (prefix, n, direction, name)), "wb") as f:
                f.write(msg)
    print("%s: %d messages" % (prefix, n))

main()
