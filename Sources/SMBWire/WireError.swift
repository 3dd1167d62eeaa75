/// Why a decoder refused its input.
///
/// Every decoder in ``SMBWire`` reports malformed input with one of these cases instead
/// of trapping: a packet from a peer is untrusted input.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The buffer ended before `field` could be read.
    case truncated(field: String, needed: Int, available: Int)
    /// `field` held a value this decoder does not accept.
    case invalidValue(field: String, reason: String)
    /// A message had a WordCount its command does not allow.
    case wrongWordCount(command: String, got: Int, expected: [Int])
    /// An offset/length pair pointed outside the buffer.
    case outOfRange(field: String, offset: Int, length: Int, limit: Int)
    /// An AndX chain pointed backwards or at itself.
    case andXLoop(offset: Int)
    /// A length exceeded the configured cap.
    case tooLarge(field: String, length: Int, cap: Int)
    /// Well-formed, but not something this codec understands.
    case unsupported(String)

    public var description: String {
        switch self {
        case let .truncated(field, needed, available):
            return "truncated \(field): needs \(needed) bytes, \(available) available"
        case let .invalidValue(field, reason):
            return "invalid \(field): \(reason)"
        case let .wrongWordCount(command, got, expected):
            let allowed = expected.map(String.init).joined(separator: " or ")
            return "\(command): WordCount \(got), expected \(allowed)"
        case let .outOfRange(field, offset, length, limit):
            return "\(field) out of range: offset \(offset) length \(length) in \(limit) bytes"
        case let .andXLoop(offset):
            return "AndX chain loops (next offset \(offset) does not move forward)"
        case let .tooLarge(field, length, cap):
            return "\(field) too large: \(length) bytes (cap \(cap))"
        case let .unsupported(what):
            return "unsupported: \(what)"
        }
    }
}
