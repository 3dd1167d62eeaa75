import CIFSClient
import KernelRuntime
import SMBCrypto
import SMBWire
import Testing

/// Login, signing and reads against the scripted peer over a pipe.
@Suite("Client core against a scripted peer")
struct FakePeerLoginTests {
    static let challenge: [UInt8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF]

    func server(_ runtime: any KernelRuntime, _ configure: (inout FakeSMBServer.Configuration) -> Void = { _ in },
                hook: FakeSMBServer.Hook? = nil) -> FakeSMBServer {
        var config = FakeSMBServer.Configuration()
        config.files = ["\\hello.txt": Harness.helloText, "\\data.bin": Harness.pattern(200_000)]
        configure(&config)
        return FakeSMBServer(runtime: runtime, config: config, hook: hook)
    }

    @Test("sec=ntlm: NEGOTIATE offers the kernel's dialects, both password fields carry the NTLMv1 response")
    func ntlmLogin() throws {
        let runtime = FreeRunRuntime(seed: 1)
        let fake = server(runtime)
        let (data, mount) = try Harness.fetch(runtime, options: Harness.options(auth: .ntlm), path: "hello.txt",
                                              connect: fake.connect)
        #expect(data == Harness.helloText)

        let negotiate = try NegotiateRequest.decodePacket(fake.requests[0]).value
        #expect(negotiate.body.dialects == ["NT LM 0.12", "POSIX 2"])
        #expect(negotiate.header.flags2.contains(.unicode))
        #expect(!negotiate.header.flags2.contains(.extendedSecurity))

        let setup = try SessionSetupAndXRequest.decodePacket(fake.sessionSetupRequests[0]).value
        guard case let .oldStyle(old) = setup.body else {
            Issue.record("expected a 13-word SESSION_SETUP_ANDX")
            return
        }
        let ntHash = NTLM.ntHash(password: "Wonderland-42", encoding: .kernel)
        let expected = try NTLM.ntlmv1Response(ntHash: ntHash, challenge: Self.challenge)
        #expect(old.caseSensitivePassword == expected)
        #expect(old.caseInsensitivePassword == expected)
        #expect(old.accountName == "alice")
        #expect(old.primaryDomain == "")
        #expect(old.nativeOS == "Linux version 3.8.0")
        #expect(old.nativeLanMan == "CIFS VFS Client for Linux")
        #expect(old.parameters.capabilities.contains([.unicode, .status32, .largeReadX, .ntSMBs]))
        #expect(!old.parameters.capabilities.contains(.extendedSecurity))

        #expect(fake.commands == [.negotiate, .sessionSetupAndX, .treeConnectAndX, .ntCreateAndX, .transaction2,
                                  .readAndX, .close, .treeDisconnect, .logoffAndX])
        let stats = mount.statistics
        #expect(stats.bytesRead == 33)
        #expect(stats.readsIssued == 1)
        #expect(stats.signaturesVerified == 0)
        #expect(mount.session.cryptKey == Self.challenge)
    }

    @Test("sec=ntlmv2: no LM response, the domain (WORKGROUP by default) as target info, no trailing zeros")
    func ntlmv2Login() throws {
        let runtime = FreeRunRuntime(seed: 2)
        let fake = server(runtime)
        let (data, _) = try Harness.fetch(runtime, options: Harness.options(auth: .ntlmv2), path: "hello.txt",
                                          connect: fake.connect)
        #expect(data == Harness.helloText)
        let setup = try SessionSetupAndXRequest.decodePacket(fake.sessionSetupRequests[0]).value
        guard case let .oldStyle(old) = setup.body else {
            Issue.record("expected a 13-word SESSION_SETUP_ANDX")
            return
        }
        #expect(old.caseInsensitivePassword.isEmpty)
        #expect(old.primaryDomain == "WORKGROUP")
        let (_, blob) = try NTLM.parseNTLMv2Response(old.caseSensitivePassword)
        #expect(!blob.trailingZeros)
        // MsvAvNbDomainName (2), 18 bytes of "WORKGROUP", then MsvAvEOL.
        #expect(blob.targetInfo == [0x02, 0x00, 0x12, 0x00] + NTLM.utf16LE("WORKGROUP") + [0, 0, 0, 0])
        #expect(old.caseSensitivePassword.count == 16 + 28 + 4 + 18 + 4)
    }

    @Test("sec=ntlmssp: raw NTLMSSP in two legs, MORE_PROCESSING_REQUIRED handled, the kernel's blob layout")
    func ntlmsspLogin() throws {
        let runtime = FreeRunRuntime(seed: 3)
        let fake = server(runtime) { $0.extendedSecurity = true }
        let (data, mount) = try Harness.fetch(runtime, options: Harness.options(auth: .ntlmssp), path: "data.bin",
                                              connect: fake.connect)
        #expect(data == Harness.pattern(200_000))
        #expect(fake.sessionSetupRequests.count == 2)
        let negotiate = try NegotiateRequest.decodePacket(fake.requests[0]).value
        #expect(negotiate.header.flags2.contains(.extendedSecurity))

        let first = try SessionSetupAndXRequest.decodePacket(fake.sessionSetupRequests[0]).value
        guard case let .extended(leg1) = first.body else {
            Issue.record("expected a 12-word SESSION_SETUP_ANDX")
            return
        }
        #expect(leg1.securityBlob.count == 32)
        #expect(Array(leg1.securityBlob[16..<32]) == [UInt8](repeating: 0, count: 16))  // empty names, offset 0
        let second = try SessionSetupAndXRequest.decodePacket(fake.sessionSetupRequests[1]).value
        #expect(second.header.uid == 101)
        guard case let .extended(leg2) = second.body,
              case let .authenticate(auth) = try NTLMSSPMessage.decode(leg2.securityBlob).value else {
            Issue.record("expected NTLMSSP AUTHENTICATE")
            return
        }
        #expect(auth.lmChallengeResponse.isEmpty)
        #expect(auth.domain == "WORKGROUP")  // learnt from the server's target info
        #expect(auth.user == "alice")
        #expect(auth.workstation.isEmpty)
        // Unsigned: no KEY_EXCH requested, but the server's ESS makes the kernel send the key anyway.
        #expect(!auth.flags.contains(.negotiateKeyExchange))
        #expect(auth.encryptedRandomSessionKey.count == 16)
        #expect(mount.statistics.readsIssued == 4)  // 200,000 bytes in 61,440-byte reads
    }

    @Test("ntlmssp + sign: KEY_EXCH, MAC key = exported key, every reply verified, every request verified by the peer")
    func ntlmsspSigned() throws {
        let runtime = FreeRunRuntime(seed: 4)
        let fake = server(runtime) {
            $0.extendedSecurity = true
            $0.signing = .enabled
        }
        let (data, mount) = try Harness.fetch(runtime, options: Harness.options(auth: .ntlmssp, sign: true),
                                              path: "data.bin", connect: fake.connect)
        #expect(data == Harness.pattern(200_000))
        let auth = try SessionSetupAndXRequest.decodePacket(fake.sessionSetupRequests[1]).value
        guard case let .extended(leg2) = auth.body,
              case let .authenticate(message) = try NTLMSSPMessage.decode(leg2.securityBlob).value else {
            Issue.record("expected NTLMSSP AUTHENTICATE")
            return
        }
        #expect(message.flags.contains([.negotiateSign, .negotiateKeyExchange]))
        #expect(fake.macKeys.count == 1)
        #expect(fake.macKeys.first?.count == 16)
        #expect(runtime.withLock { mount.server.sessionKey } == fake.macKeys.first)
        // After SESSION_SETUP: TREE_CONNECT, NT_CREATE, TRANS2, 4 READs, CLOSE, TDIS, LOGOFF.
        #expect(fake.signedRequestsVerified == 10)
        #expect(fake.clientSignatureFailures == 0)
        #expect(mount.statistics.signaturesVerified == 10)
        #expect(mount.statistics.signatureFailures == 0)
    }

    @Test("old-style ntlm + sign: the 40-byte MAC key, placeholder signature before the session, sequence 2 next")
    func oldStyleSigned() throws {
        let runtime = FreeRunRuntime(seed: 5)
        let fake = server(runtime) { $0.signing = .enabled }
        let (data, mount) = try Harness.fetch(runtime, options: Harness.options(auth: .ntlm, sign: true),
                                              path: "hello.txt", connect: fake.connect)
        #expect(data == Harness.helloText)
        let setup = fake.sessionSetupRequests[0]
        #expect(Array(setup[14..<22]) == Array("BSRSPYL".utf8) + [0])
        let ntHash = NTLM.ntHash(password: "Wonderland-42", encoding: .kernel)
        let response = try NTLM.ntlmv1Response(ntHash: ntHash, challenge: Self.challenge)
        #expect(fake.macKeys == [try NTLM.sessionKeyV1(ntHash: ntHash) + response])
        #expect(fake.signedRequestsVerified == 7)
        #expect(fake.clientSignatureFailures == 0)
        #expect(mount.statistics.signaturesVerified == 7)
    }

    @Test("the server requires signing: the client signs without --sign")
    func serverRequiresSigning() throws {
        let runtime = FreeRunRuntime(seed: 6)
        let fake = server(runtime) { $0.signing = .required }
        let (data, mount) = try Harness.fetch(runtime, options: Harness.options(auth: .ntlmv2), path: "hello.txt",
                                              connect: fake.connect)
        #expect(data == Harness.helloText)
        #expect(mount.statistics.signaturesVerified == 7)
        #expect(fake.clientSignatureFailures == 0)
    }

    @Test("--sign against a server with signing disabled fails the mount with -EOPNOTSUPP")
    func signingUnsupported() throws {
        let runtime = FreeRunRuntime(seed: 7)
        let fake = server(runtime)
        let error = Harness.Box<CIFSError?>(nil)
        try Harness.withMount(runtime, options: Harness.options(auth: .ntlm, sign: true), connect: fake.connect) { mount in
            do { try mount.mount() } catch let e as CIFSError { error.value = e }
        }
        #expect(error.value == .signingNotSupported("signing required but server lacks support"))
        #expect(error.value?.errno == -95)
    }

    @Test("a wrong password is STATUS_LOGON_FAILURE, and cifsd still exits")
    func wrongPassword() throws {
        let runtime = FreeRunRuntime(seed: 8)
        let fake = server(runtime)
        let error = Harness.Box<CIFSError?>(nil)
        try Harness.withMount(runtime, options: Harness.options(auth: .ntlmv2, password: "wrong"), connect: fake.connect) { mount in
            do { try mount.mount() } catch let e as CIFSError { error.value = e }
        }
        #expect(error.value == .status(.logonFailure, command: .sessionSetupAndX))
        #expect(error.value?.description == "SESSION_SETUP_ANDX: STATUS_LOGON_FAILURE")
        #expect(error.value?.errno == -13)
    }

    @Test("a missing file is STATUS_OBJECT_NAME_NOT_FOUND")
    func missingFile() throws {
        let runtime = FreeRunRuntime(seed: 9)
        let fake = server(runtime)
        let error = Harness.Box<CIFSError?>(nil)
        try Harness.withMount(runtime, options: Harness.options(), connect: fake.connect) { mount in
            try mount.mount()
            do { _ = try mount.open("nope.txt") } catch let e as CIFSError { error.value = e }
            try mount.unmount()
        }
        #expect(error.value == .status(.objectNameNotFound, command: .ntCreateAndX))
    }

    @Test("rsize over 64 KiB uses MaxCountHigh; short reads (smbd's signed cap) are looped over")
    func largeAndShortReads() throws {
        let runtime = FreeRunRuntime(seed: 10)
        let content = Harness.pattern(1_500_000)
        let fake = server(runtime) {
            $0.files["\\big.bin"] = content
            $0.maxReadData = 131_011
        }
        let (data, mount) = try Harness.fetch(runtime, options: Harness.options(rsize: 1 << 20), path: "big.bin",
                                              connect: fake.connect)
        #expect(data == content)
        #expect(mount.rsize == 1 << 20)
        let reads = try fake.requests.filter { $0[4] == SMBCommand.readAndX.rawValue }
            .map { try ReadAndXRequest.decodePacket($0).value.body }
        #expect(reads.first?.maxCount == 1 << 20)
        #expect(reads.first?.timeoutOrMaxCountHigh == 0x10)
        #expect(reads.map(\.offset) == stride(from: 0, to: 1_500_000, by: 131_011).map(UInt64.init))
    }
}
