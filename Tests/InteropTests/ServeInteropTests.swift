import Foundation
import Testing

/// Real SMB1 clients (smbclient 4.17, pysmb) and `cifstep get` reading from `cifstep serve`.
@Suite(.enabled(if: (Peers.hasSmbclient && Peers.hasPysmb) || Peers.isCI)) struct ServeInteropTests {
    /// A share directory with a 1 MiB file, a small one and a symlink that leaves the share.
    final class ShareDir {
        let root: URL
        let share: URL
        let big: Data
        init() throws {
            root = try Peers.temporaryDirectory()
            share = root.appendingPathComponent("share")
            try FileManager.default.createDirectory(at: share, withIntermediateDirectories: true)
            var generator = SystemRandomNumberGenerator()
            big = Data((0..<(1 << 20) + 12_345).map { _ in UInt8.random(in: 0...255, using: &generator) })
            try big.write(to: share.appendingPathComponent("big.bin"))
            try Data(Peers.helloText.utf8).write(to: share.appendingPathComponent("hello.txt"))
            try Data("secret\n".utf8).write(to: root.appendingPathComponent("secret.txt"))
            try FileManager.default.createSymbolicLink(atPath: share.appendingPathComponent("escape.txt").path,
                                                       withDestinationPath: root.appendingPathComponent("secret.txt").path)
            try FileManager.default.createSymbolicLink(atPath: share.appendingPathComponent("dangling.txt").path,
                                                       withDestinationPath: root.appendingPathComponent("missing.txt").path)
        }
        deinit { try? FileManager.default.removeItem(at: root) }
    }

    private func smbclient(_ port: UInt16, _ options: [String], command: String) throws -> Peers.Result {
        let tool = try #require(Peers.tool("smbclient"), "smbclient missing")
        return try Peers.run(tool, ["//127.0.0.1/data", "-p", "\(port)", "-U", "alice%Wonderland-42", "-m", "NT1",
                                    "--option=client min protocol=NT1"] + options + ["-c", command])
    }

    static let smbclientModes: [[String]] = [
        // Old-style NTLMv1 and raw NTLMv2, signed: the real-peer proof of old-style signing.
        ["--option=client use spnego=no", "--option=client ntlmv2 auth=no", "--option=client signing=required"],
        ["--option=client use spnego=no", "--option=client signing=required"],
        // Its default: NTLMSSP in SPNEGO, signed.
        ["--option=client signing=required"],
    ]

    @Test(arguments: smbclientModes)
    func smbclientReadsFromServeWithSigningRequired(_ options: [String]) throws {
        let dir = try ShareDir()
        let server = try ServeProcess(["--share", "data=\(dir.share.path)", "--user", "alice:Wonderland-42",
                                       "--signing", "required"])
        let out = dir.root.appendingPathComponent("got.bin").path
        let r = try smbclient(server.port, options, command: "get big.bin \(out)")
        let log = server.stop()
        #expect(r.status == 0, "\(r.stderr)\n\(log)")
        #expect(FileManager.default.contents(atPath: out) == dir.big)
        #expect(log.contains(": ok, signing"), "\(log)")
        #expect(!log.contains("bad signature"), "\(log)")
    }

    @Test func pysmbReadsFromServe() throws {
        let dir = try ShareDir()
        let server = try ServeProcess(["--share", "data=\(dir.share.path)", "--user", "alice:Wonderland-42"])
        let out = dir.root.appendingPathComponent("py.bin").path
        let script = """
            import smb.smb_structs
            smb.smb_structs.SUPPORT_SMB2 = False
            from smb.SMBConnection import SMBConnection
            c = SMBConnection('alice', 'Wonderland-42', 'client', 'CIFSTEP', use_ntlm_v2=True, is_direct_tcp=True)
            assert c.connect('127.0.0.1', \(server.port))
            with open('\(out)', 'wb') as f:
                c.retrieveFile('data', '/big.bin', f)
            c.close()
            """
        let r = try Peers.run("/usr/bin/env", ["python3", "-c", script])
        let log = server.stop()
        #expect(r.status == 0, "\(r.stderr)\n\(log)")
        #expect(FileManager.default.contents(atPath: out) == dir.big)
    }

    @Test func shareEscapesAreRefused() throws {
        let dir = try ShareDir()
        let server = try ServeProcess(["--share", "data=\(dir.share.path)", "--user", "alice:Wonderland-42"])
        let out = dir.root.appendingPathComponent("x").path
        let viaLink = try smbclient(server.port, [], command: "get escape.txt \(out)")
        let viaDangling = try smbclient(server.port, [], command: "get dangling.txt \(out)")
        let viaDots = try smbclient(server.port, [], command: "get ..\\secret.txt \(out)")
        _ = server.stop()
        // Issue 13: a link out of the share answers the same whether its target exists or not.
        let answer = { (r: Peers.Result, name: String) in
            (r.text + r.stderr).replacingOccurrences(of: name, with: "NAME")
        }
        #expect((viaLink.text + viaLink.stderr).contains("NT_STATUS_OBJECT_NAME_NOT_FOUND"), "\(viaLink.text)")
        #expect(answer(viaLink, "escape.txt") == answer(viaDangling, "dangling.txt"))
        #expect(viaDots.text.contains("NT_STATUS_") || viaDots.stderr.contains("NT_STATUS_"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func corruptedSignatureIsRecordedAndGetFails() throws {
        let dir = try ShareDir()
        // Replies: 1 negotiate, 2–3 session setup, 4 tree connect, 5 open, 6 query info, 7 read…
        let server = try ServeProcess(["--share", "data=\(dir.share.path)", "--user", "alice:Wonderland-42",
                                       "--signing", "required", "--fault", "corrupt-signature:7"])
        let out = dir.root.appendingPathComponent("sig.bin").path
        let traceFile = dir.root.appendingPathComponent("trace.json").path
        let r = try Peers.run(Peers.cifstep, ["get", "//127.0.0.1:\(server.port)/data/big.bin", "-o", out,
                                              "--user", "alice", "--password", "Wonderland-42", "--auth", "ntlmssp",
                                              "--sign", "--trace", traceFile])
        _ = server.stop()
        #expect(r.status == 1)
        #expect(r.stderr.contains("signature"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        // The core recorded -EACCES at cifs_verify_signature, as the 3.8 kernel logged it.
        let trace = try String(decoding: Data(contentsOf: URL(fileURLWithPath: traceFile)), as: UTF8.self)
        #expect(trace.contains("EACCES"))
    }

    @Test func cifstepGetReadsFromServeOldStyleSigned() throws {
        let dir = try ShareDir()
        let server = try ServeProcess(["--share", "data=\(dir.share.path)", "--user", "alice:Wonderland-42",
                                       "--signing", "required"])
        for auth in ["ntlm", "ntlmv2"] {
            let out = dir.root.appendingPathComponent("\(auth).bin").path
            let r = try Peers.run(Peers.cifstep, ["get", "//127.0.0.1:\(server.port)/data/big.bin", "-o", out,
                                                  "--user", "alice", "--password", "Wonderland-42", "--auth", auth, "--sign"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(FileManager.default.contents(atPath: out) == dir.big)
            #expect((Peers.number(before: " signatures verified", in: r.stderr) ?? 0) > 10, "\(r.stderr)")
        }
        _ = server.stop()
    }

    // MARK: Resource limits (issue 13): a good client stays served while attacked

    /// `smbclient get hello.txt` from `server`: whether it got the file.
    private func goodClientGetsHello(_ server: ServeProcess, _ dir: URL) throws -> Bool {
        let out = dir.appendingPathComponent("good-\(UUID().uuidString).txt").path
        let r = try smbclient(server.port, [], command: "get hello.txt \(out)")
        defer { try? FileManager.default.removeItem(atPath: out) }
        return r.status == 0 && FileManager.default.contents(atPath: out) == Data(Peers.helloText.utf8)
    }

    /// Each attack of issue 13 against `serve` with its default limits: the good client is
    /// served during it, the server answers the attack with the limit's status, and the
    /// server's peak memory grows by less than 64 MiB (the same attacks took it to 130–602 MB).
    @Test(arguments: ServeAttack.allCases)
    func goodClientIsServedDuringAttack(_ attack: ServeAttack) throws {
        let root = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let share = root.appendingPathComponent("share")
        try ServeAttack.makeShare(at: share)
        let server = try ServeProcess(["--share", "data=\(share.path)", "--user", "alice:Wonderland-42"])
        let startKiB = try #require(server.memoryKiB("VmRSS"))
        var servedDuring = false
        let counts = try attack.run(port: server.port) { servedDuring = try goodClientGetsHello(server, root) }
        let peakKiB = try #require(server.memoryKiB("VmHWM"))
        let log = server.stop()
        #expect(servedDuring, "\(log.suffix(2000))")
        #expect(peakKiB - startKiB < 64 * 1024, "peak \(peakKiB) KiB from \(startKiB) KiB: \(counts)")
        switch attack {
        case .keepAliveFlood:
            let refused = log.split(separator: "\n").filter { $0.contains("NBSS.Length") && $0.contains("(closing)") }
            #expect(refused.count == 20, "\(log.suffix(2000))")
        case .bigReads:
            #expect(counts == ["STATUS_SUCCESS 33 bytes": 32])
        case .searches:
            #expect(counts == ["STATUS_SUCCESS": 64, "STATUS_INSUFFICIENT_RESOURCES": 436])
        case .halfLogins:
            // Four pending, the rest refused — until the login timeout closes the connection.
            #expect(counts["STATUS_MORE_PROCESSING_REQUIRED"] == 4, "\(counts)")
            #expect((counts["STATUS_INSUFFICIENT_RESOURCES"] ?? 0) + (counts["closed by the server"] ?? 0) > 1000, "\(counts)")
            #expect(Set(counts.keys).isSubset(of: ["STATUS_MORE_PROCESSING_REQUIRED", "STATUS_INSUFFICIENT_RESOURCES",
                                                   "closed by the server"]), "\(counts)")
        case .opens:
            #expect(counts == ["STATUS_SUCCESS": 1024, "STATUS_TOO_MANY_OPENED_FILES": 18_976])
        }
    }

    /// A frame left half-sent, a connection that never logs in and a logged-on one that goes
    /// quiet are each closed after their timeout (short ones here), while a good client is served.
    @Test func timeoutsCloseStalledConnections() throws {
        let root = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let share = root.appendingPathComponent("share")
        try ServeAttack.makeShare(at: share)
        let server = try ServeProcess(["--share", "data=\(share.path)", "--user", "alice:Wonderland-42",
                                       "--frame-timeout", "1", "--login-timeout", "2", "--idle-timeout", "3"])
        // A frame header at the size cap, then silence.
        let stalled = try AttackClient(port: server.port)
        try stalled.sendRaw([0x00, 0x04, 0x00, 0x00, 0xFF])
        let silent = try AttackClient(port: server.port)
        let idle = try AttackClient(port: server.port)
        try idle.logOn()
        #expect(try goodClientGetsHello(server, root))
        // Each read returns when the server closes the connection.
        #expect(stalled.serverClosed() && silent.serverClosed() && idle.serverClosed())
        let log = server.stop()
        #expect(log.contains("closed (timed out: a frame incomplete for 1 s)"), "\(log)")
        #expect(log.contains("closed (timed out: no login within 2 s)"), "\(log)")
        #expect(log.contains("closed (timed out: idle for 3 s)"), "\(log)")
    }

    /// At --max-connections a newcomer takes the place of the oldest connection that has not
    /// logged on; when all have sessions it gets an NBSS NEGATIVE SESSION RESPONSE
    /// ("insufficient resources") and is closed. Those served keep working throughout.
    @Test func connectionsPastTheCapEvictSilentOnesOrAreRefused() throws {
        let root = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let share = root.appendingPathComponent("share")
        try ServeAttack.makeShare(at: share)
        let server = try ServeProcess(["--share", "data=\(share.path)", "--user", "alice:Wonderland-42",
                                       "--max-connections", "3"])
        let a = try AttackClient(port: server.port)
        try a.logOn()
        let b = try AttackClient(port: server.port)
        try b.logOn()
        let silent = try AttackClient(port: server.port)
        #expect(server.waitForLog { $0.contains("conn 3: opened") })
        // The good client takes the silent one's place.
        #expect(try goodClientGetsHello(server, root))
        #expect(silent.serverClosed())
        #expect(server.waitForLog { $0.contains("conn 4: closed") })
        let c = try AttackClient(port: server.port)
        try c.logOn()
        // Three logged on: the next one is refused, clearly.
        let refused = try AttackClient(port: server.port)
        #expect(try refused.transport.receive(maxBytes: 16) == [0x83, 0x00, 0x00, 0x01, 0x83])
        #expect(refused.serverClosed())
        #expect(try a.open("hello.txt").status == .success)
        b.close()
        #expect(server.waitForLog { $0.contains("conn 2: closed") })
        #expect(try goodClientGetsHello(server, root))
        let log = server.stop()
        #expect(log.contains("conn 3: closed (evicted: 3 connections served and it had not logged on)"), "\(log)")
        #expect(log.contains("refused a connection from 127.0.0.1:"), "\(log)")
        #expect(log.contains("3 connections logged on (limit 3)"), "\(log)")
    }
}
