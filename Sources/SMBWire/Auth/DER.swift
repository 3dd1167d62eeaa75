/// The small subset of DER (ITU-T X.690) that SPNEGO needs: single-byte tags, definite
/// lengths, and a bounded parse into a tree of TLVs.
///
/// Strict on purpose, so that decode → encode reproduces the bytes: indefinite lengths
/// (`0x80`, BER only), non-minimal length encodings, high-tag-number tags and end-of-contents
/// markers are rejected, as are lengths past the buffer and nesting deeper than ``maxDepth``.
public enum DER {
    /// Deepest nesting accepted (a SPNEGO NegTokenInit2 with hints is 7 levels deep).
    public static let maxDepth = 16
    /// At most this many length octets in the long form (lengths up to 4 GiB − 1).
    public static let maxLengthOctets = 4

    /// One parsed TLV. Ranges are indices into the buffer given to ``parse(_:in:)``.
    public struct Node: Equatable, Sendable {
        /// The identifier octet, e.g. `0x30` SEQUENCE, `0xa0` context [0] constructed.
        public var tag: UInt8
        /// The whole TLV.
        public var range: Range<Int>
        /// The length octets.
        public var lengthRange: Range<Int>
        /// The contents.
        public var valueRange: Range<Int>
        /// The contents parsed as TLVs, for constructed tags; empty for primitive ones.
        public var children: [Node]

        /// Bit 6 of the tag: the contents are themselves TLVs.
        public var isConstructed: Bool { tag & 0x20 != 0 }
        /// Tag class and number for people: `UNIVERSAL 16`, `[APPLICATION 0]`, `[2]`.
        public var tagDescription: String { DER.describe(tag: tag) }
    }

    /// Parses the TLVs that exactly fill `range` of `bytes`.
    public static func parse(_ bytes: [UInt8], in range: Range<Int>) throws -> [Node] {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else {
            throw WireError.outOfRange(field: "DER", offset: range.lowerBound, length: range.count, limit: bytes.count)
        }
        return try parseSequence(bytes, range, depth: 0)
    }

    private static func parseSequence(_ bytes: [UInt8], _ range: Range<Int>, depth: Int) throws -> [Node] {
        var nodes = [Node]()
        var at = range.lowerBound
        while at < range.upperBound {
            let node = try parseOne(bytes, at: at, limit: range.upperBound, depth: depth)
            nodes.append(node)
            at = node.range.upperBound
        }
        return nodes
    }

    private static func parseOne(_ bytes: [UInt8], at start: Int, limit: Int, depth: Int) throws -> Node {
        guard depth < maxDepth else {
            throw WireError.tooLarge(field: "DER@\(start) nesting depth", length: depth + 1, cap: maxDepth)
        }
        guard start < limit else {
            throw WireError.truncated(field: "DER@\(start).tag", needed: 1, available: 0)
        }
        let tag = bytes[start]
        if tag & 0x1f == 0x1f {
            throw WireError.unsupported("DER@\(start): high-tag-number form (tag 0x\(hex(UInt64(tag), width: 2)))")
        }
        if tag == 0 {
            throw WireError.invalidValue(field: "DER@\(start).tag", reason: "end-of-contents marker (BER indefinite form)")
        }
        let lengthStart = start + 1
        guard lengthStart < limit else {
            throw WireError.truncated(field: "DER@\(start).length", needed: 1, available: 0)
        }
        let first = bytes[lengthStart]
        var length = 0
        var valueStart = lengthStart + 1
        if first & 0x80 != 0 {
            let count = Int(first & 0x7f)
            if count == 0 {
                throw WireError.invalidValue(field: "DER@\(start).length", reason: "indefinite length (0x80) is not DER")
            }
            guard count <= maxLengthOctets else {
                throw WireError.tooLarge(field: "DER@\(start).length octets", length: count, cap: maxLengthOctets)
            }
            guard limit - valueStart >= count else {
                throw WireError.truncated(field: "DER@\(start).length", needed: count, available: limit - valueStart)
            }
            for i in 0..<count { length = length << 8 | Int(bytes[valueStart + i]) }
            if bytes[valueStart] == 0 || length < 0x80 {
                throw WireError.invalidValue(field: "DER@\(start).length",
                                             reason: "non-minimal length encoding (\(count) octets for \(length))")
            }
            valueStart += count
        } else {
            length = Int(first)
        }
        guard length <= limit - valueStart else {
            throw WireError.outOfRange(field: "DER@\(start).value", offset: valueStart, length: length, limit: limit)
        }
        let valueRange = valueStart..<(valueStart + length)
        let children = tag & 0x20 != 0 ? try parseSequence(bytes, valueRange, depth: depth + 1) : []
        return Node(tag: tag, range: start..<valueRange.upperBound, lengthRange: lengthStart..<valueStart,
                    valueRange: valueRange, children: children)
    }

    /// The minimal definite-length octets for `length`.
    public static func lengthOctets(_ length: Int) -> [UInt8] {
        if length < 0x80 { return [UInt8(truncatingIfNeeded: max(length, 0))] }
        var octets = [UInt8]()
        var n = length
        while n > 0 {
            octets.insert(UInt8(truncatingIfNeeded: n), at: 0)
            n >>= 8
        }
        return [0x80 | UInt8(truncatingIfNeeded: octets.count)] + octets
    }

    /// `tag ‖ length ‖ contents`.
    public static func encode(tag: UInt8, _ contents: [UInt8]) -> [UInt8] {
        [tag] + lengthOctets(contents.count) + contents
    }

    /// `UNIVERSAL 16 (SEQUENCE)`, `[APPLICATION 0]`, `[3]`.
    static func describe(tag: UInt8) -> String {
        let number = tag & 0x1f
        let form = tag & 0x20 != 0 ? "constructed" : "primitive"
        switch tag & 0xc0 {
        case 0x00:
            let names: [UInt8: String] = [1: "BOOLEAN", 2: "INTEGER", 3: "BIT STRING", 4: "OCTET STRING", 5: "NULL",
                                          6: "OBJECT IDENTIFIER", 10: "ENUMERATED", 16: "SEQUENCE", 17: "SET",
                                          27: "GeneralString"]
            return "UNIVERSAL \(number)" + (names[number].map { " \($0)" } ?? "") + ", \(form)"
        case 0x40: return "[APPLICATION \(number)], \(form)"
        case 0x80: return "[\(number)] context-specific, \(form)"
        default: return "[PRIVATE \(number)], \(form)"
        }
    }
}
