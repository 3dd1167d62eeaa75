import Testing
@testable import SMBWire

/// What real peers send that the specs do not quite allow: decoded, and re-encoded exactly.
@Suite struct PeerQuirkTests {
    let response = TestHeaders.response(.sessionSetupAndX)

    /// Old-style session setup response: words = AndX + Action; data starts at offset 41 (odd).
    func oldStyleReply(_ data: [UInt8]) throws -> [UInt8] {
        try rawPacket(response, words: noAndX + [0, 0], bytes: data)
    }

    func decodeOldStyle(_ packet: [UInt8]) throws -> OldStyleSessionSetupResponse {
        let decoded = try SessionSetupAndXResponse.decodePacket(packet)
        #expect(try decoded.value.encode() == packet)
        assertSpansCover(decoded.spans, count: packet.count)
        guard case let .oldStyle(v) = decoded.value.body else { throw WireError.unsupported("not old-style") }
        return v
    }

    @Test func nonZeroPadByteIsKept() throws {
        let v = try decodeOldStyle(try oldStyleReply([0x5A] + utf16("Unix") + [0, 0]))
        #expect(v.nativeOS == "Unix" && v.nativeLanMan == nil)
        #expect(v.layout.padOverrides == [0: [0x5A]])
    }

    @Test func lastStringWithoutTerminator() throws {
        // Windows 2000 is known to leave the terminator off the last string.
        let v = try decodeOldStyle(try oldStyleReply([0] + utf16("Windows 5.0") + [0, 0] + utf16("Windows 2000 LAN Manager")))
        #expect(v.nativeOS == "Windows 5.0" && v.nativeLanMan == "Windows 2000 LAN Manager" && v.primaryDomain == nil)
        #expect(v.layout.lastUnterminated)
    }

    @Test func missingStringsAndOddLeftovers() throws {
        var v = try decodeOldStyle(try oldStyleReply([]))
        #expect(v.nativeOS == nil && v.layout == SMBStringLayout())
        v = try decodeOldStyle(try oldStyleReply([0]))  // a lone pad byte
        #expect(v.nativeOS == nil && v.layout.trailing == [0])
        v = try decodeOldStyle(try oldStyleReply([0] + utf16("A") + [0, 0, 0x41]))  // odd byte after
        #expect(v.nativeOS == "A" && v.nativeLanMan == nil && v.layout.trailing == [0x41])
        v = try decodeOldStyle(try oldStyleReply([0] + utf16("A") + [0, 0] + utf16("B") + [0, 0] + utf16("C") + [0, 0, 9, 9]))
        #expect(v.primaryDomain == "C" && v.layout.trailing == [9, 9])
    }

    @Test func oemStringsAreLatin1() throws {
        var h = response
        h.flags2.remove(.unicode)
        let packet = try rawPacket(h, words: noAndX + [0, 0], bytes: [0x55, 0xE9, 0x00, 0x41, 0x00])
        let decoded = try SessionSetupAndXResponse.decodePacket(packet)
        guard case let .oldStyle(v) = decoded.value.body else { throw WireError.unsupported("form") }
        #expect(v.nativeOS == "Ué" && v.nativeLanMan == "A")
        #expect(try decoded.value.encode() == packet)
    }

    @Test func treeConnectResponseWithoutNativeFileSystem() throws {
        let h = TestHeaders.response(.treeConnectAndX)
        let packet = try rawPacket(h, words: noAndX + [1, 0], bytes: Array("A:".utf8) + [0])
        let decoded = try TreeConnectAndXResponse.decodePacket(packet)
        #expect(decoded.value.body.service == "A:" && decoded.value.body.nativeFileSystem == nil)
        #expect(try decoded.value.encode() == packet)
    }

    @Test func ntCreateNameWithoutTerminatorInNameLength() throws {
        // Windows clients: NameLength excludes the terminator, which still follows.
        let h = TestHeaders.request(.ntCreateAndX)
        var words = noAndX + [0]
        let name = utf16(#"\f"#)
        words += [UInt8(name.count), 0] + [UInt8](repeating: 0, count: 48 - 7)
        let packet = try rawPacket(h, words: words, bytes: [0] + name + [0, 0])
        let decoded = try NTCreateAndXRequest.decodePacket(packet)
        #expect(decoded.value.body.fileName == #"\f"#)
        #expect(decoded.value.body.nameLayout == .init(lengthIncludesTerminator: false, trailing: [0, 0]))
        #expect(try decoded.value.encode() == packet)
    }

    @Test func negotiateResponseStringsAreNotAligned() throws {
        // The challenge ends at offset 77 (odd) and the domain follows with no pad.
        let packet = try Fixtures.named("oldstyle-ntlmv2-002-s2c-negotiate.bin")
        let decoded = try NegotiateResponse.decodePacket(packet)
        guard case let .ntLM012(r) = decoded.value.body, case let .challenge(c) = r.security else {
            throw WireError.unsupported("form")
        }
        #expect(c.domainName == "WORKGROUP" && c.serverName == "SMBLAB" && c.challenge.count == 8)
        #expect(span(decoded.spans, "NegotiateResponse.DomainName")?.range == 77..<97)
    }
}
