import Testing
@testable import SMBCrypto

/// MS-NLMP §4.2.4 (NTLMv2), plus the client blob in both its forms.
@Suite("NTLMv2 (MS-NLMP 4.2.4)")
struct NTLMv2Tests {
    let ntHash = NTLM.ntHash(password: MSNLMP.password, encoding: .kernel)

    var specBlob: NTLMv2Blob {
        NTLMv2Blob(timestamp: MSNLMP.time, clientChallenge: MSNLMP.clientChallenge,
                   targetInfo: MSNLMP.targetInfo, trailingZeros: true)
    }

    /// §4.2.4.1.3 `temp`.
    static let specBlobBytes = hex("""
        0101000000000000 0000000000000000 aaaaaaaaaaaaaaaa 00000000
        02000c0044006f006d00610069006e00 01000c00530065007200760065007200 00000000
        00000000
        """)

    @Test func ntowfv2() throws {
        #expect(try NTLM.ntowfv2(ntHash: ntHash, user: MSNLMP.user, domain: MSNLMP.domain)
            == hex("0c868a403bfd7a93a3001ef22ef02e3f"))  // 4.2.4.1.1
        // The user is upper-cased, the domain is not.
        #expect(try NTLM.ntowfv2(ntHash: ntHash, user: "USER", domain: "Domain")
            == NTLM.ntowfv2(ntHash: ntHash, user: "user", domain: "Domain"))
        #expect(try NTLM.ntowfv2(ntHash: ntHash, user: "User", domain: "DOMAIN")
            != NTLM.ntowfv2(ntHash: ntHash, user: "User", domain: "Domain"))
    }

    @Test func blobEncoding() throws {
        #expect(try specBlob.encode() == Self.specBlobBytes)
        var kernelForm = specBlob
        kernelForm.trailingZeros = false
        #expect(try kernelForm.encode() == Array(Self.specBlobBytes.dropLast(4)))
    }

    @Test func responsesAndKeys() throws {
        let owf = try NTLM.ntowfv2(ntHash: ntHash, user: MSNLMP.user, domain: MSNLMP.domain)
        let blob = try specBlob.encode()
        let proof = try NTLM.ntProofStr(ntowfv2: owf, serverChallenge: MSNLMP.serverChallenge, blob: blob)
        #expect(proof == hex("68cd0ab851e51c96aabc927bebef6a1c"))  // 4.2.4.2.2

        let response = try NTLM.ntlmv2Response(ntowfv2: owf, serverChallenge: MSNLMP.serverChallenge, blob: blob)
        #expect(response == proof + Self.specBlobBytes)

        #expect(try NTLM.lmv2Response(ntowfv2: owf, serverChallenge: MSNLMP.serverChallenge,
                                      clientChallenge: MSNLMP.clientChallenge)
            == hex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa"))  // 4.2.4.2.1

        let sessionKey = try NTLM.sessionKeyV2(ntowfv2: owf, ntProofStr: proof)
        #expect(sessionKey == hex("8de40ccadbc14a82f15cb0ad0de95ca3"))  // 4.2.4.1.2 SessionBaseKey
        #expect(try NTLMSSPKeys.sessionBaseKeyV2(ntowfv2: owf, ntProofStr: proof) == sessionKey)

        // 4.2.4.2.3: KXKEY = SessionBaseKey; RC4 of the random session key.
        let kxkey = try NTLMSSPKeys.keyExchangeKey(sessionBaseKey: sessionKey)
        let encrypted = try NTLMSSPKeys.encryptSessionKey(MSNLMP.randomSessionKey, keyExchangeKey: kxkey)
        #expect(encrypted == hex("c5dad2544fc9799094ce1ce90bc9d03e"))
        #expect(try NTLMSSPKeys.decryptSessionKey(encrypted, keyExchangeKey: kxkey) == MSNLMP.randomSessionKey)
        #expect(try NTLMSSPKeys.macKey(exportedSessionKey: MSNLMP.randomSessionKey) == MSNLMP.randomSessionKey)

        // Old-style sec=ntlmv2 MAC key: session key ‖ the whole response.
        let macKey = try NTLM.macKeyV2(sessionKey: sessionKey, ntlmv2Response: response)
        #expect(macKey == sessionKey + response)
        #expect(macKey.count == 16 + 16 + 28 + 36 + 4)
    }

    /// The kernel's blob (no trailing zeros) changes the proof and the session key; values
    /// recomputed with Python's hmac.
    @Test func kernelFormResponse() throws {
        let owf = try NTLM.ntowfv2(ntHash: ntHash, user: MSNLMP.user, domain: MSNLMP.domain)
        var blob = specBlob
        blob.trailingZeros = false
        let proof = try NTLM.ntProofStr(ntowfv2: owf, serverChallenge: MSNLMP.serverChallenge, blob: blob.encode())
        #expect(proof == hex("b232050b98e5f4e336bd187921a27bb2"))
        #expect(try NTLM.sessionKeyV2(ntowfv2: owf, ntProofStr: proof) == hex("e0029235f11808e612eaa1ace613785f"))
    }

    @Test func blobParsing() throws {
        #expect(try NTLMv2Blob.parse(Self.specBlobBytes) == specBlob)

        let kernelBytes = Array(Self.specBlobBytes.dropLast(4))
        let kernelBlob = try NTLMv2Blob.parse(kernelBytes)
        #expect(kernelBlob.trailingZeros == false)
        #expect(kernelBlob.targetInfo == MSNLMP.targetInfo)
        #expect(try kernelBlob.encode() == kernelBytes)

        // Target info that is not a clean AV pair list is kept verbatim.
        let odd = Array(Self.specBlobBytes.prefix(28)) + [0x07, 0x00, 0x08]
        let oddBlob = try NTLMv2Blob.parse(odd)
        #expect(oddBlob.targetInfo == [0x07, 0x00, 0x08])
        #expect(!oddBlob.trailingZeros)
        #expect(try oddBlob.encode() == odd)

        let proof = hex("68cd0ab851e51c96aabc927bebef6a1c")
        let (parsedProof, parsedBlob) = try NTLM.parseNTLMv2Response(proof + Self.specBlobBytes)
        #expect(parsedProof == proof)
        #expect(parsedBlob.clientChallenge == MSNLMP.clientChallenge)
        #expect(parsedBlob.timestamp == MSNLMP.time)
    }

    @Test func malformedBlobsThrow() {
        #expect(throws: SMBCryptoError.self) { try NTLMv2Blob.parse(Array(Self.specBlobBytes.prefix(27))) }
        var wrongType = Self.specBlobBytes
        wrongType[0] = 2
        #expect(throws: SMBCryptoError.self) { try NTLMv2Blob.parse(wrongType) }
        #expect(throws: SMBCryptoError.self) { try NTLM.parseNTLMv2Response(hex("00112233")) }
        #expect(throws: SMBCryptoError.self) {
            try NTLMv2Blob(timestamp: [0], clientChallenge: MSNLMP.clientChallenge, targetInfo: [], trailingZeros: false).encode()
        }
        #expect(throws: SMBCryptoError.self) { try NTLM.macKeyV2(sessionKey: MSNLMP.randomSessionKey, ntlmv2Response: [1]) }
    }

    @Test func timestampBytes() {
        // 2017-05-23 20:13:07 UTC as a FILETIME, little-endian on the wire.
        #expect(NTLMv2Blob.timestampBytes(fileTime: 131_400_439_870_000_000) == hex("800bc8fd00d4d201"))
    }

    @Test func userUppercasing() {
        #expect(NTLM.uppercasedForNTLM("user") == "USER")
        #expect(NTLM.uppercasedForNTLM("jürgen") == "JÜRGEN")
        #expect(NTLM.uppercasedForNTLM("straße") == "STRAßE")  // ß has no single-character upper case
        #expect(NTLM.uppercasedForNTLM("𐐨") == "𐐨")  // outside the BMP: unchanged
    }
}
