/// Errors thrown by SMBCrypto when an input has the wrong shape.
///
/// Every function that needs a fixed-length key, challenge or buffer checks it and throws one
/// of these instead of trapping, so bytes that came off the wire can be passed in directly.
public enum SMBCryptoError: Error, Equatable, Sendable {
    /// `what` had `actual` bytes where `expected` (a length or a range, in words) was required.
    case badLength(what: String, expected: String, actual: Int)
    /// An NTLMv2 client blob could not be parsed; `reason` says why.
    case malformedNTLMv2Blob(reason: String)
}

extension SMBCryptoError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .badLength(what, expected, actual):
            return "\(what): expected \(expected) bytes, got \(actual)"
        case let .malformedNTLMv2Blob(reason):
            return "malformed NTLMv2 blob: \(reason)"
        }
    }
}

/// Throws `badLength` unless `bytes` has exactly `count` elements.
@inline(__always)
func requireLength(_ bytes: [UInt8], _ count: Int, _ what: String) throws {
    guard bytes.count == count else {
        throw SMBCryptoError.badLength(what: what, expected: String(count), actual: bytes.count)
    }
}
