/// Session-service framing for SMB over direct TCP (port 445): one type byte, then a 24-bit
/// big-endian length, then that many bytes of SMB message.
///
/// On port 139 (NetBIOS) the same four bytes carry a flags byte and a 17-bit length; direct
/// TCP keeps the type byte (keep-alives are still 0x85) and widens the length to 24 bits.
public enum NBSSFrame {
    public static let headerSize = 4
    /// A framed SMB message.
    public static let sessionMessage: UInt8 = 0x00
    /// A keep-alive; receivers ignore it.
    public static let keepAlive: UInt8 = 0x85
    /// The largest length the 24-bit field can carry.
    public static let maxLength = 0xFF_FFFF

    /// Names of the RFC 1002 session packet types, for error messages and annotations.
    public static func typeName(_ type: UInt8) -> String {
        switch type {
        case 0x00: return "SESSION MESSAGE"
        case 0x81: return "SESSION REQUEST"
        case 0x82: return "POSITIVE SESSION RESPONSE"
        case 0x83: return "NEGATIVE SESSION RESPONSE"
        case 0x84: return "RETARGET SESSION RESPONSE"
        case 0x85: return "SESSION KEEP ALIVE"
        default: return "unknown type 0x" + hex(UInt64(type), width: 2)
        }
    }

    /// The four header bytes for a session message of `length` bytes.
    public static func header(length: Int, type: UInt8 = sessionMessage) throws -> [UInt8] {
        guard length >= 0, length <= maxLength else {
            throw WireError.tooLarge(field: "NBSS.Length", length: length, cap: maxLength)
        }
        return [type, UInt8(truncatingIfNeeded: length >> 16),
                UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
    }

    /// `header ‖ message`.
    public static func encode<C: Collection>(_ message: C) throws -> [UInt8] where C.Element == UInt8 {
        var out = try header(length: message.count)
        out.reserveCapacity(headerSize + message.count)
        out.append(contentsOf: message)
        return out
    }

    /// Splits a 4-byte header into its type and length.
    public static func parseHeader(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8) -> (type: UInt8, length: Int) {
        (b0, Int(b1) << 16 | Int(b2) << 8 | Int(b3))
    }

    /// Spans for a framed buffer's 4-byte header (for annotating raw captures).
    public static func annotateHeader(_ bytes: [UInt8]) throws -> Annotated<(type: UInt8, length: Int)> {
        guard bytes.count >= headerSize else {
            throw WireError.truncated(field: "NBSS.Header", needed: headerSize, available: bytes.count)
        }
        let (type, length) = parseHeader(bytes[0], bytes[1], bytes[2], bytes[3])
        let spans = [
            FieldSpan(range: 0..<1, name: "NBSS.Type", value: "0x" + hex(UInt64(type), width: 2), meaning: typeName(type)),
            FieldSpan(range: 1..<4, name: "NBSS.Length", value: "\(length)",
                      meaning: "24-bit big-endian length of the SMB message"),
        ]
        return Annotated(value: (type, length), spans: spans)
    }
}
