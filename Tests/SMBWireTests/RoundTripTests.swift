import Testing
@testable import SMBWire

/// Every message type, in Unicode and OEM form, encodes → decodes → encodes to the same bytes.
@Suite struct RoundTripTests {
    static let unicodeModes = [true, false]

    @Test(arguments: unicodeModes) func negotiate(unicode: Bool) throws {
        try assertRoundTrip(NegotiateRequest(dialects: ["PC NETWORK PROGRAM 1.0", "LANMAN1.0", "NT LM 0.12"]),
                            header: TestHeaders.request(.negotiate, unicode: unicode))
        try assertRoundTrip(NegotiateRequest(dialects: []), header: TestHeaders.request(.negotiate, unicode: unicode))
        let base = NTLM012NegotiateResponse(dialectIndex: 2, securityMode: [.userSecurity, .encryptPasswords, .signaturesRequired],
                                            maxMpxCount: 50, maxNumberVcs: 1, maxBufferSize: 16644, maxRawSize: 65536,
                                            sessionKey: 0xDEAD_BEEF, capabilities: [.unicode, .ntSMBs, .largeReadX, .status32],
                                            systemTime: 0x01DD_0000_0000_0000, serverTimeZone: -60,
                                            security: .challenge(NegotiateChallenge(challenge: [1, 2, 3, 4, 5, 6, 7, 8],
                                                                                    domainName: "WORKGROUP", serverName: "SRV")))
        let h = TestHeaders.response(.negotiate, unicode: unicode)
        try assertRoundTrip(NegotiateResponse.ntLM012(base), header: h)
        var missingServer = base
        missingServer.security = .challenge(NegotiateChallenge(challenge: [9, 9, 9, 9, 9, 9, 9, 9], domainName: "D", serverName: nil))
        try assertRoundTrip(NegotiateResponse.ntLM012(missingServer), header: h)
        var extended = base
        extended.capabilities.insert(.extendedSecurity)
        extended.security = .extended(serverGUID: Array(1...16), securityBlob: [0x60, 0x03, 0x01, 0x02, 0x03])
        try assertRoundTrip(NegotiateResponse.ntLM012(extended), header: h)
        extended.security = .extended(serverGUID: Array(1...16), securityBlob: [])
        try assertRoundTrip(NegotiateResponse.ntLM012(extended), header: h)
        try assertRoundTrip(NegotiateResponse.dialectIndexOnly(0), header: h)
        try assertRoundTrip(NegotiateResponse.noCommonDialect, header: h)
    }

    @Test(arguments: unicodeModes) func sessionSetup(unicode: Bool) throws {
        let p = SessionSetupParameters(maxBufferSize: 16644, maxMpxCount: 50, vcNumber: 0, sessionKey: 7,
                                       capabilities: [.unicode, .ntSMBs, .status32, .largeReadX])
        let rq = TestHeaders.request(.sessionSetupAndX, unicode: unicode)
        let rs = TestHeaders.response(.sessionSetupAndX, status: .moreProcessingRequired, unicode: unicode)
        for (lm, nt) in [([UInt8](repeating: 1, count: 24), [UInt8](repeating: 2, count: 24)),
                         ([UInt8](repeating: 0, count: 24), [UInt8](repeating: 3, count: 71)), ([], [])] {
            try assertRoundTrip(SessionSetupAndXRequest.oldStyle(OldStyleSessionSetupRequest(
                parameters: p, caseInsensitivePassword: lm, caseSensitivePassword: nt, accountName: "alice",
                primaryDomain: "WORKGROUP", nativeOS: "Linux version 3.8.0", nativeLanMan: "CIFS VFS Client for Linux")),
                header: rq)
        }
        for blob in [[UInt8](), [0x60, 0x01], Array(repeating: 0xA1, count: 75)] {
            try assertRoundTrip(SessionSetupAndXRequest.extended(ExtendedSessionSetupRequest(
                parameters: p, securityBlob: blob, nativeOS: "Unix", nativeLanMan: "Samba")), header: rq)
            try assertRoundTrip(SessionSetupAndXResponse.extended(ExtendedSessionSetupResponse(
                action: 1, securityBlob: blob, nativeOS: "Windows 6.1", nativeLanMan: "Samba", primaryDomain: "WG")),
                header: rs)
        }
        try assertRoundTrip(SessionSetupAndXResponse.oldStyle(OldStyleSessionSetupResponse(
            action: 0, nativeOS: "Unix", nativeLanMan: "Samba", primaryDomain: "WORKGROUP")), header: rs)
        // Peers that leave strings out.
        try assertRoundTrip(SessionSetupAndXResponse.oldStyle(OldStyleSessionSetupResponse(
            nativeOS: nil, nativeLanMan: nil, primaryDomain: nil)), header: rs)
        try assertRoundTrip(SessionSetupAndXResponse.extended(ExtendedSessionSetupResponse(
            securityBlob: [1, 2, 3], nativeOS: "Windows", nativeLanMan: nil, primaryDomain: nil)), header: rs)
    }

    @Test(arguments: unicodeModes) func treeConnect(unicode: Bool) throws {
        try assertRoundTrip(TreeConnectAndXRequest(path: #"\\SERVER\share"#),
                            header: TestHeaders.request(.treeConnectAndX, unicode: unicode))
        try assertRoundTrip(TreeConnectAndXRequest(flags: 8, password: [1, 2, 3], path: #"\\S\IPC$"#, service: "IPC"),
                            header: TestHeaders.request(.treeConnectAndX, unicode: unicode))
        let h = TestHeaders.response(.treeConnectAndX, unicode: unicode)
        try assertRoundTrip(TreeConnectAndXResponse(optionalSupport: 1, service: "A:", nativeFileSystem: "NTFS"), header: h)
        try assertRoundTrip(TreeConnectAndXResponse(optionalSupport: 1,
                                                    maximalAccess: .init(maximalShareAccessRights: 0x1F01FF,
                                                                         guestMaximalShareAccessRights: 0),
                                                    service: "IPC", nativeFileSystem: ""), header: h)
        try assertRoundTrip(TreeConnectAndXResponse(optionalSupport: 0, service: nil, nativeFileSystem: nil), header: h)
    }

    @Test(arguments: unicodeModes) func ntCreate(unicode: Bool) throws {
        let rq = TestHeaders.request(.ntCreateAndX, unicode: unicode)
        for layout in [NTCreateAndXRequest.NameLayout(), .init(lengthIncludesTerminator: false, trailing: [0, 0]),
                       .init(lengthIncludesTerminator: false)] {
            try assertRoundTrip(NTCreateAndXRequest(flags: 0x16, desiredAccess: 0x80000000, shareAccess: 7,
                                                    createDisposition: 1, createOptions: 0x40,
                                                    fileName: #"\dir\naïve file.txt"#, nameLayout: layout), header: rq)
        }
        try assertRoundTrip(NTCreateAndXRequest(desiredAccess: 1, shareAccess: 1, createDisposition: 1, createOptions: 0,
                                                fileName: ""), header: rq)
        let t: UInt64 = 0x01D0_0000_0000_0000
        var reply = NTCreateAndXResponse(oplockLevel: 2, fid: 0x4001, createDisposition: 1, creationTime: t,
                                         lastAccessTime: t + 1, lastWriteTime: t + 2, changeTime: t + 3,
                                         extFileAttributes: 0x20, allocationSize: 1 << 20, endOfFile: 1_000_000)
        let rs = TestHeaders.response(.ntCreateAndX, unicode: unicode)
        try assertRoundTrip(reply, header: rs)
        reply.extended = .init(volumeGUID: Array(100..<116), fileId: 0x1122_3344_5566_7788,
                               maximalAccessRights: 0x1F01FF, guestMaximalAccessRights: 0x120089)
        let bytes = try assertRoundTrip(reply, header: rs)
        // WordCount says 42; 100 bytes of words then ByteCount 0 follow.
        #expect(bytes[32] == 42)
        #expect(bytes.count == 32 + 1 + 100 + 2)
    }

    @Test func readAndX() throws {
        try assertRoundTrip(ReadAndXRequest(fid: 1, offset: 0x1_2345_6789, count: 0x2_0000))
        try assertRoundTrip(ReadAndXRequest(fid: 1, offset: 4096, maxCountOfBytesToReturn: 4096, minCountOfBytesToReturn: 0,
                                            timeoutOrMaxCountHigh: 0xFFFF_FFFF, hasOffsetHigh: false))
        #expect(ReadAndXRequest(fid: 1, offset: 0, count: 0x1_0000 + 5).maxCount == 0x1_0005)
        let payload = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try assertRoundTrip(ReadAndXResponse(available: 0xFFFF, data: payload[...]))
        try assertRoundTrip(ReadAndXResponse(data: []))
        try assertRoundTrip(ReadAndXResponse(data: payload[...], layout: .init(pad: [0, 0, 0, 0, 0], trailing: [9])))
    }

    @Test(arguments: unicodeModes) func smallCommands(unicode: Bool) throws {
        func rq(_ c: SMBCommand) -> SMBHeader { TestHeaders.request(c, unicode: unicode) }
        func rs(_ c: SMBCommand) -> SMBHeader { TestHeaders.response(c, unicode: unicode) }
        try assertRoundTrip(CloseRequest(fid: 0x4001, lastTimeModified: 0), header: rq(.close))
        try assertRoundTrip(CloseResponse(), header: rs(.close))
        try assertRoundTrip(TreeDisconnectRequest(), header: rq(.treeDisconnect))
        try assertRoundTrip(TreeDisconnectResponse(), header: rs(.treeDisconnect))
        try assertRoundTrip(LogoffAndXRequest(), header: rq(.logoffAndX))
        try assertRoundTrip(LogoffAndXResponse(andX: AndXTrailer(reserved: 0, terminalOffset: 39)), header: rs(.logoffAndX))
        try assertRoundTrip(EchoRequest(echoCount: 3, data: Array("ping".utf8)), header: rq(.echo))
        try assertRoundTrip(EchoResponse(sequenceNumber: 2, data: []), header: rs(.echo))
    }

    @Test(arguments: unicodeModes) func trans2(unicode: Bool) throws {
        let rq = TestHeaders.request(.transaction2, unicode: unicode)
        let rs = TestHeaders.response(.transaction2, unicode: unicode)
        let path = Trans2QueryPathInformationRequest(informationLevel: .queryFileBasicInfo, fileName: #"\a\b.txt"#)
        try assertRoundTrip(path.request(unicode: unicode), header: rq)
        // The kernel's layout: one Name byte, parameters at an even offset, DataOffset 0.
        let kernelStyle = path.request(unicode: unicode, layout: Trans2Layout(parameterPad: [0], emptyDataOffset: 0))
        let bytes = try assertRoundTrip(kernelStyle, header: rq)
        #expect(Int(bytes[57]) | Int(bytes[58]) << 8 == 0)  // DataOffset
        #expect(Int(bytes[53]) | Int(bytes[54]) << 8 == 66)  // ParameterOffset
        let withData = Trans2Request(totalParameterCount: 10, totalDataCount: 40, maxParameterCount: 10, maxDataCount: 100,
                                     maxSetupCount: 2, flags: 0, timeout: 1000, setup: [0x0008, 0xBEEF],
                                     parameters: [1, 2, 3], data: Array(repeating: 0xEE, count: 17))
        try assertRoundTrip(withData, header: rq)
        try assertRoundTrip(Trans2Request(totalParameterCount: 0, totalDataCount: 0, maxParameterCount: 0, maxDataCount: 0,
                                          setup: [], parameters: [], data: []), header: rq)
        let info = Trans2RequestInfo(subcommand: .queryPathInformation, informationLevel: .queryFileBasicInfo)
        let basic = FileInformation.basic(FileBasicInfo(creationTime: 1, lastAccessTime: 2, lastWriteTime: 3, changeTime: 4,
                                                        extFileAttributes: 0x10))
        try assertRoundTrip(Trans2QueryInformationResponseParameters().response(basic, unicode: unicode), header: rs,
                            trans2Request: info)
        try assertRoundTrip(Trans2Response(totalParameterCount: 4, totalDataCount: 0, parameterDisplacement: 2,
                                           setup: [1], parameters: [1, 2], data: []), header: rs)
        try assertRoundTrip(Trans2Response(parameters: [], data: [5, 6, 7]), header: rs)
    }
}
