import Foundation
import Testing

/// `cifstep get` (the kernel-shaped client core over TCP) against Samba 4.17's smbd.
@Suite(.enabled(if: Peers.hasSamba || Peers.isCI)) struct GetFromSambaTests {
    struct Case: CustomStringConvertible, Sendable {
        var auth: String
        var sign: Bool
        var description: String { auth + (sign ? " + sign" : "") }
    }

    private func get(_ peer: String?, file: String, _ extra: [String]) throws -> (Peers.Result, Data?) {
        let address = try #require(peer, "no Samba peer (scripts/test starts it)")
        let dir = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out.bin").path
        let result = try Peers.run(Peers.cifstep, ["get", "//\(address)/share/\(file)", "-o", out,
                                                   "--user", Peers.user] + extra,
                                   environment: ["CIFSTEP_PASSWORD": Peers.password])
        return (result, FileManager.default.contents(atPath: out))
    }

    @Test(arguments: [Case(auth: "ntlm", sign: false), Case(auth: "ntlmv2", sign: false),
                      Case(auth: "ntlmssp", sign: false), Case(auth: "ntlmssp", sign: true)])
    func copiesFilesByteForByte(_ c: Case) throws {
        // Signed runs go to the lab with `server signing = mandatory`.
        let peer = c.sign ? Peers.sambaSigned : Peers.samba
        let flags = ["--auth", c.auth] + (c.sign ? ["--sign"] : [])
        let (small, smallData) = try get(peer, file: "random-1m.bin", flags)
        #expect(small.status == 0, "\(small.stderr)")
        #expect(smallData.map(Peers.sha256) == Peers.random1mSHA256)

        let (big, bigData) = try get(peer, file: "big-8m.bin", flags)
        #expect(big.status == 0, "\(big.stderr)")
        let expected = try #require(Peers.bigFileSHA256(megabytes: 8))
        #expect(bigData.map(Peers.sha256) == expected)
        #expect(bigData?.count == 8 << 20)

        // The summary says what was verified: every signed reply, and none failed.
        if c.sign {
            // smbd caps a signed READ_ANDX reply at 131,011 data bytes, so 8 MiB needs at least
            // 64 signed read replies, plus the login and open.
            let verified = Peers.number(before: " signatures verified", in: big.stderr)
            #expect((verified ?? 0) >= (8 << 20) / 131_011 + 4, "\(big.stderr)")
            #expect(!big.stderr.contains("failures"))
        } else {
            #expect(big.stderr.contains("unsigned"))
        }
    }

    @Test func wrongPasswordIsLogonFailureAndLeavesNoFile() throws {
        let dir = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("hello.txt").path
        let r = try Peers.run(Peers.cifstep, ["get", "//\(try #require(Peers.samba))/share/hello.txt", "-o", out,
                                              "--user", Peers.user, "--password", "not-the-password", "--auth", "ntlmv2"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("STATUS_LOGON_FAILURE"))
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test func missingFileAndRefusedConnectionAreOneLineErrors() throws {
        let (missing, data) = try get(Peers.samba, file: "no-such-file.bin", [])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("STATUS_OBJECT_NAME_NOT_FOUND"))
        #expect(data == nil)

        let port = try Peers.freePort()
        let refused = try Peers.run(Peers.cifstep, ["get", "//127.0.0.1:\(port)/share/x", "-o", "-",
                                                    "--user", "u", "--password", "p"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("connection refused"))
    }

    @Test func signedCaptureDecodesInTshark() throws {
        let tshark = try #require(Peers.tool("tshark"), "tshark missing")
        let dir = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pcap = dir.appendingPathComponent("get.pcap").path
        let (r, data) = try get(Peers.sambaSigned, file: "hello.txt", ["--auth", "ntlmssp", "--sign", "--pcap", pcap])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(data.map { String(decoding: $0, as: UTF8.self) } == Peers.helloText)
        let decoded = try Peers.run(tshark, ["-r", pcap, "-Y", "smb", "-T", "fields",
                                             "-e", "smb.cmd", "-e", "smb.flags.response", "-e", "smb.signature"])
        let rows = decoded.text.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        let commands = rows.compactMap(\.first)
        // In order: negotiate, two session setups, tree connect, open, …, read, close.
        #expect(Array(commands.prefix(6)) == ["0x72", "0x72", "0x73,0xff", "0x73,0xff", "0x73,0xff", "0x73,0xff"])
        #expect(commands.contains("0x2e,0xff") || commands.contains("0x2e"))
        // After the login, every request and reply carries a non-zero signature.
        for row in rows.dropFirst(6) where row.count >= 3 {
            #expect(row[2] != "0000000000000000" && !row[2].isEmpty, "unsigned: \(row)")
        }
        let malformed = try Peers.run(tshark, ["-r", pcap, "-Y", "_ws.malformed || _ws.expert.severity >= warning"])
        #expect(malformed.text.isEmpty, "\(malformed.text)")
    }
}

extension Peers {
    /// sha256 of `big-<N>m.bin`: the first N MiB of the same AES-256-CTR keystream as
    /// random-1m.bin, computed here with openssl exactly as samba-up.sh makes it.
    static func bigFileSHA256(megabytes: Int) -> String? {
        guard let openssl = tool("openssl") else { return nil }
        let script = "head -c \(megabytes << 20) /dev/zero | \(openssl) enc -aes-256-ctr -nosalt "
            + "-K 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f -iv 00000000000000000000000000000000"
        guard let r = try? run("/bin/sh", ["-c", script]), r.status == 0 else { return nil }
        return sha256(r.stdout)
    }

    /// The integer just before `marker` in `text` (`"55 signatures verified"` → 55).
    static func number(before marker: String, in text: String) -> Int? {
        guard let range = text.range(of: marker) else { return nil }
        let digits = text[..<range.lowerBound].reversed().prefix { $0.isNumber }
        return Int(String(digits.reversed()))
    }
}
