import SMBCrypto
import Testing

@Suite("SMB1 signature over a message fed in pieces")
struct SMB1SignatureStreamTests {
    /// A 200-byte "message" with a recognisable header and a junk signature field.
    static let packet: [UInt8] = [0xFF, 0x53, 0x4D, 0x42] + (4..<200).map { UInt8(truncatingIfNeeded: $0 &* 37) }
    static let key: [UInt8] = (0..<16).map { UInt8($0 &* 11 &+ 3) }

    @Test("every split point (including inside the signature field) gives the one-shot signature")
    func everySplit() throws {
        let expected = try SMB1Signing.signature(packet: Self.packet, macKey: Self.key, sequence: 41)
        for split in 0...Self.packet.count {
            var stream = SMB1SignatureStream(macKey: Self.key, sequence: 41)
            stream.update(Array(Self.packet[0..<split]))
            stream.update(Array(Self.packet[split...]))
            #expect(stream.finalize() == expected, "split at \(split)")
            #expect(stream.length == Self.packet.count)
        }
    }

    @Test("byte by byte, and three pieces around the field")
    func smallPieces() throws {
        let expected = try SMB1Signing.signature(packet: Self.packet, macKey: Self.key, sequence: 7)
        var bytewise = SMB1SignatureStream(macKey: Self.key, sequence: 7)
        for byte in Self.packet { bytewise.update([byte]) }
        #expect(bytewise.finalize() == expected)
        var three = SMB1SignatureStream(macKey: Self.key, sequence: 7)
        three.update(Array(Self.packet[0..<15]))
        three.update(Array(Self.packet[15..<21]))
        three.update(Array(Self.packet[21...]))
        #expect(three.finalize() == expected)
    }

    @Test("verify: the signed packet's field verifies; a flipped bit or the wrong sequence does not")
    func verify() throws {
        let signed = try SMB1Signing.sign(packet: Self.packet, macKey: Self.key, sequence: 9)
        let field = Array(signed[14..<22])
        var good = SMB1SignatureStream(macKey: Self.key, sequence: 9)
        good.update(signed)
        #expect(good.verify(received: field))
        var flipped = field
        flipped[3] ^= 0x10
        #expect(!good.verify(received: flipped))
        var wrongSequence = SMB1SignatureStream(macKey: Self.key, sequence: 10)
        wrongSequence.update(signed)
        #expect(!wrongSequence.verify(received: field))
        var short = SMB1SignatureStream(macKey: Self.key, sequence: 9)
        short.update(Array(signed[0..<31]))
        #expect(!short.verify(received: field))
    }
}
