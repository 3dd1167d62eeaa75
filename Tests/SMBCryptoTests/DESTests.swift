import Testing
@testable import SMBCrypto

@Suite("DES")
struct DESTests {
    /// Known answers: the classic worked example, FIPS 81's "Now is t", NIST SP 800-17 table
    /// entries (variable plaintext, variable key, substitution table), all also checked with
    /// `openssl enc -des-ecb`.
    @Test(arguments: [
        ("133457799BBCDFF1", "0123456789ABCDEF", "85E813540F0AB405"),
        ("0123456789ABCDEF", "4E6F772069732074", "3FA40E8A984D4815"),
        ("0E329232EA6D0D73", "8787878787878787", "0000000000000000"),
        ("0101010101010101", "8000000000000000", "95F8A5E5DD31D900"),
        ("8001010101010101", "0000000000000000", "95A8D72813DAA94D"),
        ("7CA110454A1A6E57", "01A1D6D039776742", "690F5B0D9A26939B"),
    ])
    func knownAnswers(key: String, plaintext: String, ciphertext: String) throws {
        let des = try DES(key: hex(key))
        #expect(try des.encrypt(block: hex(plaintext)) == hex(ciphertext))
        #expect(try des.decrypt(block: hex(ciphertext)) == hex(plaintext))
    }

    @Test func parityBitsAreIgnored() throws {
        // 133457799BBCDFF1 with every low bit flipped.
        let flipped = try DES(key: hex("123556789ABDDEF0"))
        #expect(try flipped.encrypt(block: hex("0123456789ABCDEF")) == hex("85E813540F0AB405"))
    }

    /// The kernel's str_to_key: 56 bits, seven per byte, in the top seven bits.
    @Test func smbKeyExpansion() throws {
        #expect(try DES.expandKey(hex("FFFFFFFFFFFFFF")) == hex("FEFEFEFEFEFEFEFE"))
        #expect(try DES.expandKey(hex("00000000000000")) == hex("0000000000000000"))
        // 1000 0000 ... : the first bit lands in the top of byte 0.
        #expect(try DES.expandKey(hex("80000000000000")) == hex("8000000000000000"))
        // The last bit lands just above byte 7's parity bit.
        #expect(try DES.expandKey(hex("00000000000001")) == hex("0000000000000002"))
        // "PASSWOR" (the first LM half of "Password").
        #expect(try DES.expandKey(Array("PASSWOR".utf8)) == hex("5020546a34ba3ca4"))
    }

    /// The LM hash of "Password" (MS-NLMP §4.2.2.1.1) exercises expansion plus DES.
    @Test func lmHashOfKnownPassword() {
        #expect(NTLM.lmHash(password: "Password") == hex("e52cac67419a9a224a3b108f3fa6cb6d"))
    }

    @Test func badLengthsThrowInsteadOfTrapping() {
        #expect(throws: SMBCryptoError.self) { try DES(key: [1, 2, 3]) }
        #expect(throws: SMBCryptoError.self) { try DES(smbKey: hex("0102030405060708")) }
        #expect(throws: SMBCryptoError.self) { try DES.expandKey([]) }
        #expect(throws: SMBCryptoError.self) { try DES(key: hex("0123456789ABCDEF")).encrypt(block: [0]) }
        #expect(throws: SMBCryptoError.self) { try DES(key: hex("0123456789ABCDEF")).decrypt(block: []) }
    }
}
