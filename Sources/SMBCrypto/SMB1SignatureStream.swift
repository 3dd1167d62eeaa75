import Crypto

/// An SMB1 signature computed over a message that arrives in pieces (the fixed part of a
/// READ_ANDX reply, then its data straight into page-cache pages), without ever holding the
/// whole message in one buffer.
///
/// Feed the message from its first byte (`0xFF 'SMB'`, no NBSS header) in order with
/// ``update(_:)``; the 8 bytes at offset 14 are replaced by the sequence number and four zero
/// bytes wherever the pieces split, exactly as ``SMB1Signing/signature(packet:macKey:sequence:)``
/// does for a contiguous packet. Mirrors the kernel's `cifs_calculate_signature` over an
/// `smb_rqst` (header iovec + pages), as `cifs_readv_callback` verifies it.
public struct SMB1SignatureStream {
    private var md5 = Insecure.MD5()
    private let sequenceField: UInt64
    /// Message bytes fed so far.
    public private(set) var length = 0

    /// Starts a signature under `macKey` for the message signed with `sequence`.
    public init(macKey: [UInt8], sequence: UInt32) {
        sequenceField = UInt64(sequence).littleEndian
        macKey.withUnsafeBytes { md5.update(bufferPointer: $0) }
    }

    /// Feeds the next bytes of the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        let fieldStart = SMB1Signing.signatureOffset
        let fieldEnd = fieldStart + SMB1Signing.signatureLength
        let start = length
        let end = start + bytes.count
        length = end
        // Fast path: the piece lies wholly outside the signature field.
        if end <= fieldStart || start >= fieldEnd {
            md5.update(bufferPointer: bytes)
            return
        }
        // Before the field.
        if start < fieldStart {
            md5.update(bufferPointer: UnsafeRawBufferPointer(rebasing: bytes[0..<(fieldStart - start)]))
        }
        // The part of the field this piece covers, taken from the sequence field instead.
        let from = max(start, fieldStart) - fieldStart
        let to = min(end, fieldEnd) - fieldStart
        withUnsafeBytes(of: sequenceField) { field in
            md5.update(bufferPointer: UnsafeRawBufferPointer(rebasing: field[from..<to]))
        }
        // After the field.
        if end > fieldEnd {
            md5.update(bufferPointer: UnsafeRawBufferPointer(rebasing: bytes[(fieldEnd - start)...]))
        }
    }

    /// Feeds the next bytes of the message.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The 8-byte signature of everything fed. Call once, after the whole message.
    public func finalize() -> [UInt8] {
        Array(md5.finalize().prefix(SMB1Signing.signatureLength))
    }

    /// Whether `received` (the message's SecuritySignature field) is the signature of everything
    /// fed, compared in constant time. A message shorter than an SMB header never verifies.
    public func verify(received: [UInt8]) -> Bool {
        guard length >= SMB1Signing.minimumPacketLength, received.count == SMB1Signing.signatureLength else {
            return false
        }
        return SMB1Signing.signaturesMatch(finalize(), received)
    }
}
