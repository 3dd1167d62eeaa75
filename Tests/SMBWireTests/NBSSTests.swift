import Testing
@testable import SMBWire

@Suite struct NBSSTests {
    @Test func encodesHeaderAsZeroAnd24BitBigEndianLength() throws {
        #expect(try NBSSFrame.encode([0xAA, 0xBB]) == [0x00, 0x00, 0x00, 0x02, 0xAA, 0xBB])
        #expect(try NBSSFrame.header(length: 0x12_3456) == [0x00, 0x12, 0x34, 0x56])
        #expect(try NBSSFrame.header(length: 0xFF_FFFF) == [0x00, 0xFF, 0xFF, 0xFF])
        #expect(throws: WireError.tooLarge(field: "NBSS.Length", length: 0x100_0000, cap: 0xFF_FFFF)) {
            _ = try NBSSFrame.header(length: 0x100_0000)
        }
    }

    @Test func decodesMessagesFedOneByteAtATime() throws {
        let a: [UInt8] = Array(0..<10)
        let b: [UInt8] = [0xFF, 0x53, 0x4D, 0x42]
        let stream = try NBSSFrame.encode(a) + [0x85, 0, 0, 0] + NBSSFrame.encode(b) + NBSSFrame.encode([])
        var decoder = NBSSDecoder()
        var messages: [[UInt8]] = []
        for byte in stream {
            decoder.feed([byte])
            while let m = try decoder.next() { messages.append(m) }
        }
        #expect(messages == [a, b, []])
        #expect(decoder.keepAlivesSkipped == 1)
        #expect(decoder.bufferedByteCount == 0)
        #expect(decoder.bytesNeeded == 4)
    }

    @Test func reportsBytesNeeded() throws {
        var decoder = NBSSDecoder()
        decoder.feed([0x00, 0x00])
        #expect(decoder.bytesNeeded == 2)
        decoder.feed([0x01, 0x00])
        #expect(decoder.bytesNeeded == 256)
        #expect(try decoder.next() == nil)
        decoder.feed([UInt8](repeating: 7, count: 255))
        #expect(decoder.bytesNeeded == 1)
        decoder.feed([7, 0x00])
        #expect(try decoder.next() == [UInt8](repeating: 7, count: 256))
        #expect(decoder.bufferedByteCount == 1)
        #expect(decoder.bytesNeeded == 3)
    }

    @Test func keepAliveWithBodyIsSkippedWhole() throws {
        var decoder = NBSSDecoder()
        decoder.feed([0x85, 0x00, 0x00, 0x02, 0xDE, 0xAD] + (try NBSSFrame.encode([1, 2, 3])))
        #expect(try decoder.next() == [1, 2, 3])
        #expect(try decoder.next() == nil)
    }

    /// Issue 13: a keep-alive announcing 16 MiB used to be buffered whole before it was
    /// skipped; now its length is capped like a message's and its body is never held.
    @Test func keepAliveIsCappedAndItsBodyNeverBuffered() throws {
        var capped = NBSSDecoder(maxMessageLength: 1000)
        capped.feed([0x85, 0x00, 0x03, 0xE9])  // 1001
        #expect(throws: WireError.tooLarge(field: "NBSS.Length", length: 1001, cap: 1000)) { _ = try capped.next() }

        var decoder = NBSSDecoder(maxMessageLength: 1000)
        decoder.feed([0x85, 0x00, 0x03, 0xE8])  // 1000, the cap
        #expect(try decoder.next() == nil)
        #expect(decoder.isInsideFrame && decoder.bytesNeeded == 1000)
        for _ in 0..<9 {
            decoder.feed([UInt8](repeating: 0xEE, count: 100))
            #expect(try decoder.next() == nil)
            #expect(decoder.bufferedByteCount == 0)
        }
        #expect(decoder.bytesNeeded == 100)
        decoder.feed([UInt8](repeating: 0xEE, count: 100) + (try NBSSFrame.encode([4, 5])))
        #expect(try decoder.next() == [4, 5])
        #expect(!decoder.isInsideFrame && decoder.keepAlivesSkipped == 1)
    }

    @Test func otherSessionTypesAreTypedErrorsAndStick() throws {
        var decoder = NBSSDecoder()
        decoder.feed([0x82, 0x00, 0x00, 0x00])
        let expected = WireError.invalidValue(field: "NBSS.Type",
                                              reason: "POSITIVE SESSION RESPONSE is not valid on direct TCP (port 445)")
        #expect(throws: expected) { _ = try decoder.next() }
        decoder.feed(try NBSSFrame.encode([1]))
        #expect(throws: expected) { _ = try decoder.next() }
    }

    @Test func lengthOverTheCapIsTooLarge() throws {
        var decoder = NBSSDecoder(maxMessageLength: 1000)
        decoder.feed([0x00, 0x00, 0x03, 0xE9])  // 1001
        #expect(throws: WireError.tooLarge(field: "NBSS.Length", length: 1001, cap: 1000)) { _ = try decoder.next() }
        var exact = NBSSDecoder(maxMessageLength: 1000)
        exact.feed(try NBSSFrame.encode([UInt8](repeating: 1, count: 1000)))
        #expect(try exact.next()?.count == 1000)
    }

    @Test func defaultCapAdmitsAny24BitLength() throws {
        // 16 MiB is one more than the largest 24-bit length, so the default never refuses.
        var decoder = NBSSDecoder()
        #expect(decoder.maxMessageLength == 16 * 1024 * 1024)
        decoder.feed([0x00, 0xFF, 0xFF, 0xFF])
        #expect(try decoder.next() == nil)
        #expect(decoder.bytesNeeded == 0xFF_FFFF)
    }

    /// A long stream of 64 KiB frames in odd-sized chunks: every message intact and in order,
    /// and the buffer never holds much more than a frame (it is compacted, not grown).
    @Test func longStreamInOddChunks() throws {
        var frames: [[UInt8]] = []
        for i in 0..<64 { frames.append([UInt8](repeating: UInt8(i), count: 65_536 + i)) }
        var stream: [UInt8] = []
        for f in frames { stream += try NBSSFrame.encode(f) }
        var decoder = NBSSDecoder()
        var out: [[UInt8]] = []
        var i = 0
        var maxBuffered = 0
        while i < stream.count {
            let n = min(7_001, stream.count - i)
            decoder.feed(stream[i..<(i + n)])
            i += n
            maxBuffered = max(maxBuffered, decoder.bufferedByteCount)
            while let m = try decoder.next() { out.append(m) }
        }
        #expect(out == frames)
        #expect(maxBuffered < 65_536 + 64 + 4 + 7_001)
    }

    @Test func feedsFromRawBuffers() throws {
        var decoder = NBSSDecoder()
        let bytes = try NBSSFrame.encode([9, 8, 7])
        bytes.withUnsafeBytes { decoder.feed($0) }
        #expect(try decoder.next() == [9, 8, 7])
    }

    @Test func annotatesFrameHeader() throws {
        let a = try NBSSFrame.annotateHeader([0x00, 0x00, 0x01, 0x02])
        #expect(a.value.type == 0 && a.value.length == 258)
        #expect(a.spans.map(\.name) == ["NBSS.Type", "NBSS.Length"])
        #expect(a.spans.map(\.range) == [0..<1, 1..<4])
    }
}
