import KernelRuntime
import SMBWire
import Testing
@testable import SMBServer

@Suite("NT status codes for bad requests")
struct ErrorStatusTests {
    /// A logged-in, tree-connected client with `\hello.txt` open.
    private func session(_ client: ScriptedClient) throws -> UInt16 {
        _ = try client.negotiate(extended: true)
        try client.loginNTLMSSP(user: "alice", password: "Wonderland-42", spnego: true)
        _ = try client.treeConnect("share")
        return try #require(try client.open("\\hello.txt").response?.fid)
    }

    private func raw(_ command: UInt8, words: [UInt8] = [], data: [UInt8] = []) -> SMBRawBlock {
        SMBRawBlock(command: SMBCommand(command), wordCount: UInt8(words.count / 2), parameters: words,
                    byteCount: UInt16(data.count), data: data)
    }

    @Test func statusesForBadIDsNamesAndCommands() throws {
        let statuses = try withPipeServer(TestData.configuration()) { _, client -> [String: NTStatus] in
            let fid = try session(client)
            var s: [String: NTStatus] = [:]
            let goodTID = client.tid
            let goodUID = client.uid
            s["missing"] = try client.open("\\nothing.txt").status
            s["missing dir"] = try client.open("\\nodir\\nothing.txt").status
            s["dotdot"] = try client.open("\\..\\etc\\passwd").status
            s["absolute"] = try client.open("/etc/passwd").status
            s["wildcard"] = try client.open("\\*.txt").status
            s["write access"] = try client.open("\\hello.txt", access: 0x0012_019F).status
            s["create new"] = try client.open("\\new.txt", disposition: 2).status
            s["create existing"] = try client.open("\\hello.txt", disposition: 2).status
            s["overwrite"] = try client.open("\\hello.txt", disposition: 5).status
            s["dir as file"] = try client.open("\\dir", options: 0x40).status
            s["file as dir"] = try client.open("\\hello.txt", options: 0x01).status
            s["root"] = try client.open("").status
            s["bad fid read"] = try client.read(fid: fid &+ 77, offset: 0, count: 10).status
            s["bad fid close"] = try client.close(fid: fid &+ 77)
            s["unknown level"] = try client.queryFileInfo(fid: fid, level: QueryInformationLevel(0x0999)).status
            s["bad share"] = try client.treeConnect("nosuch")
            s["set file info"] = try client.call(Trans2Request(subcommand: .setFileInformation, parameters: [0, 0, 1, 1, 0, 0],
                                                               maxParameterCount: 10, maxDataCount: 1000)).header.status
            s["short find first"] = try client.call(Trans2Request(subcommand: .findFirst2, parameters: [0x16, 0, 0, 1],
                                                                  maxParameterCount: 10, maxDataCount: 1000)).header.status
            s["write"] = try client.call(raw(0x2F, words: [UInt8](repeating: 0xFF, count: 2) + [UInt8](repeating: 0, count: 26))).header.status
            s["undefined command"] = try client.call(raw(0x99)).header.status
            s["find close"] = try client.call(raw(0x34, words: [0, 0])).header.status
            client.tid = 999
            s["bad tid"] = try client.open("\\hello.txt").status
            client.tid = goodTID
            client.uid = 4321
            s["bad uid"] = try client.open("\\hello.txt").status
            client.uid = goodUID
            s["ipc"] = try client.treeConnect("IPC$")
            s["dfs referral"] = try client.call(Trans2Request(
                subcommand: .getDFSReferral,
                parameters: Trans2GetDFSReferralRequest(requestFileName: "\\127.0.0.1\\share").encodeParameters(),
                maxParameterCount: 0, maxDataCount: 4096)).header.status
            s["open on ipc"] = try client.open("\\srvsvc").status
            s["echo"] = try client.call(EchoRequest(echoCount: 1, data: [9])).header.status
            return s
        }
        let expected: [String: NTStatus] = [
            "missing": .objectNameNotFound, "missing dir": .objectPathNotFound, "dotdot": .accessDenied,
            "absolute": .accessDenied, "wildcard": .objectNameInvalid, "write access": .accessDenied,
            "create new": .accessDenied, "create existing": .objectNameCollision, "overwrite": .accessDenied, "dir as file": .fileIsADirectory,
            "file as dir": .notADirectory, "root": .success, "bad fid read": .invalidHandle,
            "bad fid close": .invalidHandle, "unknown level": .invalidLevel, "bad share": .badNetworkName,
            "set file info": .notSupported, "short find first": .invalidParameter, "write": .accessDenied, "undefined command": .smbBadCommand,
            "find close": .invalidHandle, "bad tid": .smbBadTID, "bad uid": .smbBadUID, "ipc": .success,
            "dfs referral": .notFound, "open on ipc": .objectNameNotFound, "echo": .success,
        ]
        for (name, status) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(statuses[name] == status, "\(name)")
        }
    }

    @Test func requestsBeforeNegotiateAndSession() throws {
        let statuses = try withPipeServer(TestData.configuration()) { _, client -> [NTStatus] in
            let early = try client.call(TreeConnectAndXRequest(path: "\\\\CIFSTEP\\share")).header.status
            _ = try client.negotiate(extended: false)
            let noSession = try client.treeConnect("share")
            return [early, noSession]
        }
        #expect(statuses == [.invalidSMB, .smbBadUID])
    }

    @Test func queryInformationLevels() throws {
        let sizes = try withPipeServer(TestData.configuration()) { _, client -> [UInt16: Int] in
            let fid = try session(client)
            var sizes: [UInt16: Int] = [:]
            for level: UInt16 in [0x101, 0x102, 0x103, 0x104, 0x107, 0x109, 1004, 1005, 1006, 1007, 1009, 1018, 1034, 1035] {
                let (status, data) = try client.queryFileInfo(fid: fid, level: QueryInformationLevel(level))
                sizes[level] = status.isSuccess ? data.count : -1
            }
            let path = Trans2QueryPathInformationRequest(informationLevel: .queryFileStandardInfo, fileName: "\\dir")
            let (header, packet) = try client.call(path.request(unicode: true))
            #expect(header.status == .success)
            let standard = try client.decodeReply(Trans2Response.self, packet).data
            sizes[0xFFFF] = Int(standard[21])  // Directory flag
            let fs = Trans2Request(subcommand: .queryFSInformation, parameters: [0x05, 0x01], maxParameterCount: 0,
                                   maxDataCount: 1000)
            let (fsHeader, fsPacket) = try client.call(fs)
            sizes[0xFFFE] = fsHeader.status.isSuccess ? try client.decodeReply(Trans2Response.self, fsPacket).data.count : -1
            return sizes
        }
        // Basic 40, standard 22 (legacy) / 24, EA 4, name 4 + "\hello.txt" in UTF-16, all 92,
        // stream 24 + "::$DATA", internal 8, network open 56, attribute tag 8, FileAllInformation 100 + name
        // (20), QUERY_FS_ATTRIBUTE_INFO 12 + "NTFS".
        #expect(sizes == [0x101: 40, 0x102: 22, 0x103: 4, 0x104: 24, 0x107: 92, 0x109: 38, 1004: 40, 1005: 24,
                          1006: 8, 1007: 4, 1009: 24, 1018: 120, 1034: 56, 1035: 8, 0xFFFF: 1, 0xFFFE: 20])
    }
}
