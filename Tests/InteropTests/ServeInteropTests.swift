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
        let viaDots = try smbclient(server.port, [], command: "get ..\\secret.txt \(out)")
        _ = server.stop()
        #expect(viaLink.text.contains("NT_STATUS_ACCESS_DENIED") || viaLink.stderr.contains("NT_STATUS_ACCESS_DENIED")
                || viaLink.text.contains("NT_STATUS_OBJECT_NAME_NOT_FOUND"))
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
}
