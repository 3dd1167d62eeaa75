import KernelRuntime
import SMBCrypto
import SMBWire
import Testing
@testable import SMBServer

@Suite("Sessions over an in-memory pipe")
struct PipeSessionTests {
    struct Transcript: Sendable {
        var negotiate: NTLM012NegotiateResponse?
        var statuses: [NTStatus] = []
        var signed = false
        var badSignatures: [UInt32] = []
        var data: [UInt8] = []
        var size: UInt64 = 0
        var allInfo: [UInt8] = []
    }

    /// Login, tree connect, open, query ALL_INFO, read, close — the smbclient `get` sequence.
    private func getHello(_ client: ScriptedClient, login: (ScriptedClient) throws -> NTStatus) throws -> Transcript {
        var t = Transcript()
        t.statuses.append(try login(client))
        t.signed = client.macKey != nil
        t.statuses.append(try client.treeConnect("share"))
        let (openStatus, open) = try client.open("\\hello.txt")
        t.statuses.append(openStatus)
        let fid = open?.fid ?? 0
        t.size = open?.endOfFile ?? 0
        let (infoStatus, info) = try client.queryFileInfo(fid: fid, level: .queryFileAllInfo)
        t.statuses.append(infoStatus)
        t.allInfo = info
        let (readStatus, data) = try client.read(fid: fid, offset: 0, count: 4096)
        t.statuses.append(readStatus)
        t.data = data
        t.statuses.append(try client.close(fid: fid))
        t.badSignatures = client.badSignatures
        return t
    }

    @Test func oldStyleNTLMv1WithRequiredSigning() throws {
        let log = EventLog()
        let t = try withPipeServer(TestData.configuration(signing: .required, log: log.sink)) { _, client in
            let negotiate = try client.negotiate(extended: false)
            var t = try getHello(client) { try $0.loginOldStyle(user: "alice", password: "Wonderland-42", ntlmv2: false) }
            t.negotiate = negotiate
            return t
        }
        let negotiate = try #require(t.negotiate)
        #expect(negotiate.dialectIndex == 1)
        #expect(negotiate.securityMode.rawValue == 0x0F)
        #expect(negotiate.maxMpxCount == 50)
        #expect(negotiate.capabilities.contains([.unicode, .largeFiles, .ntSMBs, .status32, .ntFind, .largeReadX]))
        #expect(!negotiate.capabilities.contains(.dfs))
        #expect(!negotiate.capabilities.contains(.extendedSecurity))
        guard case let .challenge(challenge) = negotiate.security else {
            Issue.record("expected the challenge form")
            return
        }
        #expect(challenge.challenge.count == 8)
        #expect(challenge.domainName == "WORKGROUP")
        #expect(t.statuses == [.success, .success, .success, .success, .success, .success])
        #expect(t.signed, "the SESSION_SETUP reply is signed with seq 1 and the old-style MAC key")
        #expect(t.badSignatures.isEmpty)
        #expect(t.size == 33)
        #expect(t.data == TestData.hello)
        // ALL_INFO: EndOfFile at 48, the name "\hello.txt" (20 bytes UTF-16) at 72.
        #expect(t.allInfo.count == 92)
        #expect(Array(t.allInfo[48..<56]) == [33, 0, 0, 0, 0, 0, 0, 0])
        #expect(SMBString.decode(t.allInfo[72...], unicode: true) == "\\hello.txt")
        #expect(log.authentications == [.authentication(connection: 1, user: "alice", domain: "WORKGROUP", mode: .ntlm,
                                                        wrapping: .none, status: .success, signing: true)])
    }

    @Test func oldStyleNTLMv2WithRequiredSigning() throws {
        let log = EventLog()
        let t = try withPipeServer(TestData.configuration(signing: .required, log: log.sink)) { _, client in
            _ = try client.negotiate(extended: false)
            var t = try getHello(client) { try $0.loginOldStyle(user: "alice", password: "Wonderland-42", ntlmv2: true) }
            t.data += [UInt8(client.macKey?.count ?? 0)]
            return t
        }
        #expect(t.statuses.allSatisfy { $0 == .success })
        #expect(t.signed && t.badSignatures.isEmpty)
        #expect(t.data == TestData.hello + [16 + 16 + 28 + 4])
        #expect(log.authentications.first == .authentication(connection: 1, user: "alice", domain: "WORKGROUP", mode: .ntlmv2,
                                                              wrapping: .none, status: .success, signing: true))
    }

    @Test func rawNTLMSSPWithKeyExchangeSigned() throws {
        let log = EventLog()
        let t = try withPipeServer(TestData.configuration(signing: .required, log: log.sink)) { _, client in
            _ = try client.negotiate(extended: true)
            var t = try getHello(client) { try $0.loginNTLMSSP(user: "alice", password: "Wonderland-42", spnego: false) }
            t.data += client.macKey ?? []
            return t
        }
        #expect(t.statuses.allSatisfy { $0 == .success })
        #expect(t.signed && t.badSignatures.isEmpty)
        // The MAC key is the client's random exported session key, recovered by RC4.
        #expect(t.data == TestData.hello + Array(0x60..<0x70))
        #expect(log.authentications.first == .authentication(connection: 1, user: "alice", domain: "WORKGROUP",
                                                              mode: .ntlmsspV2, wrapping: .raw, status: .success,
                                                              signing: true))
    }

    @Test func spnegoUnsignedUnderAuto() throws {
        let t = try withPipeServer(TestData.configuration(signing: .auto)) { _, client in
            let negotiate = try client.negotiate(extended: true)
            var t = try getHello(client) { try $0.loginNTLMSSP(user: "alice", password: "Wonderland-42", spnego: true) }
            t.negotiate = negotiate
            // An unsigned connection's replies carry zeros in the signature field.
            let (_, packet) = try client.call(EchoRequest(echoCount: 1, data: [1, 2, 3]))
            t.allInfo = Array(packet[14..<22])
            return t
        }
        #expect(t.statuses.allSatisfy { $0 == .success })
        #expect(!t.signed)
        #expect(t.data == TestData.hello)
        #expect(t.allInfo == [UInt8](repeating: 0, count: 8))
        let negotiate = try #require(t.negotiate)
        #expect(negotiate.securityMode.rawValue == 0x07)
        #expect(negotiate.capabilities.contains(.extendedSecurity))
        guard case let .extended(_, blob) = negotiate.security,
              case let .negTokenInit(token) = try SPNEGO.decode(blob).value else {
            Issue.record("expected a NegTokenInit")
            return
        }
        #expect(token.mechTypes == [.ntlmssp])
    }

    @Test func autoSignsWhenTheClientAsks() throws {
        let t = try withPipeServer(TestData.configuration(signing: .auto)) { _, client in
            _ = try client.negotiate(extended: true)
            client.requestSigning = true
            return try getHello(client) { try $0.loginNTLMSSP(user: "alice", password: "Wonderland-42", spnego: true) }
        }
        #expect(t.statuses.allSatisfy { $0 == .success })
        #expect(t.signed && t.badSignatures.isEmpty)
    }

    @Test func signingOffNeverSigns() throws {
        let t = try withPipeServer(TestData.configuration(signing: .off)) { _, client in
            let negotiate = try client.negotiate(extended: false)
            client.requestSigning = true
            var t = try getHello(client) { try $0.loginOldStyle(user: "alice", password: "Wonderland-42", ntlmv2: false) }
            t.negotiate = negotiate
            return t
        }
        #expect(t.negotiate?.securityMode.rawValue == 0x03)
        #expect(!t.signed)
        #expect(t.data == TestData.hello)
    }

    @Test func wrongPasswordIsLogonFailure() throws {
        let log = EventLog()
        let statuses = try withPipeServer(TestData.configuration(log: log.sink)) { _, client in
            _ = try client.negotiate(extended: true)
            let first = try client.loginNTLMSSP(user: "alice", password: "wrong", spnego: true)
            let unknown = try client.loginNTLMSSP(user: "mallory", password: "Wonderland-42", spnego: true)
            let second = try client.loginNTLMSSP(user: "ALICE", password: "Wonderland-42", spnego: true)
            return [first, unknown, second]
        }
        #expect(statuses == [.logonFailure, .logonFailure, .success])
        let logged: [NTStatus] = log.authentications.compactMap {
            if case let .authentication(_, _, _, _, _, status, _) = $0 { return status }
            return nil
        }
        #expect(logged == [.logonFailure, .logonFailure, .success])
    }

    @Test func oldStyleWrongPasswordAndDisallowedMode() throws {
        var configuration = TestData.configuration()
        configuration.allowedAuthModes = [.ntlmv2]
        let statuses = try withPipeServer(configuration) { _, client in
            _ = try client.negotiate(extended: false)
            return [try client.loginOldStyle(user: "alice", password: "nope", ntlmv2: true),
                    try client.loginOldStyle(user: "alice", password: "Wonderland-42", ntlmv2: false),
                    try client.loginOldStyle(user: "alice", password: "Wonderland-42", ntlmv2: true)]
        }
        #expect(statuses == [.logonFailure, .logonFailure, .success])
    }

    @Test func unsignedRequestOnSignedConnectionCloses() throws {
        let log = EventLog()
        let closed = try withPipeServer(TestData.configuration(signing: .required, log: log.sink)) { _, client in
            _ = try client.negotiate(extended: false)
            try client.loginOldStyle(user: "alice", password: "Wonderland-42", ntlmv2: false)
            #expect(client.macKey != nil)
            client.macKey = nil
            try client.send(TreeConnectAndXRequest(path: "\\\\CIFSTEP\\share"))
            return try client.serverClosed()
        }
        #expect(closed)
        #expect(log.events.contains(.badSignature(connection: 1, command: "TREE_CONNECT_ANDX", sequence: 2)))
    }

    @Test func largeReadsUnsignedAndSigned() throws {
        let sizes = try withPipeServer(TestData.configuration(signing: .auto)) { _, client -> [Int] in
            _ = try client.negotiate(extended: true)
            try client.loginNTLMSSP(user: "alice", password: "Wonderland-42", spnego: true)
            _ = try client.treeConnect("share")
            let fid = try #require(try client.open("\\dir\\random-1m.bin").response?.fid)
            let (_, whole) = try client.read(fid: fid, offset: 0, count: 1 << 20)
            #expect(whole == TestData.big)
            let (_, tail) = try client.read(fid: fid, offset: (1 << 20) - 10, count: 100)
            let (_, past) = try client.read(fid: fid, offset: 1 << 21, count: 100)
            return [whole.count, tail.count, past.count]
        }
        #expect(sizes == [1 << 20, 10, 0])
        let signedSizes = try withPipeServer(TestData.configuration(signing: .required)) { _, client -> [Int] in
            _ = try client.negotiate(extended: true)
            try client.loginNTLMSSP(user: "alice", password: "Wonderland-42", spnego: true)
            _ = try client.treeConnect("share")
            let fid = try #require(try client.open("\\dir\\random-1m.bin").response?.fid)
            var data: [UInt8] = []
            var sizes: [Int] = []
            while data.count < 1 << 20 {
                let (_, chunk) = try client.read(fid: fid, offset: UInt64(data.count), count: 1 << 20)
                sizes.append(chunk.count)
                data += chunk
            }
            #expect(data == TestData.big)
            #expect(client.badSignatures.isEmpty)
            return sizes
        }
        // Like smbd: signed replies are capped at 131011 bytes; the client loops.
        #expect(signedSizes.count == 9)
        #expect(signedSizes.dropLast().allSatisfy { $0 == 131_011 })
    }
}
