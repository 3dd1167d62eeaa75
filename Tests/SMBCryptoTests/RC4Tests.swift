import Testing
@testable import SMBCrypto

@Suite("RC4 (RFC 6229)")
struct RC4Tests {
    /// Keystream bytes at the given offsets: RFC 6229 §2, keys 0x0102030405 (40-bit) and
    /// 0x0102…10 (128-bit).
    static let vectors: [(key: String, offset: Int, keystream: String)] = [
        ("0102030405", 0, "b2396305f03dc027ccc3524a0a1118a8"),
        ("0102030405", 16, "6982944f18fc82d589c403a47a0d0919"),
        ("0102030405", 240, "28cb1132c96ce286421dcaadb8b69eae"),
        ("0102030405", 256, "1cfcf62b03eddb641d77dfcf7f8d8c93"),
        ("0102030405", 1520, "3294f744d8f9790507e70f62e5bbceea"),
        ("0102030405", 4080, "068326a2118416d21f9d04b2cd1ca050"),
        ("0102030405", 4096, "ff25b58995996707e51fbdf08b34d875"),
        ("0102030405060708090a0b0c0d0e0f10", 0, "9ac7cc9a609d1ef7b2932899cde41b97"),
        ("0102030405060708090a0b0c0d0e0f10", 16, "5248c4959014126a6e8a84f11d1a9e1c"),
        ("0102030405060708090a0b0c0d0e0f10", 240, "065902e4b620f6cc36c8589f66432f2b"),
        ("0102030405060708090a0b0c0d0e0f10", 1520, "b40110c4190b5622a96116b0017ed297"),
        ("0102030405060708090a0b0c0d0e0f10", 4096, "a36a4c301ae8ac13610ccbc12256cacc"),
    ]

    @Test func rfc6229Keystream() throws {
        for vector in Self.vectors {
            let stream = try RC4.process(key: hex(vector.key), [UInt8](repeating: 0, count: vector.offset + 16))
            #expect(Array(stream[vector.offset...]) == hex(vector.keystream), "key \(vector.key) offset \(vector.offset)")
        }
    }

    /// Processing in pieces continues the same keystream.
    @Test func streamContinuesAcrossCalls() throws {
        var cipher = try RC4(key: hex("0102030405"))
        _ = cipher.process([UInt8](repeating: 0, count: 10))
        let piece = cipher.process([UInt8](repeating: 0, count: 22))
        #expect(Array(piece[6...]) == hex("6982944f18fc82d589c403a47a0d0919"))
    }

    @Test func roundTrip() throws {
        let plaintext = Array("Attack at dawn".utf8)
        let key = Array("Secret".utf8)
        let ciphertext = try RC4.process(key: key, plaintext)
        #expect(ciphertext != plaintext)
        #expect(try RC4.process(key: key, ciphertext) == plaintext)
    }

    @Test func keyLengthLimits() {
        #expect(throws: SMBCryptoError.self) { try RC4(key: []) }
        #expect(throws: SMBCryptoError.self) { try RC4(key: [UInt8](repeating: 1, count: 257)) }
        #expect(throws: Never.self) { try RC4(key: [UInt8](repeating: 1, count: 256)) }
    }
}
