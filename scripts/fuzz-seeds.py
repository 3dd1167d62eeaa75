#!/usr/bin/env python3
"""Seed corpora for the fuzz targets (scripts/fuzz), from what is in the repo.

usage: fuzz-seeds.py OUTDIR
Writes OUTDIR/<target>/<name> for every target. The SMB seeds are the real captures in
Tests/SMBWireTests/Fixtures (scripts/extract-smb-fixtures.py made them from smbclient, Samba
and the kernel-shaped client): whole messages, NBSS streams of each conversation, and the
security blobs, NTLMSSP messages and AV pair lists cut out of their SESSION_SETUP_ANDX and
NEGOTIATE messages. The text targets read Fuzz/seeds/ (one seed per line for line-oriented
ones) and the repository's Markdown.
"""
import glob, hashlib, os, re, struct, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "SMBWireTests", "Fixtures")
SEEDS = os.path.join(ROOT, "Fuzz", "seeds")

COMMANDS = {"negotiate": 0x72, "session-setup": 0x73, "tree-connect": 0x75, "nt-create": 0xA2,
            "read": 0x2E, "close": 0x04, "tree-disconnect": 0x71, "logoff": 0x74, "echo": 0x2B,
            "trans2": 0x32}


def write(out, target, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def header(command, reply, unicode=True, mid=1):
    flags = 0x98 if reply else 0x18
    flags2 = 0xC807 if unicode else 0x4807
    return (b"\xffSMB" + bytes([command]) + b"\0\0\0\0" + bytes([flags]) + struct.pack("<H", flags2)
            + b"\0\0" + b"\0" * 8 + b"\0\0" + struct.pack("<HHHH", 1, 0xFEFF, 100, mid))


def hand_built():
    """Forms the captures lack (echo, logoff) and error replies, as (command name, bytes)."""
    for unicode in (True, False):
        yield "echo", header(0x2B, False, unicode) + b"\x01" + struct.pack("<H", 1) + struct.pack("<H", 4) + b"ping"
        yield "echo", header(0x2B, True, unicode) + b"\x01" + struct.pack("<H", 1) + struct.pack("<H", 4) + b"ping"
        for reply in (False, True):
            yield "logoff", header(0x74, reply, unicode) + b"\x02\xff\x00\x00\x00\x00\x00"
    for name, cmd in COMMANDS.items():  # STATUS_ACCESS_DENIED, WordCount 0, ByteCount 0
        h = bytearray(header(cmd, True))
        h[5:9] = struct.pack("<I", 0xC0000022)
        yield name, bytes(h) + b"\x00\x00\x00"


def blobs(msg):
    """The security blob of an extended-security NEGOTIATE reply or SESSION_SETUP_ANDX."""
    if len(msg) < 35:
        return []
    cmd, reply, wc = msg[4], msg[9] & 0x80, msg[32]
    words = msg[33:33 + 2 * wc]
    data = msg[35 + 2 * wc:]
    if cmd == 0x73 and not reply and wc == 12:
        return [data[:struct.unpack_from("<H", words, 14)[0]]]
    if cmd == 0x73 and reply and wc == 4:
        return [data[:struct.unpack_from("<H", words, 6)[0]]]
    if cmd == 0x72 and reply and wc == 17 and len(data) > 16:
        return [data[16:]]
    return []


def ntlmssp_pieces(blob):
    """(NTLMSSP message, [AV pair lists]) found in a blob."""
    i = blob.find(b"NTLMSSP\0")
    if i < 0:
        return None, []
    m = blob[i:]
    pairs = []
    kind = struct.unpack_from("<I", m, 8)[0] if len(m) >= 12 else 0
    if kind == 2 and len(m) >= 48:  # CHALLENGE: TargetInfoFields at 40
        n, _, off = struct.unpack_from("<HHI", m, 40)
        pairs.append(m[off:off + n])
    if kind == 3 and len(m) >= 28:  # AUTHENTICATE: NtChallengeResponseFields at 20
        n, _, off = struct.unpack_from("<HHI", m, 20)
        if n > 16 + 28:
            pairs.append(m[off + 16 + 28:off + n])
    return m, [p for p in pairs if p]


def main():
    out = sys.argv[1]
    messages = []  # (capture, file name, bytes)
    for path in sorted(glob.glob(os.path.join(FIXTURES, "*.bin"))):
        name = os.path.basename(path)
        capture = re.match(r"^(.*)-\d{3}-(?:c2s|s2c)-", name).group(1)
        messages.append((capture, name, open(path, "rb").read()))

    for capture, name, msg in messages:
        write(out, "smb1", msg)
        for target, code in COMMANDS.items():
            if msg[4] == code:
                write(out, target, msg)
        if msg[4] == 0x32 and msg[9] & 0x80:
            # TRANS2 replies: the MID picks the request they answer (MessageTargets.trans2Request).
            for sub in range(2):
                for level in range(21):
                    write(out, "trans2", msg[:30] + bytes([sub, level]) + msg[32:])
        for blob in blobs(msg):
            if blob[:1] in (b"\x60", b"\xa0", b"\xa1"):
                write(out, "spnego", blob)
            m, pairs = ntlmssp_pieces(blob)
            if m:
                write(out, "ntlmssp", m)
                write(out, "spnego", m)
            for p in pairs:
                write(out, "avpairs", p)
    for target, msg in hand_built():
        write(out, target, msg)
        write(out, "smb1", msg)

    # NBSS: each conversation as one stream, with keep-alives, under a few caps and piece sizes.
    conversations = {}
    for capture, _, msg in messages:
        conversations.setdefault(capture, []).append(msg)
    for i, (capture, msgs) in enumerate(sorted(conversations.items())):
        stream = b"\x85\0\0\0"
        for m in msgs:
            stream += b"\0" + struct.pack(">I", len(m))[1:] + m
        for cap, piece in ((24, 1), (17, 2 * i + 1), (9, 255)):
            write(out, "nbss", bytes([cap, piece]) + stream)

    for path in glob.glob(os.path.join(SEEDS, "share-name", "*.txt")):
        for line in open(path, encoding="utf-8").read().splitlines():
            if line:  # as a Unicode session sends it, and as OEM bytes
                write(out, "share-name", line.encode("utf-16-le"))
                write(out, "share-name", line.encode())
    for target in ("repl", "condition", "smb-url"):
        for path in glob.glob(os.path.join(SEEDS, target, "*.txt")):
            for line in open(path, encoding="utf-8").read().splitlines():
                if line:
                    write(out, target, line.encode())
    for path in (glob.glob(os.path.join(SEEDS, "lesson", "*.md")) + glob.glob(os.path.join(ROOT, "Lessons", "*.md"))):
        write(out, "lesson", open(path, "rb").read())
    for path in glob.glob(os.path.join(SEEDS, "trace", "*.json")):
        write(out, "trace", open(path, "rb").read())
    for d in sorted(os.listdir(out)):
        print("%-16s %4d seeds" % (d, len(os.listdir(os.path.join(out, d)))))


main()
