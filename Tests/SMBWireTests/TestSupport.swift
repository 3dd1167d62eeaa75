import Testing
@testable import SMBWire

/// Headers for building test messages.
enum TestHeaders {
    static func request(_ command: SMBCommand, unicode: Bool = true) -> SMBHeader {
        SMBHeader(command: command, flags: [.caseInsensitive, .canonicalizedPaths],
                  flags2: unicode ? [.longNames, .eas, .isLongName, .extendedSecurity, .ntStatus, .unicode]
                                  : [.longNames, .ntStatus],
                  tid: 0x1234, pidLow: 0x4321, uid: 0x0800, mid: 7)
    }

    static func response(_ command: SMBCommand, status: NTStatus = .success, unicode: Bool = true) -> SMBHeader {
        var h = request(command, unicode: unicode)
        h.flags = [.caseInsensitive, .reply]
        h.status = status
        return h
    }
}

/// Encodes `body`, decodes it back with its typed decoder and with the generic dispatcher,
/// and checks that the values and bytes agree and that spans cover every byte.
@discardableResult
func assertRoundTrip<B: SMBMessageBody>(_ body: B, header: SMBHeader? = nil, trans2Request: Trans2RequestInfo? = nil,
                                        sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
    let h = header ?? (B.isResponse ? TestHeaders.response(B.command) : TestHeaders.request(B.command))
    let bytes = try body.encodePacket(header: h)
    let typed = try B.decodePacket(bytes, trans2Request: trans2Request)
    #expect(typed.value.body == body, sourceLocation: sourceLocation)
    #expect(try typed.value.encode() == bytes, sourceLocation: sourceLocation)
    let generic = try SMBMessage.decode(bytes, trans2Request: trans2Request)
    #expect(try generic.value.encode() == bytes, sourceLocation: sourceLocation)
    assertSpansCover(generic.spans, count: bytes.count, sourceLocation: sourceLocation)
    let unspanned = try B.decodePacket(bytes, recordsSpans: false, trans2Request: trans2Request)
    #expect(unspanned.spans.isEmpty, sourceLocation: sourceLocation)
    #expect(unspanned.value == typed.value, sourceLocation: sourceLocation)
    return bytes
}

func assertSpansCover(_ spans: [FieldSpan], count: Int, sourceLocation: SourceLocation = #_sourceLocation) {
    var covered = [Bool](repeating: false, count: count)
    for span in spans {
        #expect(span.range.lowerBound >= 0 && span.range.upperBound <= count, "\(span)", sourceLocation: sourceLocation)
        for i in span.range where i >= 0 && i < count { covered[i] = true }
    }
    let missing = covered.indices.filter { !covered[$0] }
    #expect(missing.isEmpty, "bytes without a span: \(missing.prefix(16))", sourceLocation: sourceLocation)
}

/// The span with this exact name.
func span(_ spans: [FieldSpan], _ name: String) -> FieldSpan? {
    spans.first { $0.name == name }
}

func utf16(_ s: String) -> [UInt8] { SMBString.encode(s, unicode: true, terminated: false) }

/// A message with one hand-assembled block: for quirks and malformed input.
func rawPacket(_ header: SMBHeader, wordCount: UInt8? = nil, words: [UInt8], byteCount: UInt16? = nil,
               bytes: [UInt8]) throws -> [UInt8] {
    var w = WireWriter()
    try header.encode(into: &w)
    w.u8(wordCount ?? UInt8(words.count / 2))
    w.append(words)
    w.u16(byteCount ?? UInt16(bytes.count))
    w.append(bytes)
    return w.bytes
}

/// The AndX header bytes with no further command.
let noAndX: [UInt8] = [0xFF, 0, 0, 0]
