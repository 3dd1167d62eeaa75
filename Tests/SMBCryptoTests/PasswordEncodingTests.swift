import Testing
@testable import SMBCrypto

/// The password → UTF-16 step of the NT hash, kernel (`cifs_strtoUTF16(…, 128, utf8)`) and
/// untruncated. Expected units are written out by rule; expected hashes were computed
/// independently (a Python model of the kernel rules + `openssl dgst -md4`).
@Suite("Password encoding and NT hash")
struct PasswordEncodingTests {
    let a = UInt16(0x61), question = UInt16(0x3F)

    @Test func emptyPassword() {
        #expect(NTLM.passwordUTF16("", encoding: .kernel) == [])
        #expect(NTLM.ntHash(password: "", encoding: .kernel) == hex("31d6cfe0d16ae931b73c59d7e0c089c0"))
        #expect(NTLM.ntHash(password: "", encoding: .untruncated) == hex("31d6cfe0d16ae931b73c59d7e0c089c0"))
    }

    /// Short non-ASCII passwords convert the same way in both modes.
    @Test(arguments: [
        ("pässwörd", [0x70, 0xE4, 0x73, 0x73, 0x77, 0xF6, 0x72, 0x64], "0553152250ac01adb4213cb9938663e4"),
        ("密码", [0x5BC6, 0x7801], "f900556f89880c4084e3c644c6c20b9c"),
        ("🔑key", [0xD83D, 0xDD11, 0x6B, 0x65, 0x79], "08636ad2dbbe22210305db7278de577f"),
    ] as [(String, [UInt16], String)])
    func shortNonASCII(password: String, units: [UInt16], ntHash: String) {
        #expect(NTLM.passwordUTF16(password, encoding: .kernel) == units)
        #expect(NTLM.passwordUTF16(password, encoding: .untruncated) == units)
        #expect(NTLM.ntHash(password: password, encoding: .kernel) == hex(ntHash))
        #expect(NTLM.ntHash(password: password, encoding: .untruncated) == hex(ntHash))
    }

    @Test func exactly128Bytes() {
        let password = String(repeating: "a", count: 128)
        #expect(NTLM.passwordUTF16(password, encoding: .kernel) == [UInt16](repeating: a, count: 128))
        #expect(NTLM.ntHash(password: password, encoding: .kernel) == hex("e6aa3dae9a4499428fc0a4da4478bd15"))
        #expect(NTLM.ntHash(password: password, encoding: .untruncated) == hex("e6aa3dae9a4499428fc0a4da4478bd15"))
    }

    /// More than 128 characters: the kernel hashes only the first 128 bytes.
    @Test func longerThan128() {
        let password = String(repeating: "a", count: 200)
        #expect(NTLM.passwordUTF16(password, encoding: .kernel) == [UInt16](repeating: a, count: 128))
        #expect(NTLM.passwordUTF16(password, encoding: .untruncated).count == 200)
        #expect(NTLM.ntHash(password: password, encoding: .kernel) == hex("e6aa3dae9a4499428fc0a4da4478bd15"))
        #expect(NTLM.ntHash(password: password, encoding: .untruncated) == hex("a29c0d94604069b7cd6882bcc5b19d42"))
    }

    /// Byte 128 cuts "é" (C3 A9) after its lead byte: the fallback writes '?' for the lead.
    @Test func cutTwoByteCharacter() {
        let password = String(repeating: "a", count: 127) + "é"
        let result = NTLM.cifsStrToUTF16(Array(password.utf8), maxBytes: 128)
        #expect(result.usedFallback)
        #expect(result.units == [UInt16](repeating: a, count: 127) + [question])
        #expect(NTLM.passwordUTF16(password, encoding: .untruncated) == [UInt16](repeating: a, count: 127) + [0xE9])
        #expect(NTLM.ntHash(password: password, encoding: .kernel) == hex("3811924214ba188a3150ebbc91e8e162"))
        #expect(NTLM.ntHash(password: password, encoding: .untruncated) == hex("1f79f18efca8734559bb7bf5a4e0bc4f"))
    }

    /// A cut 3-byte character late in the password makes the kernel redo the whole string one
    /// character at a time, so the emoji at the start also turns into '?' — one per byte.
    @Test func cutCharacterRewritesEarlierEmoji() {
        let password = "🔑" + String(repeating: "a", count: 122) + "密"  // bytes 126, 127 are E5 AF
        let result = NTLM.cifsStrToUTF16(Array(password.utf8), maxBytes: 128)
        #expect(result.usedFallback)
        #expect(result.units == [question, question, question, question]
            + [UInt16](repeating: a, count: 122) + [question, question])
        #expect(NTLM.passwordUTF16(password, encoding: .untruncated)
            == [0xD83D, 0xDD11] + [UInt16](repeating: a, count: 122) + [0x5BC6])
        #expect(NTLM.ntHash(password: password, encoding: .kernel) == hex("aa0b8c577b84cebd9680dc564b30f0a9"))
        #expect(NTLM.ntHash(password: password, encoding: .untruncated) == hex("c20d3bf97d3812d769ce5b120c034437"))
    }

    /// When the cut falls between characters there is no fallback: the emoji stays a pair.
    @Test func cleanCutKeepsSurrogatePair() {
        let password = "🔑" + String(repeating: "a", count: 200)
        let result = NTLM.cifsStrToUTF16(Array(password.utf8), maxBytes: 128)
        #expect(!result.usedFallback)
        #expect(result.units == [0xD83D, 0xDD11] + [UInt16](repeating: a, count: 124))
        #expect(NTLM.ntHash(password: password, encoding: .kernel) == hex("2aadfaccf425f532b9fcb199bb09a9e5"))
        #expect(NTLM.ntHash(password: password, encoding: .untruncated) == hex("e63316e2382deb4c077affc9d9ea6111"))
    }

    /// The kernel's password is a C string: conversion stops at a NUL.
    @Test func nulEndsTheKernelPassword() {
        #expect(NTLM.passwordUTF16("ab\0cd", encoding: .kernel) == [0x61, 0x62])
        #expect(NTLM.passwordUTF16("ab\0cd", encoding: .untruncated) == [0x61, 0x62, 0, 0x63, 0x64])
        #expect(NTLM.ntHash(password: "ab\0cd", encoding: .kernel) == hex("79312f7ee81e59d4e76a15021e74b597"))
    }

    /// Raw bytes that are not valid UTF-8 take the fallback: one '?' per undecodable byte.
    @Test(arguments: [
        ([0x61, 0xFF, 0x62], [0x61, 0x3F, 0x62], "443f12922adeee908b53501dfabf2f9f"),  // invalid byte
        ([0xC0, 0xAF, 0x61], [0x3F, 0x3F, 0x61], "4e9c3b45af3f8e348b8cc00480e46067"),  // overlong '/'
        ([0xED, 0xA0, 0x80, 0x61], [0x3F, 0x3F, 0x3F, 0x61], "06b7b2f29c8f98244efc1abbcef7d1d9"),  // surrogate
        ([0xF8, 0x88, 0x80, 0x80, 0x80], [0x3F, 0x3F, 0x3F, 0x3F, 0x3F], "0cc2dfaae799eadc018adbd72ab9ab33"),  // 5-byte form
    ] as [([UInt8], [UInt16], String)])
    func invalidUTF8(bytes: [UInt8], units: [UInt16], ntHash: String) {
        let result = NTLM.cifsStrToUTF16(bytes, maxBytes: 128)
        #expect(result.usedFallback)
        #expect(result.units == units)
        #expect(NTLM.ntHash(passwordUTF8: bytes, encoding: .kernel) == hex(ntHash))
    }

    @Test func utf16LEBytes() {
        #expect(NTLM.utf16LE("A🔑") == [0x41, 0x00, 0x3D, 0xD8, 0x11, 0xDD])
    }
}
