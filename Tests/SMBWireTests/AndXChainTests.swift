import Testing
@testable import SMBWire

@Suite struct AndXChainTests {
    static let setup = SessionSetupAndXRequest.oldStyle(OldStyleSessionSetupRequest(
        parameters: SessionSetupParameters(maxBufferSize: 4356, maxMpxCount: 50, capabilities: [.unicode, .ntSMBs]),
        caseInsensitivePassword: Array(repeating: 1, count: 24), caseSensitivePassword: Array(repeating: 2, count: 24),
        accountName: "bob", primaryDomain: "DOM", nativeOS: "OS", nativeLanMan: "LM"))
    static let tree = TreeConnectAndXRequest(path: #"\\SRV\share"#)

    static func chained(gap: [UInt8] = []) throws -> [UInt8] {
        var e = try SMBPacketEncoder(header: TestHeaders.request(.sessionSetupAndX))
        try e.append(setup)
        try e.append(tree, gapBefore: gap)
        return e.bytes
    }

    @Test func decodesAndReencodesAChain() throws {
        let bytes = try Self.chained()
        let layout = try SMBMessageLayout.parse(bytes)
        #expect(layout.blocks.map(\.command) == [.sessionSetupAndX, .treeConnectAndX])
        let second = layout.blocks[1].offset
        #expect(layout.blocks[0].andX == AndXHeader(command: .treeConnectAndX, reserved: 0, offset: UInt16(second)))
        #expect(layout.blocks[1].andX == AndXHeader())
        let decoded = try SMBMessage.decode(bytes)
        #expect(decoded.value.blocks.map(\.body) == [.sessionSetupRequest(Self.setup), .treeConnectRequest(Self.tree)])
        #expect(try decoded.value.encode() == bytes)
        #expect(span(decoded.spans, "SessionSetupAndXRequest.AndXOffset")?.meaning == "next command at \(second)")
        #expect(span(decoded.spans, "SessionSetupAndXRequest.AndXCommand")?.meaning == "SMB_COM_TREE_CONNECT_ANDX")
        assertSpansCover(decoded.spans, count: bytes.count)
        #expect(decoded.value.title.hasPrefix("SESSION_SETUP_ANDX request SESSION_SETUP_ANDX: old-style"))
        #expect(decoded.value.title.hasSuffix(#"+ TREE_CONNECT_ANDX: \\SRV\share service ?????"#))
    }

    @Test func keepsGapsBetweenChainedCommands() throws {
        let bytes = try Self.chained(gap: [0xAA, 0xBB, 0xCC])
        let decoded = try SMBMessage.decode(bytes)
        #expect(decoded.value.blocks[1].gapBefore == [0xAA, 0xBB, 0xCC])
        #expect(try decoded.value.encode() == bytes)
        #expect(span(decoded.spans, "AndXGap")?.range.count == 3)
    }

    @Test func rawAndXBlocksLinkToo() throws {
        let locking = SMBRawBlock(command: .lockingAndX, wordCount: 8, parameters: [0xFF, 0, 0, 0] + Array(repeating: 5, count: 12),
                                  byteCount: 0, data: [])
        var e = try SMBPacketEncoder(header: TestHeaders.request(.lockingAndX))
        try e.append(locking)
        try e.append(ReadAndXRequest(fid: 9, offset: 0, count: 100))
        let bytes = e.bytes
        #expect(bytes[33] == SMBCommand.readAndX.rawValue)
        #expect(Int(bytes[35]) | Int(bytes[36]) << 8 == 32 + 1 + 16 + 2)
        let decoded = try SMBMessage.decode(bytes)
        guard case let .raw(raw) = decoded.value.blocks[0].body else {
            Issue.record("expected a raw block")
            return
        }
        #expect(raw.command == .lockingAndX && raw.parameters.count == 16)
        #expect(decoded.value.blocks[1].body == .readRequest(ReadAndXRequest(fid: 9, offset: 0, count: 100)))
        #expect(try decoded.value.encode() == bytes)
        #expect(span(decoded.spans, "LOCKING_ANDX.Words")?.meaning == "not decoded")
    }

    @Test func cannotChainAfterANonAndXCommand() throws {
        var e = try SMBPacketEncoder(header: TestHeaders.request(.close))
        try e.append(CloseRequest(fid: 1))
        #expect(throws: WireError.invalidValue(field: "AndXCommand", reason: "CLOSE cannot follow a non-AndX command")) {
            try e.append(CloseRequest(fid: 2))
        }
    }

    @Test func selfAndBackwardOffsetsAreLoops() throws {
        var bytes = try Self.chained()
        let blockEnd = try SMBMessageLayout.parse(bytes).blocks[0].endOffset
        for offset in [32, 33, 40, blockEnd - 1] {
            bytes[35] = UInt8(offset & 0xFF)
            bytes[36] = UInt8(offset >> 8)
            #expect(throws: WireError.andXLoop(offset: offset)) { _ = try SMBMessageLayout.parse(bytes) }
            #expect(throws: WireError.andXLoop(offset: offset)) { _ = try SMBMessage.decode(bytes) }
        }
    }

    @Test func offsetsPastThePacketAreOutOfRange() throws {
        var bytes = try Self.chained()
        for offset in [bytes.count, bytes.count - 2, 0xFFFF] {
            bytes[35] = UInt8(offset & 0xFF)
            bytes[36] = UInt8(offset >> 8)
            #expect(throws: WireError.outOfRange(field: "SESSION_SETUP_ANDX.AndXOffset", offset: offset, length: 3,
                                                 limit: bytes.count)) {
                _ = try SMBMessageLayout.parse(bytes)
            }
        }
    }

    @Test func chainOfSelfReferencesTerminates() throws {
        // Every block points at the next byte after itself with an empty AndX block: the
        // chain must stop at the end of the packet, not loop.
        var e = try SMBPacketEncoder(header: TestHeaders.request(.logoffAndX))
        for _ in 0..<50 { try e.append(LogoffAndXRequest()) }
        let decoded = try SMBMessage.decode(e.bytes)
        #expect(decoded.value.blocks.count == 50)
        #expect(try decoded.value.encode() == e.bytes)
    }
}
