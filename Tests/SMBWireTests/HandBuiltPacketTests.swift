import Testing
@testable import SMBWire

/// Messages built from values must reproduce what smbclient and smbd put on the wire.
@Suite struct HandBuiltPacketTests {
    /// Header of a fixture (headers are tested on their own) plus a body built by hand.
    func build<B: SMBMessageBody>(_ body: B, like fixture: String) throws -> (built: [UInt8], captured: [UInt8]) {
        let captured = try Fixtures.named(fixture)
        let header = try SMBHeader.peek(captured)
        return (try body.encodePacket(header: header), captured)
    }

    @Test func negotiateRequest() throws {
        let (built, captured) = try build(NegotiateRequest(dialects: ["NT LANMAN 1.0", "NT LM 0.12"]),
                                          like: "ntlmssp-001-c2s-negotiate.bin")
        #expect(built == captured)
        #expect(Hex.encode(built.suffix(30)) == "001b00024e54204c414e4d414e20312e3000024e54204c4d20302e313200")
    }

    @Test func negotiateResponseWithChallenge() throws {
        let captured = try Fixtures.named("oldstyle-ntlm-002-s2c-negotiate.bin")
        let body = NegotiateResponse.ntLM012(NTLM012NegotiateResponse(
            dialectIndex: 0, securityMode: [.userSecurity, .encryptPasswords, .signaturesEnabled], maxMpxCount: 50,
            maxNumberVcs: 1, maxBufferSize: 16644, maxRawSize: 65536, sessionKey: 0x1B14,
            capabilities: SMBCapabilities(rawValue: 0x0080_F3FC), systemTime: 0x01DD_7D85_E134_771E, serverTimeZone: 0,
            security: .challenge(NegotiateChallenge(challenge: Array(captured[69..<77]), domainName: "WORKGROUP",
                                                    serverName: "SMBLAB"))))
        #expect(try build(body, like: "oldstyle-ntlm-002-s2c-negotiate.bin").built == captured)
    }

    @Test func negotiateResponseExtendedSecurity() throws {
        let captured = try Fixtures.named("ntlmssp-002-s2c-negotiate.bin")
        let guid = Array("smblab".utf8) + [UInt8](repeating: 0, count: 10)
        let body = NegotiateResponse.ntLM012(NTLM012NegotiateResponse(
            dialectIndex: 0, securityMode: [.userSecurity, .encryptPasswords, .signaturesEnabled], maxMpxCount: 50,
            maxNumberVcs: 1, maxBufferSize: 16644, maxRawSize: 65536, sessionKey: 0x19D6,
            capabilities: SMBCapabilities(rawValue: 0x8080_F3FC), systemTime: 0x01DD_7D85_DE77_F890, serverTimeZone: 0,
            security: .extended(serverGUID: guid, securityBlob: Array(captured[85...]))))
        #expect(try build(body, like: "ntlmssp-002-s2c-negotiate.bin").built == captured)
    }

    @Test func oldStyleSessionSetupRequest() throws {
        let captured = try Fixtures.named("oldstyle-ntlm-003-c2s-session-setup.bin")
        let body = SessionSetupAndXRequest.oldStyle(OldStyleSessionSetupRequest(
            parameters: SessionSetupParameters(maxBufferSize: 0xFFFF, maxMpxCount: 2, vcNumber: 0x1B11, sessionKey: 0x1B14,
                                               capabilities: SMBCapabilities(rawValue: 0xC054)),
            caseInsensitivePassword: Array(captured[61..<85]), caseSensitivePassword: Array(captured[85..<109]),
            accountName: "alice", primaryDomain: "WORKGROUP", nativeOS: "Unix", nativeLanMan: "Samba"))
        let (built, _) = try build(body, like: "oldstyle-ntlm-003-c2s-session-setup.bin")
        #expect(built == captured)
        #expect(built[109] == 0)  // the pad that aligns "alice" to offset 110
    }

    @Test func extendedSessionSetupRequestAndResponse() throws {
        let request = try Fixtures.named("ntlmssp-003-c2s-session-setup.bin")
        let body = SessionSetupAndXRequest.extended(ExtendedSessionSetupRequest(
            parameters: SessionSetupParameters(maxBufferSize: 0xFFFF, maxMpxCount: 2, vcNumber: 1, sessionKey: 0,
                                               capabilities: SMBCapabilities(rawValue: 0x8000_C054)),
            securityBlob: Array(request[59..<133]), nativeOS: "Unix", nativeLanMan: "Samba"))
        #expect(try build(body, like: "ntlmssp-003-c2s-session-setup.bin").built == request)

        let response = try Fixtures.named("ntlmssp-004-s2c-session-setup.bin")
        let reply = SessionSetupAndXResponse.extended(ExtendedSessionSetupResponse(
            securityBlob: Array(response[43..<202]), nativeOS: "Windows 6.1", nativeLanMan: "Samba 4.17.12-Debian",
            primaryDomain: "WORKGROUP"))
        #expect(try build(reply, like: "ntlmssp-004-s2c-session-setup.bin").built == response)
    }

    @Test func oldStyleSessionSetupResponse() throws {
        let reply = SessionSetupAndXResponse.oldStyle(OldStyleSessionSetupResponse(
            nativeOS: "Windows 6.1", nativeLanMan: "Samba 4.17.12-Debian", primaryDomain: "WORKGROUP"))
        let (built, captured) = try build(reply, like: "oldstyle-ntlm-004-s2c-session-setup.bin")
        #expect(built == captured)
    }

    @Test func treeConnect() throws {
        let request = TreeConnectAndXRequest(flags: 0x000C, password: [0], path: #"\\127.0.0.1\SHARE"#, service: "?????")
        let r = try build(request, like: "ntlmssp-013-c2s-tree-connect.bin")
        #expect(r.built == r.captured)
        let response = TreeConnectAndXResponse(
            optionalSupport: 1,
            maximalAccess: .init(maximalShareAccessRights: 0x001F_01FF, guestMaximalShareAccessRights: 0),
            service: "A:", nativeFileSystem: "NTFS")
        let s = try build(response, like: "ntlmssp-014-s2c-tree-connect.bin")
        #expect(s.built == s.captured)
        let ipc = TreeConnectAndXResponse(
            optionalSupport: 0x21,
            maximalAccess: .init(maximalShareAccessRights: 0x1FF, guestMaximalShareAccessRights: 0x1FF),
            service: "IPC", nativeFileSystem: "")
        let t = try build(ipc, like: "ntlmssp-008-s2c-tree-connect.bin")
        #expect(t.built == t.captured)
    }

    @Test func ntCreate() throws {
        let request = NTCreateAndXRequest(desiredAccess: 0x0012_0089, shareAccess: 3, createDisposition: 1,
                                          createOptions: 0x40, impersonationLevel: 2, fileName: #"\hello.txt"#,
                                          nameLayout: .init(trailing: [0, 0]))
        let r = try build(request, like: "ntlmssp-015-c2s-nt-create.bin")
        #expect(r.built == r.captured)
        let t: UInt64 = 0x01DD_7D85_DDCC_20CF
        let response = NTCreateAndXResponse(fid: 0xAF94, createDisposition: 1, creationTime: t, lastAccessTime: t,
                                            lastWriteTime: t, changeTime: t, extFileAttributes: 0x80,
                                            allocationSize: 4096, endOfFile: 33)
        let s = try build(response, like: "ntlmssp-016-s2c-nt-create.bin")
        #expect(s.built == s.captured)
    }

    @Test func trans2QueryFileAllInfo() throws {
        // smbclient writes the Name byte and then two uninitialised pad bytes ("D ").
        let smbclientPad = Trans2Layout(parameterPad: [0x00, 0x44, 0x20])
        let canonical = Trans2QueryFileInformationRequest(fid: 0xAF94, informationLevel: .queryFileAllInfo).request()
        let r = try build(canonical, like: "ntlmssp-017-c2s-trans2.bin")
        #expect(Array(r.built[65..<68]) == [0, 0, 0])
        var request = canonical
        request.layout = smbclientPad
        #expect(try build(request, like: "ntlmssp-017-c2s-trans2.bin").built == r.captured)
        #expect(try Trans2Request.decodePacket(r.captured).value.body == request)
        let t: UInt64 = 0x01DD_7D85_DDCC_20CF
        let info = FileAllInfo(creationTime: t, lastAccessTime: t, lastWriteTime: t, changeTime: t, extFileAttributes: 0x80,
                               allocationSize: 4096, endOfFile: 33, numberOfLinks: 1, fileName: #"\hello.txt"#)
        let response = Trans2QueryInformationResponseParameters().response(.all(info), unicode: true)
        let s = try build(response, like: "ntlmssp-018-s2c-trans2.bin")
        #expect(s.built == s.captured)
        let decoded = try Trans2Response.decodePacket(s.captured)
        #expect(try decoded.value.body.queryInformation(level: .queryFileAllInfo, unicode: true) == .all(info))
    }

    @Test func trans2GetDFSReferral() throws {
        let parameters = Trans2GetDFSReferralRequest(requestFileName: #"\127.0.0.1\share"#).encodeParameters()
        let request = Trans2Request(subcommand: .getDFSReferral, parameters: parameters, maxParameterCount: 2,
                                    maxDataCount: 0xFFFF, layout: Trans2Layout(parameterPad: [0x00, 0x44, 0x20]))
        let r = try build(request, like: "ntlmssp-009-c2s-trans2.bin")
        #expect(r.built == r.captured)
    }

    @Test func readAndClose() throws {
        let read = try build(ReadAndXRequest(fid: 0xAF94, offset: 0, count: 33), like: "ntlmssp-019-c2s-read.bin")
        #expect(read.built == read.captured)
        let data = Array("Hello from the SMB1 interop lab!\n".utf8)
        let reply = try build(ReadAndXResponse(available: 0xFFFF, data: data[...]), like: "ntlmssp-020-s2c-read.bin")
        #expect(reply.built == reply.captured)
        let close = try build(CloseRequest(fid: 0xAF94), like: "ntlmssp-021-c2s-close.bin")
        #expect(close.built == close.captured)
        let closed = try build(CloseResponse(), like: "ntlmssp-022-s2c-close.bin")
        #expect(closed.built == closed.captured)
        let disconnect = try build(TreeDisconnectRequest(), like: "ntlmssp-023-c2s-tree-disconnect.bin")
        #expect(disconnect.built == disconnect.captured)
    }

    @Test func errorResponse() throws {
        let captured = try Fixtures.named("ntlmssp-010-s2c-trans2.bin")
        var e = try SMBPacketEncoder(header: try SMBHeader.peek(captured))
        try e.append(SMBErrorResponse(command: .transaction2))
        #expect(e.bytes == captured)
        #expect(Hex.encode(e.bytes.suffix(3)) == "000000")

        let request = TestHeaders.request(.ntCreateAndX)
        let bytes = try SMBErrorResponse.encodePacket(replyingTo: request, status: .objectNameNotFound)
        let decoded = try SMBMessage.decode(bytes)
        #expect(decoded.value.blocks.map(\.body) == [.error(SMBErrorResponse(command: .ntCreateAndX))])
        #expect(decoded.value.header.status == .objectNameNotFound)
        #expect(decoded.value.header.mid == request.mid && decoded.value.header.isResponse)
        #expect(span(decoded.spans, "header.Status")?.meaning == "STATUS_OBJECT_NAME_NOT_FOUND")
    }

    @Test func noCommonDialectExactBytes() throws {
        let bytes = try NegotiateResponse.noCommonDialect.encodePacket(header: TestHeaders.response(.negotiate))
        #expect(Hex.encode(bytes.suffix(5)) == "01ffff0000")
        let decoded = try NegotiateResponse.decodePacket(bytes)
        #expect(decoded.value.body == .noCommonDialect)
        #expect(span(decoded.spans, "NegotiateResponse.DialectIndex")?.meaning == "no dialect acceptable")
    }

    @Test func echoExactBytes() throws {
        let bytes = try EchoRequest(echoCount: 1, data: [0xAB, 0xCD]).encodePacket(header: TestHeaders.request(.echo))
        #expect(Hex.encode(bytes.suffix(7)) == "0101000200abcd")
    }
}

@Suite struct ReplyTests {
    @Test func errorFormAndBodyForm() throws {
        let notFound = try Trans2Response.decodeReply(try Fixtures.named("ntlmssp-010-s2c-trans2.bin"))
        #expect(notFound.value.header.status == .notFound)
        guard case .error = notFound.value else { throw WireError.unsupported("expected the error form") }
        #expect(notFound.spans.map(\.name).suffix(2) == ["ErrorResponse.WordCount", "ErrorResponse.ByteCount"])

        let more = try SessionSetupAndXResponse.decodeReply(try Fixtures.named("ntlmssp-004-s2c-session-setup.bin"))
        guard case let .body(packet) = more.value, case .extended = packet.body else {
            throw WireError.unsupported("expected the extended body")
        }
        #expect(packet.header.status == .moreProcessingRequired)

        let read = try ReadAndXResponse.decodeReply(try Fixtures.named("ntlmssp-020-s2c-read.bin"), recordsSpans: false)
        guard case let .body(p) = read.value else { throw WireError.unsupported("expected a body") }
        #expect(p.body.dataRange == 60..<93 && read.spans.isEmpty)

        #expect(throws: WireError.invalidValue(field: "header.Command", reason: "expected READ_ANDX, got TRANSACTION2")) {
            _ = try ReadAndXResponse.decodeReply(try Fixtures.named("ntlmssp-010-s2c-trans2.bin"))
        }
    }
}
