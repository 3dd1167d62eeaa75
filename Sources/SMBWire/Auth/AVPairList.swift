/// A list of AV_PAIRs terminated by `MsvAvEOL` (MS-NLMP §2.2.2.1): the CHALLENGE message's
/// TargetInfo, echoed inside the client's NTLMv2 response.
public struct AVPairList: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The pairs before the terminator (the terminator itself is implicit).
    public var pairs: [AVPair]
    /// Bytes after the terminator inside the field, kept so odd peers re-encode exactly
    /// (normally empty).
    public var trailing: [UInt8]

    public init(_ pairs: [AVPair] = [], trailing: [UInt8] = []) {
        self.pairs = pairs
        self.trailing = trailing
    }

    /// The first pair with `id`.
    public subscript(id: AVPairID) -> AVPair? { pairs.first { $0.id == id } }

    public var description: String { "[" + pairs.map(\.description).joined(separator: ", ") + "]" }

    /// Encodes the pairs, the `MsvAvEOL` terminator and ``trailing``. Throws if a pair is
    /// `MsvAvEOL` (it would end the list early) or a value exceeds 65535 bytes.
    public func encode() throws -> [UInt8] {
        var w = WireWriter()
        for (i, p) in pairs.enumerated() {
            guard p.id != .eol else {
                throw WireError.invalidValue(field: "AVPair[\(i)]", reason: "MsvAvEOL may only terminate the list")
            }
            guard p.value.count <= Int(UInt16.max) else {
                throw WireError.tooLarge(field: "AVPair[\(i)].Value", length: p.value.count, cap: Int(UInt16.max))
            }
            w.u16(p.id.rawValue)
            w.u16(UInt16(truncatingIfNeeded: p.value.count))
            w.append(p.value)
        }
        w.u32(0) // MsvAvEOL, AvLen 0
        w.append(trailing)
        return w.bytes
    }

    /// Decodes a whole buffer as one list. Span ranges are relative to `bytes[0]` plus `base`.
    public static func decode(_ bytes: [UInt8], base: Int = 0, prefix: String = "AVPairs") throws -> Annotated<AVPairList> {
        var r = WireReader(bytes, base: base, prefix: prefix)
        let list = try decode(from: &r)
        return Annotated(value: list, spans: r.spans)
    }

    /// Reads a list from `reader`'s offset up to its limit (the field's end).
    ///
    /// Errors: a list that ends without `MsvAvEOL`, a pair cut short, a terminator with a
    /// nonzero length, a fixed-size value (Flags 4, Timestamp 8, ChannelBindings 16) of another
    /// size, or a Unicode string of odd length.
    public static func decode(from r: inout WireReader) throws -> AVPairList {
        var pairs = [AVPair]()
        var index = 0
        while true {
            let field = "[\(index)]"
            guard !r.isAtEnd else {
                throw WireError.invalidValue(field: r.prefix, reason: "AV pair list has no MsvAvEOL terminator")
            }
            let id = AVPairID(rawValue: try r.u16(field + ".AvId") { AVPairID(rawValue: $0).name })
            let length = Int(try r.u16(field + ".AvLen"))
            if let fixed = id.fixedLength, fixed != length {
                throw WireError.invalidValue(field: r.prefix + field + ".AvLen",
                                             reason: "\(id.name) must be \(fixed) bytes, got \(length)")
            }
            if id == .eol {
                let rest = r.isAtEnd ? [] : try r.rest(".trailing")
                return AVPairList(pairs, trailing: rest)
            }
            if id.isUnicodeString, length % 2 != 0 {
                throw WireError.invalidValue(field: r.prefix + field + ".AvLen",
                                             reason: "\(id.name) is UTF-16 but has odd length \(length)")
            }
            guard r.remaining >= length else {
                throw WireError.truncated(field: r.prefix + field + ".Value", needed: length, available: r.remaining)
            }
            let start = r.offset
            let value = Array(try r.slice(field + ".Value", at: start, count: length))
            try r.seek(to: start + length, field: field + ".Value")
            let pair = AVPair(id: id, value: value)
            if length > 0 {
                let shown = pair.rendered
                r.record(field + ".Value", from: start, value: shown.value, meaning: shown.meaning)
            }
            pairs.append(pair)
            index += 1
        }
    }
}
