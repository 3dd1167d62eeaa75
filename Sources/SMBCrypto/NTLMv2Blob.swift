/// The NTLMv2 client blob (MS-NLMP `NTLMv2_CLIENT_CHALLENGE`), the part of an NTLMv2 response
/// after the 16-byte NTProofStr:
///
/// | offset | size | field                                   |
/// |-------:|-----:|-----------------------------------------|
/// |      0 |    1 | RespType = 1                            |
/// |      1 |    1 | HiRespType = 1                          |
/// |      2 |    6 | reserved, zero                          |
/// |      8 |    8 | timestamp (FILETIME, little-endian)     |
/// |     16 |    8 | client challenge                        |
/// |     24 |    4 | reserved, zero                          |
/// |     28 |    n | target info (AV pairs ending in MsvAvEOL) |
/// |   28+n |  0/4 | four zero bytes in the MS-NLMP form     |
///
/// The Linux 3.8 kernel (`setup_ntlmv2_rsp`, `struct ntlmv2_resp`) writes no trailing zeros;
/// Windows and Samba write them. Both are accepted by servers.
public struct NTLMv2Blob: Equatable, Sendable {
    /// Bytes before the target info.
    public static let headerLength = 28

    /// The 8 timestamp bytes exactly as on the wire (a little-endian FILETIME: 100 ns units
    /// since 1601-01-01). The caller supplies them; nothing here reads a clock.
    public var timestamp: [UInt8]
    /// The 8-byte client challenge (nonce), supplied by the caller.
    public var clientChallenge: [UInt8]
    /// The target info (AV pairs) bytes, copied verbatim.
    public var targetInfo: [UInt8]
    /// Whether four zero bytes follow the target info (MS-NLMP form) or not (kernel form).
    public var trailingZeros: Bool

    public init(timestamp: [UInt8], clientChallenge: [UInt8], targetInfo: [UInt8], trailingZeros: Bool) {
        self.timestamp = timestamp
        self.clientChallenge = clientChallenge
        self.targetInfo = targetInfo
        self.trailingZeros = trailingZeros
    }

    /// The FILETIME `value` as the 8 wire bytes ``timestamp`` holds.
    public static func timestampBytes(fileTime value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> UInt64(8 * $0)) }
    }

    /// The blob's bytes, ready to be hashed and sent.
    public func encode() throws -> [UInt8] {
        try requireLength(timestamp, 8, "NTLMv2 blob timestamp")
        try requireLength(clientChallenge, 8, "NTLMv2 blob client challenge")
        var bytes: [UInt8] = [0x01, 0x01, 0, 0, 0, 0, 0, 0]
        bytes += timestamp
        bytes += clientChallenge
        bytes += [0, 0, 0, 0]
        bytes += targetInfo
        if trailingZeros { bytes += [0, 0, 0, 0] }
        return bytes
    }

    /// Parses a blob (the NTLMv2 response without its first 16 bytes).
    ///
    /// The form is told apart by walking the AV pairs to MsvAvEOL: nothing after it means
    /// the kernel form, exactly four zero bytes the MS-NLMP form. If the target info is not a
    /// well-formed AV pair list, or something else follows it, everything after the header
    /// becomes ``targetInfo`` with ``trailingZeros`` false, so ``encode()`` still reproduces
    /// the input. Reserved fields are not checked.
    ///
    /// - Throws: ``SMBCryptoError/malformedNTLMv2Blob(reason:)`` when the blob is shorter than
    ///   its 28-byte header or RespType/HiRespType are not 1.
    public static func parse(_ bytes: [UInt8]) throws -> NTLMv2Blob {
        guard bytes.count >= headerLength else {
            throw SMBCryptoError.malformedNTLMv2Blob(reason: "\(bytes.count) bytes, header needs \(headerLength)")
        }
        guard bytes[0] == 1, bytes[1] == 1 else {
            throw SMBCryptoError.malformedNTLMv2Blob(
                reason: "RespType/HiRespType are \(bytes[0])/\(bytes[1]), expected 1/1")
        }
        let rest = Array(bytes[headerLength...])
        var targetInfo = rest
        var trailingZeros = false
        if let eolEnd = endOfAVPairs(rest), rest.count - eolEnd == 4,
           rest[eolEnd...].allSatisfy({ $0 == 0 }) {
            targetInfo = Array(rest[..<eolEnd])
            trailingZeros = true
        }
        return NTLMv2Blob(
            timestamp: Array(bytes[8..<16]), clientChallenge: Array(bytes[16..<24]),
            targetInfo: targetInfo, trailingZeros: trailingZeros)
    }

    /// The offset just past the MsvAvEOL pair of the AV pair list at the start of `bytes`,
    /// or nil if the list runs off the end first.
    static func endOfAVPairs(_ bytes: [UInt8]) -> Int? {
        var offset = 0
        while bytes.count - offset >= 4 {
            let id = UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
            let length = Int(bytes[offset + 2]) | Int(bytes[offset + 3]) << 8
            offset += 4
            if id == 0 { return offset }
            guard bytes.count - offset >= length else { return nil }
            offset += length
        }
        return nil
    }
}

extension NTLM {
    /// Splits an NTLMv2 response into its NTProofStr and the parsed client blob.
    public static func parseNTLMv2Response(_ response: [UInt8]) throws -> (ntProofStr: [UInt8], blob: NTLMv2Blob) {
        guard response.count >= 16 + NTLMv2Blob.headerLength else {
            throw SMBCryptoError.malformedNTLMv2Blob(
                reason: "response is \(response.count) bytes, needs at least \(16 + NTLMv2Blob.headerLength)")
        }
        return (Array(response[..<16]), try NTLMv2Blob.parse(Array(response[16...])))
    }
}
