import Testing
@testable import SMBWire

/// Every way a message can be broken ends in a specific WireError.
@Suite struct MalformedTests {
    @Test(arguments: Fixtures.all)
    func everyStrictPrefixIsAnError(_ fixture: Fixtures.Fixture) {
        for length in 0..<fixture.bytes.count {
            let prefix = Array(fixture.bytes.prefix(length))
            #expect(throws: WireError.self, "\(fixture.name) cut at \(length)") { _ = try SMBMessage.decode(prefix) }
            let summary = SMBMessage.annotate(prefix)
            #expect(summary.value.message == nil && summary.value.problem != nil)
        }
    }

    @Test func shortBuffersAreTruncated() throws {
        #expect(throws: WireError.truncated(field: "header.Protocol", needed: 4, available: 0)) { _ = try SMBMessage.decode([]) }
        let header = try TestHeaders.request(.close).encode()
        #expect(throws: WireError.truncated(field: "CLOSE.WordCount", needed: 1, available: 0)) {
            _ = try SMBMessage.decode(header)
        }
        #expect(throws: WireError.truncated(field: "CLOSE.Words+ByteCount", needed: 8, available: 3)) {
            _ = try SMBMessage.decode(header + [3, 1, 2, 3])
        }
    }

    @Test func byteCountPastTheEnd() throws {
        let packet = try rawPacket(TestHeaders.request(.echo), words: [1, 0], byteCount: 10, bytes: [1, 2, 3])
        #expect(throws: WireError.outOfRange(field: "ECHO.ByteCount", offset: 37, length: 10, limit: 40)) {
            _ = try SMBMessage.decode(packet)
        }
    }

    @Test func wrongWordCounts() throws {
        let cases: [(SMBHeader, [UInt8], WireError)] = [
            (TestHeaders.request(.negotiate), [1, 0], .wrongWordCount(command: "NegotiateRequest", got: 1, expected: [0])),
            (TestHeaders.response(.negotiate), [0, 0, 0, 0], .wrongWordCount(command: "NegotiateResponse", got: 2, expected: [1, 17])),
            (TestHeaders.request(.sessionSetupAndX), noAndX + [0, 0], .wrongWordCount(command: "SessionSetupAndXRequest", got: 3, expected: [12, 13])),
            (TestHeaders.response(.sessionSetupAndX), noAndX, .wrongWordCount(command: "SessionSetupAndXResponse", got: 2, expected: [3, 4])),
            (TestHeaders.request(.treeConnectAndX), noAndX, .wrongWordCount(command: "TreeConnectAndXRequest", got: 2, expected: [4])),
            (TestHeaders.response(.treeConnectAndX), noAndX + [0, 0, 0, 0], .wrongWordCount(command: "TreeConnectAndXResponse", got: 4, expected: [3, 7])),
            (TestHeaders.request(.ntCreateAndX), noAndX, .wrongWordCount(command: "NTCreateAndXRequest", got: 2, expected: [24])),
            (TestHeaders.response(.ntCreateAndX), noAndX, .wrongWordCount(command: "NTCreateAndXResponse", got: 2, expected: [34, 42])),
            (TestHeaders.request(.readAndX), noAndX + [0, 0], .wrongWordCount(command: "ReadAndXRequest", got: 3, expected: [10, 12])),
            (TestHeaders.response(.readAndX), noAndX, .wrongWordCount(command: "ReadAndXResponse", got: 2, expected: [12])),
            (TestHeaders.request(.close), [1, 0], .wrongWordCount(command: "CloseRequest", got: 1, expected: [3])),
            (TestHeaders.response(.close), [1, 0], .wrongWordCount(command: "CloseResponse", got: 1, expected: [0])),
            (TestHeaders.request(.logoffAndX), [], .wrongWordCount(command: "LogoffAndXRequest", got: 0, expected: [2])),
            (TestHeaders.request(.echo), [], .wrongWordCount(command: "EchoRequest", got: 0, expected: [1])),
            (TestHeaders.request(.transaction2), [UInt8](repeating: 0, count: 26), .wrongWordCount(command: "Trans2Request", got: 13, expected: [15])),
            (TestHeaders.response(.transaction2), [UInt8](repeating: 0, count: 22), .wrongWordCount(command: "Trans2Response", got: 11, expected: [10])),
        ]
        for (header, words, error) in cases {
            let packet = try rawPacket(header, words: words, bytes: [])
            #expect(throws: error) { _ = try SMBMessage.decode(packet) }
        }
    }

    @Test func trans2OffsetsOutOfRange() throws {
        let good = try Trans2QueryFileInformationRequest(fid: 1, informationLevel: .queryFileAllInfo).request()
            .encodePacket(header: TestHeaders.request(.transaction2))
        var bad = good
        bad[53] = 200  // ParameterOffset past the block
        #expect(throws: WireError.outOfRange(field: "Trans2Request.ParameterOffset", offset: 200, length: 4, limit: 72)) {
            _ = try SMBMessage.decode(bad)
        }
        bad = good
        bad[53] = 40  // ParameterOffset into the words
        #expect(throws: WireError.outOfRange(field: "Trans2Request.ParameterOffset", offset: 40, length: 4, limit: 72)) {
            _ = try SMBMessage.decode(bad)
        }
        bad = good
        bad[51] = 9  // ParameterCount longer than the bytes
        #expect(throws: WireError.outOfRange(field: "Trans2Request.ParameterOffset", offset: 68, length: 9, limit: 72)) {
            _ = try SMBMessage.decode(bad)
        }
        bad = good
        bad[55] = 2  // DataCount 2 at DataOffset 72 = end of block
        #expect(throws: WireError.outOfRange(field: "Trans2Request.DataOffset", offset: 72, length: 2, limit: 72)) {
            _ = try SMBMessage.decode(bad)
        }
        bad = good
        bad[55] = 2
        bad[57] = 69  // data overlapping the parameters
        #expect(throws: WireError.outOfRange(field: "Trans2Request.DataOffset", offset: 69, length: 2, limit: 72)) {
            _ = try SMBMessage.decode(bad)
        }
        bad = good
        bad[59] = 2  // SetupCount 2 with WordCount 15
        #expect(throws: WireError.wrongWordCount(command: "Trans2Request", got: 15, expected: [16])) {
            _ = try SMBMessage.decode(bad)
        }
    }

    @Test func lengthsBeyondTheData() throws {
        // Session setup with a password length larger than the data.
        var words = noAndX + [UInt8](repeating: 0, count: 10)
        words += [0xFF, 0x00, 0x00, 0x00] + [UInt8](repeating: 0, count: 8)
        let setup = try rawPacket(TestHeaders.request(.sessionSetupAndX), words: words, bytes: [1, 2, 3])
        #expect(throws: WireError.truncated(field: "SessionSetupAndXRequest.OEMPassword", needed: 255, available: 3)) {
            _ = try SMBMessage.decode(setup)
        }
        // Extended security blob longer than the data.
        let blob = try rawPacket(TestHeaders.response(.sessionSetupAndX, status: .moreProcessingRequired),
                                 words: noAndX + [0, 0, 50, 0], bytes: [0x60])
        #expect(throws: WireError.truncated(field: "SessionSetupAndXResponse.SecurityBlob", needed: 50, available: 1)) {
            _ = try SMBMessage.decode(blob)
        }
        // NT_CREATE_ANDX NameLength past the data.
        var create = try Fixtures.named("ntlmssp-015-c2s-nt-create.bin")
        create[38] = 40
        #expect(throws: WireError.outOfRange(field: "NTCreateAndXRequest.FileName", offset: 84, length: 40, limit: 108)) {
            _ = try SMBMessage.decode(create)
        }
        // Tree connect password past the data.
        var tree = try Fixtures.named("ntlmssp-013-c2s-tree-connect.bin")
        tree[39] = 0x60
        #expect(throws: WireError.truncated(field: "TreeConnectAndXRequest.Password", needed: 96, available: 43)) {
            _ = try SMBMessage.decode(tree)
        }
    }

    @Test func invalidValues() throws {
        var negotiate = try Fixtures.named("ntlmssp-001-c2s-negotiate.bin")
        negotiate[35] = 0x03
        #expect(throws: WireError.invalidValue(field: "NegotiateRequest.Dialects[0].BufferFormat", reason: "expected 0x02, got 0x03")) {
            _ = try SMBMessage.decode(negotiate)
        }
        negotiate = try Fixtures.named("ntlmssp-001-c2s-negotiate.bin")
        negotiate[negotiate.count - 1] = 0x41  // last dialect unterminated
        #expect(throws: WireError.truncated(field: "NegotiateRequest.Dialects[1].Name", needed: 1, available: 0)) {
            _ = try SMBMessage.decode(negotiate)
        }
        var reply = try Fixtures.named("ntlmssp-002-s2c-negotiate.bin")
        reply[66] = 8  // ChallengeLength with extended security
        #expect(throws: WireError.invalidValue(field: "NegotiateResponse.ChallengeLength",
                                               reason: "must be 0 with extended security, got 8")) {
            _ = try SMBMessage.decode(reply)
        }
        let close = try Fixtures.named("ntlmssp-021-c2s-close.bin")
        #expect(throws: WireError.invalidValue(field: "header.Command", reason: "expected READ_ANDX, got CLOSE")) {
            _ = try ReadAndXRequest.decodePacket(close)
        }
        #expect(throws: WireError.invalidValue(field: "header.Flags", reason: "expected a response (REPLY set)")) {
            _ = try CloseResponse.decodePacket(close)
        }
        let closeWithData = try rawPacket(TestHeaders.request(.close), words: [1, 0, 0, 0, 0, 0], bytes: [7])
        #expect(throws: WireError.invalidValue(field: "CloseRequest.ByteCount", reason: "must be 0, got 1")) {
            _ = try SMBMessage.decode(closeWithData)
        }
    }

    @Test func encodersRefuseWhatTheWireCannotCarry() throws {
        let h = TestHeaders.request(.sessionSetupAndX)
        let huge = [UInt8](repeating: 0, count: 70_000)
        let p = SessionSetupParameters(maxBufferSize: 1, maxMpxCount: 1, capabilities: [])
        #expect(throws: WireError.tooLarge(field: "SessionSetupAndXRequest.SecurityBlob", length: 70_000, cap: 65_535)) {
            _ = try SessionSetupAndXRequest.extended(ExtendedSessionSetupRequest(parameters: p, securityBlob: huge,
                                                                                 nativeOS: nil, nativeLanMan: nil)).encodePacket(header: h)
        }
        #expect(throws: WireError.tooLarge(field: "ByteCount", length: 70_000, cap: 65_535)) {
            _ = try EchoRequest(data: huge).encodePacket(header: TestHeaders.request(.echo))
        }
        #expect(throws: WireError.invalidValue(field: "ReadAndXRequest.Offset", reason: "offset above 4 GiB needs the 12-word form")) {
            _ = try ReadAndXRequest(fid: 1, offset: 1 << 33, maxCountOfBytesToReturn: 1, minCountOfBytesToReturn: 1,
                                    hasOffsetHigh: false).encodePacket(header: TestHeaders.request(.readAndX))
        }
        let mismatched = NTLM012NegotiateResponse(dialectIndex: 0, securityMode: [], maxMpxCount: 1, maxNumberVcs: 1,
                                                  maxBufferSize: 1, maxRawSize: 1, sessionKey: 0, capabilities: [],
                                                  systemTime: 0, serverTimeZone: 0,
                                                  security: .extended(serverGUID: Array(0..<16), securityBlob: []))
        #expect(throws: WireError.self) {
            _ = try NegotiateResponse.ntLM012(mismatched).encodePacket(header: TestHeaders.response(.negotiate))
        }
    }

    @Test func annotateNeverThrowsAndSaysWhy() throws {
        var packet = try Fixtures.named("ntlmssp-020-s2c-read.bin")
        packet[45] = 200
        let a = SMBMessage.annotate(packet)
        #expect(a.value.message == nil)
        #expect(a.value.problem == .outOfRange(field: "ReadAndXResponse.DataOffset", offset: 200, length: 33, limit: 93))
        #expect(a.value.title.hasPrefix("READ_ANDX response (malformed: "))
        #expect(span(a.spans, "header.MID") != nil && span(a.spans, "READ_ANDX.Words") != nil)
        assertSpansCover(a.spans, count: packet.count)
        let garbage = SMBMessage.annotate([1, 2, 3])
        #expect(garbage.value.title.hasPrefix("not an SMB1 message"))
    }
}
