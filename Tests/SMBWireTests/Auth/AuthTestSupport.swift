import Testing
@testable import SMBWire

/// True when the spans' ranges, sorted, cover `range` exactly: no gaps, no overlaps.
/// (Every auth decoder promises this: each byte belongs to exactly one field.)
func spansTile(_ spans: [FieldSpan], _ range: Range<Int>) -> Bool {
    var cursor = range.lowerBound
    for s in spans.map(\.range).sorted(by: { $0.lowerBound < $1.lowerBound }) {
        guard s.lowerBound == cursor else { return false }
        cursor = s.upperBound
    }
    return cursor == range.upperBound
}


/// The WireError `body` throws, or nil (recording an issue) if it throws something else or nothing.
func wireError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> WireError? {
    do {
        try body()
        Issue.record("expected a WireError, got success", sourceLocation: sourceLocation)
    } catch let e as WireError {
        return e
    } catch {
        Issue.record("expected a WireError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// The inner NTLMSSP message of a real blob (tests only: the fixtures are known good).
func inner(_ blob: [UInt8]) throws -> [UInt8] {
    try #require(try SPNEGO.unwrap(blob)).token
}

/// Little-endian 16/32-bit patching for building malformed variants.
func patched(_ bytes: [UInt8], at index: Int, u16 v: UInt16) -> [UInt8] {
    var b = bytes
    b[index] = UInt8(v & 0xff)
    b[index + 1] = UInt8(v >> 8)
    return b
}

func patched(_ bytes: [UInt8], at index: Int, u32 v: UInt32) -> [UInt8] {
    var b = bytes
    for i in 0..<4 { b[index + i] = UInt8((v >> (8 * UInt32(i))) & 0xff) }
    return b
}
