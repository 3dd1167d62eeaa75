import Crypto

/// SMB1 message signing (MS-CIFS §3.1.4.1, MS-SMB §3.1.4.1): the 8-byte SecuritySignature at
/// offset 14 of the SMB header is the first 8 bytes of MD5(MAC key ‖ message), computed with
/// the signature field holding the sequence number (little-endian u32) and four zero bytes.
///
/// A packet here starts at the `0xFF 'S' 'M' 'B'` protocol id: no 4-byte NBSS length header.
/// (The kernel's buffers begin with that length and skip it when hashing.)
public enum SMB1Signing {
    /// Offset of the SecuritySignature field within the SMB header.
    public static let signatureOffset = 14
    /// Length of the SecuritySignature field.
    public static let signatureLength = 8
    /// The SMB1 header length; nothing shorter can carry a signature.
    public static let minimumPacketLength = 32

    /// The signature of `packet` for `sequence`, computed without copying the packet: MD5 is fed
    /// the MAC key, bytes 0..<14, the 8-byte sequence field, then bytes 22... . Whatever the
    /// packet's signature field holds is ignored. Mirrors the kernel's
    /// `cifs_calculate_signature`.
    ///
    /// - Throws: ``SMBCryptoError/badLength(what:expected:actual:)`` if the packet is shorter
    ///   than 32 bytes.
    public static func signature(packet: UnsafeRawBufferPointer, macKey: [UInt8], sequence: UInt32) throws -> [UInt8] {
        guard packet.count >= minimumPacketLength else {
            throw SMBCryptoError.badLength(
                what: "SMB1 packet", expected: "at least \(minimumPacketLength)", actual: packet.count)
        }
        var md5 = Insecure.MD5()
        macKey.withUnsafeBytes { md5.update(bufferPointer: $0) }
        md5.update(bufferPointer: UnsafeRawBufferPointer(rebasing: packet[0..<signatureOffset]))
        // Sequence number as a little-endian u32, then four zero bytes.
        withUnsafeBytes(of: UInt64(sequence).littleEndian) { md5.update(bufferPointer: $0) }
        md5.update(bufferPointer: UnsafeRawBufferPointer(rebasing: packet[(signatureOffset + signatureLength)...]))
        return Array(md5.finalize().prefix(signatureLength))
    }

    /// The signature of `packet` for `sequence`; see the buffer-pointer overload.
    public static func signature(packet: [UInt8], macKey: [UInt8], sequence: UInt32) throws -> [UInt8] {
        try packet.withUnsafeBytes { try signature(packet: $0, macKey: macKey, sequence: sequence) }
    }

    /// Signs `packet` in place: writes the signature for `sequence` into bytes 14..<22.
    /// Mirrors the kernel's `cifs_sign_smb` (which also advances the connection's sequence
    /// number; here the caller owns that counter).
    public static func sign(_ packet: inout [UInt8], macKey: [UInt8], sequence: UInt32) throws {
        let computed = try signature(packet: packet, macKey: macKey, sequence: sequence)
        packet.replaceSubrange(signatureOffset..<(signatureOffset + signatureLength), with: computed)
    }

    /// Returns a signed copy of `packet`; see ``sign(_:macKey:sequence:)``.
    public static func sign(packet: [UInt8], macKey: [UInt8], sequence: UInt32) throws -> [UInt8] {
        var signed = packet
        try sign(&signed, macKey: macKey, sequence: sequence)
        return signed
    }

    /// Whether `packet` carries the right signature for `sequence`, compared in constant time.
    /// A packet shorter than 32 bytes is never valid. Mirrors the kernel's
    /// `cifs_verify_signature`, minus its policy (it skips oplock-break LOCKING_ANDX requests
    /// from the server; the caller decides that).
    public static func verify(packet: UnsafeRawBufferPointer, macKey: [UInt8], sequence: UInt32) -> Bool {
        guard let expected = try? signature(packet: packet, macKey: macKey, sequence: sequence) else {
            return false
        }
        return signaturesMatch(expected, packet[signatureOffset..<(signatureOffset + signatureLength)])
    }

    /// Whether two signatures are the same 8 bytes, compared in constant time (the kernel's
    /// `memcmp` was not, but nothing here should teach that). Anything but 8 bytes never matches.
    public static func signaturesMatch<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        guard a.count == signatureLength, b.count == signatureLength else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    /// Whether `packet` carries the right signature for `sequence`; see
    /// the buffer-pointer overload.
    public static func verify(packet: [UInt8], macKey: [UInt8], sequence: UInt32) -> Bool {
        packet.withUnsafeBytes { verify(packet: $0, macKey: macKey, sequence: sequence) }
    }
}
