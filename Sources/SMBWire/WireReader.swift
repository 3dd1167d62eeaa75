/// A bounds-checked little-endian reader that records a ``FieldSpan`` for every field.
///
/// All reads throw ``WireError/truncated(field:needed:available:)`` instead of trapping.
/// `base` is added to every recorded range, so a reader over a sub-buffer (say, the data
/// block of a message) still reports packet-relative offsets.
public struct WireReader {
    /// The whole buffer being decoded.
    public let bytes: [UInt8]
    /// Index of the next byte to read, in `bytes`.
    public private(set) var offset: Int
    /// Reads stop here (exclusive); may be less than `bytes.count` for a sub-block.
    public let limit: Int
    /// Added to recorded ranges.
    public var base: Int
    /// Prefix put before every recorded field name (`"header."`, `"ReadAndX.response."`).
    public var prefix: String
    /// When false, reads record nothing (the hot read path does not need annotations).
    public var recordsSpans: Bool
    /// Fields read so far.
    public internal(set) var spans: [FieldSpan] = []

    public init(_ bytes: [UInt8], offset: Int = 0, limit: Int? = nil, base: Int = 0,
                prefix: String = "", recordsSpans: Bool = true) {
        self.bytes = bytes
        let end = min(limit ?? bytes.count, bytes.count)
        self.limit = max(end, 0)
        self.offset = min(max(offset, 0), self.limit)
        self.base = base
        self.prefix = prefix
        self.recordsSpans = recordsSpans
    }

    /// Bytes left before `limit`.
    public var remaining: Int { limit - offset }
    public var isAtEnd: Bool { offset >= limit }

    private func need(_ n: Int, _ field: String) throws {
        guard n >= 0, remaining >= n else {
            throw WireError.truncated(field: prefix + field, needed: n, available: remaining)
        }
    }

    /// Records a span over `start..<offset` (buffer indices).
    public mutating func record(_ field: String, from start: Int, value: @autoclosure () -> String,
                                meaning: @autoclosure () -> String? = nil) {
        guard recordsSpans else { return }
        spans.append(FieldSpan(range: (start + base)..<(offset + base), name: prefix + field,
                               value: value(), meaning: meaning()))
    }

    /// Replaces the meaning of the most recent span that starts at buffer index `start`
    /// (for fields whose meaning depends on a later field, like the header's Status on Flags2).
    public mutating func replaceMeaning(ofSpanStartingAt start: Int, with meaning: String?) {
        guard recordsSpans, let i = spans.lastIndex(where: { $0.range.lowerBound == start + base }) else { return }
        spans[i].meaning = meaning
    }

    /// Appends spans produced elsewhere (e.g. by a nested decoder).
    public mutating func append(spans more: [FieldSpan]) {
        guard recordsSpans else { return }
        spans.append(contentsOf: more)
    }

    public mutating func u8(_ field: String, meaning: (UInt8) -> String? = { _ in nil }) throws -> UInt8 {
        try need(1, field)
        let v = bytes[offset]
        offset += 1
        record(field, from: offset - 1, value: "0x" + hex(UInt64(v), width: 2), meaning: meaning(v))
        return v
    }

    public mutating func u16(_ field: String, meaning: (UInt16) -> String? = { _ in nil }) throws -> UInt16 {
        try need(2, field)
        let v = UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
        offset += 2
        record(field, from: offset - 2, value: "\(v) (0x\(hex(UInt64(v), width: 4)))", meaning: meaning(v))
        return v
    }

    public mutating func u32(_ field: String, meaning: (UInt32) -> String? = { _ in nil }) throws -> UInt32 {
        try need(4, field)
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[offset + i]) << (8 * UInt32(i)) }
        offset += 4
        record(field, from: offset - 4, value: "\(v) (0x\(hex(UInt64(v), width: 8)))", meaning: meaning(v))
        return v
    }

    public mutating func u64(_ field: String, meaning: (UInt64) -> String? = { _ in nil }) throws -> UInt64 {
        try need(8, field)
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += 8
        record(field, from: offset - 8, value: "0x" + hex(v, width: 16), meaning: meaning(v))
        return v
    }

    /// Big-endian 16-bit read (ASN.1 lengths, network-order fields).
    public mutating func u16be(_ field: String) throws -> UInt16 {
        try need(2, field)
        let v = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
        offset += 2
        record(field, from: offset - 2, value: "\(v)")
        return v
    }

    /// Reads `count` raw bytes.
    public mutating func bytes(_ field: String, count: Int, meaning: String? = nil) throws -> [UInt8] {
        try need(count, field)
        let v = Array(bytes[offset..<(offset + count)])
        offset += count
        record(field, from: offset - count, value: summarize(v), meaning: meaning)
        return v
    }

    /// Reads `count` raw bytes whose meaning depends on their content.
    public mutating func bytes(_ field: String, count: Int, describe: ([UInt8]) -> String?) throws -> [UInt8] {
        try need(count, field)
        let v = Array(bytes[offset..<(offset + count)])
        offset += count
        record(field, from: offset - count, value: summarize(v), meaning: describe(v))
        return v
    }

    /// Skips `count` bytes (padding), recording them as one span.
    public mutating func skip(_ field: String, count: Int) throws {
        try need(count, field)
        offset += count
        record(field, from: offset - count, value: "\(count) byte(s)")
    }

    /// Reads the rest of the buffer up to `limit`.
    public mutating func rest(_ field: String) throws -> [UInt8] {
        try bytes(field, count: remaining)
    }

    /// Moves to an absolute buffer index within `offset...limit`; used for offset fields.
    public mutating func seek(to index: Int, field: String) throws {
        guard index >= 0, index <= limit else {
            throw WireError.outOfRange(field: prefix + field, offset: index, length: 0, limit: limit)
        }
        offset = index
    }

    /// Returns bytes at `index..<index+count` without moving, checking bounds against `limit`.
    public func slice(_ field: String, at index: Int, count: Int) throws -> ArraySlice<UInt8> {
        guard index >= 0, count >= 0, index <= limit, count <= limit - index else {
            throw WireError.outOfRange(field: prefix + field, offset: index, length: count, limit: limit)
        }
        return bytes[index..<(index + count)]
    }

    /// A reader over `count` bytes from the current offset, sharing `base` and `prefix`
    /// conventions; the parent skips past them.
    public mutating func subReader(_ field: String, count: Int, prefix: String? = nil) throws -> WireReader {
        try need(count, field)
        let sub = WireReader(bytes, offset: offset, limit: offset + count, base: base,
                             prefix: prefix ?? self.prefix, recordsSpans: recordsSpans)
        offset += count
        return sub
    }
}

func hex(_ v: UInt64, width: Int) -> String {
    let s = String(v, radix: 16)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}

/// Short rendering of a byte string for span values: full hex up to 32 bytes.
func summarize(_ v: [UInt8]) -> String {
    if v.count <= 32 { return Hex.encode(v) }
    return Hex.encode(v.prefix(16)) + "… (\(v.count) bytes)"
}
