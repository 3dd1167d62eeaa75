import Testing
@testable import SMBWire

@Suite struct AVPairTests {
    @Test func namesForEveryID() {
        let names = (0...10).map { AVPairID(rawValue: UInt16($0)).name }
        #expect(names == ["MsvAvEOL", "MsvAvNbComputerName", "MsvAvNbDomainName", "MsvAvDnsComputerName",
                          "MsvAvDnsDomainName", "MsvAvDnsTreeName", "MsvAvFlags", "MsvAvTimestamp",
                          "MsvAvSingleHost", "MsvAvTargetName", "MsvChannelBindings"])
        #expect(AVPairID(rawValue: 0x0b).name == "MsvAv(0x000b)")
        let unicode: [AVPairID] = [.nbComputerName, .nbDomainName, .dnsComputerName, .dnsDomainName, .dnsTreeName, .targetName]
        #expect(unicode.allSatisfy { $0.isUnicodeString })
        #expect(![AVPairID.eol, .flags, .timestamp, .singleHost, .channelBindings].contains { $0.isUnicodeString })
    }

    @Test func encodesExactBytes() throws {
        let list = AVPairList([AVPair(id: .nbDomainName, string: "Domain"), .flags(0x2), .timestamp(0x0102_0304_0506_0708)])
        let bytes = try list.encode()
        #expect(Hex.encode(bytes) == "02000c00" + "44006f006d00610069006e00" + "06000400" + "02000000"
            + "07000800" + "0807060504030201" + "00000000")
        let back = try AVPairList.decode(bytes)
        #expect(back.value == list)
        #expect(back.value[.flags]?.integerValue == 2)
        #expect(back.value[.timestamp]?.integerValue == 0x0102_0304_0506_0708)
        #expect(back.value[.nbDomainName]?.stringValue == "Domain")
        #expect(spansTile(back.spans, 0..<bytes.count))
        let flagsSpan = try #require(span(back.spans, "AVPairs[1].Value"))
        #expect(flagsSpan.value == "0x00000002")
        #expect(flagsSpan.meaning == "MIC present")
        #expect(span(back.spans, "AVPairs[0].Value")?.value == "\"Domain\"")
        #expect(span(back.spans, "AVPairs[3].AvId")?.meaning == "MsvAvEOL")
    }

    @Test func emptyListIsJustTheTerminator() throws {
        #expect(try AVPairList().encode() == [0, 0, 0, 0])
        #expect(try AVPairList.decode([0, 0, 0, 0]).value == AVPairList())
    }

    @Test func bytesAfterTheTerminatorAreKept() throws {
        let bytes: [UInt8] = [1, 0, 2, 0, 0x41, 0, 0, 0, 0, 0, 0xde, 0xad]
        let a = try AVPairList.decode(bytes, base: 7)
        #expect(a.value.pairs == [AVPair(id: .nbComputerName, string: "A")])
        #expect(a.value.trailing == [0xde, 0xad])
        #expect(span(a.spans, "AVPairs.trailing")?.range == 17..<19)
        #expect(try a.value.encode() == bytes)
    }

    @Test func malformedLists() {
        // No terminator.
        #expect(wireError { _ = try AVPairList.decode([1, 0, 2, 0, 0x41, 0]) }
            == .invalidValue(field: "AVPairs", reason: "AV pair list has no MsvAvEOL terminator"))
        #expect(wireError { _ = try AVPairList.decode([]) } != nil)
        // Pair header cut short.
        #expect(wireError { _ = try AVPairList.decode([1, 0, 2]) }
            == .truncated(field: "AVPairs[0].AvLen", needed: 2, available: 1))
        // Value cut short.
        #expect(wireError { _ = try AVPairList.decode([1, 0, 8, 0, 0x41, 0]) }
            == .truncated(field: "AVPairs[0].Value", needed: 8, available: 2))
        // Terminator with a length.
        #expect(wireError { _ = try AVPairList.decode([0, 0, 2, 0, 0, 0]) }
            == .invalidValue(field: "AVPairs[0].AvLen", reason: "MsvAvEOL must be 0 bytes, got 2"))
        // Fixed sizes.
        #expect(wireError { _ = try AVPairList.decode([6, 0, 2, 0, 1, 0, 0, 0, 0, 0]) }
            == .invalidValue(field: "AVPairs[0].AvLen", reason: "MsvAvFlags must be 4 bytes, got 2"))
        #expect(wireError { _ = try AVPairList.decode([7, 0, 4, 0, 1, 2, 3, 4, 0, 0, 0, 0]) } != nil)
        #expect(wireError { _ = try AVPairList.decode([10, 0, 8, 0] + [UInt8](repeating: 0, count: 12)) } != nil)
        // Odd-length Unicode.
        #expect(wireError { _ = try AVPairList.decode([2, 0, 3, 0, 0x41, 0, 0x42, 0, 0, 0, 0]) }
            == .invalidValue(field: "AVPairs[0].AvLen", reason: "MsvAvNbDomainName is UTF-16 but has odd length 3"))
    }

    @Test func encodeRefusesAnEmbeddedTerminator() {
        let list = AVPairList([AVPair(id: .eol, value: [])])
        #expect(wireError { _ = try list.encode() }
            == .invalidValue(field: "AVPair[0]", reason: "MsvAvEOL may only terminate the list"))
    }

    @Test func fileTimeRendering() {
        #expect(FileTime.describe(0x01dd_7d85_e0c3_7d42) == "2026-11-26 09:09:44.6013250 UTC")
        #expect(FileTime.describe(116_444_736_000_000_000) == "1970-01-01 00:00:00.0000000 UTC")
        #expect(FileTime.describe(0) == "not set")
    }
}
