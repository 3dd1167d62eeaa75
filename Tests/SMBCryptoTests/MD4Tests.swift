import Testing
@testable import SMBCrypto

@Suite("MD4 (RFC 1320)")
struct MD4Tests {
    /// The complete test suite of RFC 1320 appendix A.5.
    @Test(arguments: [
        ("", "31d6cfe0d16ae931b73c59d7e0c089c0"),
        ("a", "bde52cb31de33e46245e05fbdbd6fb24"),
        ("abc", "a448017aaf21d8525fc10ae87aa6729d"),
        ("message digest", "d9130a8164549fe818874806e1c7014b"),
        ("abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
         "043f8582f241db351ce627e153e7f0e4"),
        ("12345678901234567890123456789012345678901234567890123456789012345678901234567890",
         "e33b4ddc9c38f2199c3e7b164fcc0536"),
    ])
    func rfc1320(message: String, digest: String) {
        #expect(MD4.hash(Array(message.utf8)) == hex(digest))
    }

    /// Lengths around the 56-byte padding boundary, where a second block is needed
    /// (values from `openssl dgst -md4`).
    @Test func paddingBoundaries() {
        #expect(hexString(MD4.hash([UInt8](repeating: 0x61, count: 55))) == "c889c81dd86c4d2e025778944ea02881")
        #expect(hexString(MD4.hash([UInt8](repeating: 0x61, count: 56))) == "d5f9a9e9257077a5f08b0b92f348b0ad")
        #expect(hexString(MD4.hash([UInt8](repeating: 0x61, count: 64))) == "52f5076fabd22680234a3fa9f9dc5732")
    }
}
