import Testing
@testable import SMBCrypto

@Suite("SMB1 signing")
struct SMB1SigningTests {
    /// A 55-byte READ_ANDX-shaped request, signature field zero.
    static let packet = hex("""
        ff534d42 2e 00000000 18 07c8 0000 0000000000000000 0000 0100 3412 6400 0500
        0aff000000050000000000000010000000000000000000
        """)
    /// The MS-NLMP NTLMv1 MAC key: session key ‖ NTLMv1 response.
    static let macKey = hex("d87262b0cde4b1cb7499becccdf10784 67c43011f30298a2ad35ece64f16331c44bdbed927841f94")

    /// Expected values from Python: hashlib.md5(macKey + packet[:14] + pack('<I', seq) +
    /// bytes(4) + packet[22:]).digest()[:8].
    @Test func knownAnswer() throws {
        #expect(Self.packet.count == 55)
        #expect(try SMB1Signing.signature(packet: Self.packet, macKey: Self.macKey, sequence: 2) == hex("8e1b7644756e13a7"))
        #expect(try SMB1Signing.signature(packet: Self.packet, macKey: Self.macKey, sequence: 3) == hex("320b6c2098fe9671"))
        #expect(try SMB1Signing.signature(packet: Self.packet, macKey: MSNLMP.randomSessionKey, sequence: 1)
            == hex("ef38700fcdf1898e"))

        let signed = try SMB1Signing.sign(packet: Self.packet, macKey: Self.macKey, sequence: 2)
        #expect(Array(signed[14..<22]) == hex("8e1b7644756e13a7"))
        #expect(Array(signed[..<14]) == Array(Self.packet[..<14]))
        #expect(Array(signed[22...]) == Array(Self.packet[22...]))
    }

    /// Whatever the signature field held before signing does not matter.
    @Test func signatureFieldContentIsIgnored() throws {
        var dirty = Self.packet
        dirty.replaceSubrange(14..<22, with: hex("4253525350594c20"))  // "BSRSPYL "
        #expect(try SMB1Signing.signature(packet: dirty, macKey: Self.macKey, sequence: 2) == hex("8e1b7644756e13a7"))
        try SMB1Signing.sign(&dirty, macKey: Self.macKey, sequence: 2)
        #expect(dirty == (try SMB1Signing.sign(packet: Self.packet, macKey: Self.macKey, sequence: 2)))
    }

    @Test func signedPacketVerifies() throws {
        let signed = try SMB1Signing.sign(packet: Self.packet, macKey: Self.macKey, sequence: 7)
        #expect(SMB1Signing.verify(packet: signed, macKey: Self.macKey, sequence: 7))
        #expect(signed.withUnsafeBytes { SMB1Signing.verify(packet: $0, macKey: Self.macKey, sequence: 7) })
    }

    @Test func anyFlippedBitFails() throws {
        let signed = try SMB1Signing.sign(packet: Self.packet, macKey: Self.macKey, sequence: 7)
        for byte in signed.indices {
            for bit in 0..<8 {
                var tampered = signed
                tampered[byte] ^= UInt8(1) << UInt8(bit)
                #expect(!SMB1Signing.verify(packet: tampered, macKey: Self.macKey, sequence: 7), "byte \(byte) bit \(bit)")
            }
        }
    }

    @Test func wrongSequenceOrKeyFails() throws {
        let signed = try SMB1Signing.sign(packet: Self.packet, macKey: Self.macKey, sequence: 7)
        #expect(!SMB1Signing.verify(packet: signed, macKey: Self.macKey, sequence: 6))
        #expect(!SMB1Signing.verify(packet: signed, macKey: Self.macKey, sequence: 8))
        #expect(!SMB1Signing.verify(packet: signed, macKey: MSNLMP.randomSessionKey, sequence: 7))
    }

    @Test func shortPacketsFailWithoutTrapping() throws {
        let signed = try SMB1Signing.sign(packet: Self.packet, macKey: Self.macKey, sequence: 7)
        for length in [0, 1, 14, 21, 22, 31] {
            let short = Array(signed.prefix(length))
            #expect(!SMB1Signing.verify(packet: short, macKey: Self.macKey, sequence: 7))
            #expect(throws: SMBCryptoError.self) { try SMB1Signing.sign(packet: short, macKey: Self.macKey, sequence: 7) }
            #expect(throws: SMBCryptoError.self) { try SMB1Signing.signature(packet: short, macKey: Self.macKey, sequence: 7) }
        }
        // A bare 32-byte header is long enough.
        let header = try SMB1Signing.sign(packet: Array(Self.packet.prefix(32)), macKey: Self.macKey, sequence: 1)
        #expect(SMB1Signing.verify(packet: header, macKey: Self.macKey, sequence: 1))
    }

    /// A 64 KiB reply is signed and verified without trouble (the hot path).
    @Test func largePacket() throws {
        var big = Array(Self.packet.prefix(32)) + [UInt8](repeating: 0xA5, count: 65_536)
        try SMB1Signing.sign(&big, macKey: Self.macKey, sequence: 41)
        #expect(SMB1Signing.verify(packet: big, macKey: Self.macKey, sequence: 41))
        big[big.count - 1] ^= 1
        #expect(!SMB1Signing.verify(packet: big, macKey: Self.macKey, sequence: 41))
    }
}
