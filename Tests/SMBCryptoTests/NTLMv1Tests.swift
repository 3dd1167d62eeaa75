import Testing
@testable import SMBCrypto

/// MS-NLMP §4.2.2 (NTLMv1) and §4.2.3 (NTLMv1 with client challenge / extended session
/// security). Published values; each was also recomputed with OpenSSL (MD4, DES, RC4) and
/// Python's hmac/hashlib.
@Suite("NTLMv1 (MS-NLMP 4.2.2, 4.2.3)")
struct NTLMv1Tests {
    let ntHash = NTLM.ntHash(password: MSNLMP.password, encoding: .kernel)

    @Test func hashes() throws {
        #expect(ntHash == hex("a4f49c406510bdcab6824ee7c30fd852"))  // 4.2.2.1.2 NTOWFv1
        #expect(NTLM.ntHash(password: MSNLMP.password, encoding: .untruncated) == ntHash)
        #expect(NTLM.lmHash(password: MSNLMP.password) == hex("e52cac67419a9a224a3b108f3fa6cb6d"))  // 4.2.2.1.1
    }

    @Test func responses() throws {
        let lmHash = try #require(NTLM.lmHash(password: MSNLMP.password))
        // 4.2.2.2.1 NTLMv1 response
        #expect(try NTLM.ntlmv1Response(ntHash: ntHash, challenge: MSNLMP.serverChallenge)
            == hex("67c43011f30298a2ad35ece64f16331c44bdbed927841f94"))
        // 4.2.2.2.2 LMv1 response
        #expect(try NTLM.lmv1Response(lmHash: lmHash, challenge: MSNLMP.serverChallenge)
            == hex("98def7b87f88aa5dafe2df779688a172def11c7d5ccdef13"))
    }

    @Test func sessionKeyAndOldStyleMACKey() throws {
        let sessionKey = try NTLM.sessionKeyV1(ntHash: ntHash)
        #expect(sessionKey == hex("d87262b0cde4b1cb7499becccdf10784"))  // 4.2.2.1.3 SessionBaseKey
        let response = try NTLM.ntlmv1Response(ntHash: ntHash, challenge: MSNLMP.serverChallenge)
        let macKey = try NTLM.macKeyV1(sessionKey: sessionKey, ntResponse: response)
        #expect(macKey == hex("d87262b0cde4b1cb7499becccdf10784 67c43011f30298a2ad35ece64f16331c44bdbed927841f94"))
        #expect(macKey.count == 40)
    }

    /// §4.2.2.1.3 / 4.2.2.2.3: without ESS, KXKEY is the session base key; RC4 of the random
    /// session key under it, and the LM_KEY / NON_NT_SESSION_KEY variants.
    @Test func keyExchangeWithoutESS() throws {
        let lmHash = try #require(NTLM.lmHash(password: MSNLMP.password))
        let lmResponse = try NTLM.lmv1Response(lmHash: lmHash, challenge: MSNLMP.serverChallenge)
        let baseKey = try NTLMSSPKeys.sessionBaseKeyV1(ntHash: ntHash)

        let kxkey = try NTLMSSPKeys.keyExchangeKey(sessionBaseKey: baseKey)
        #expect(kxkey == hex("d87262b0cde4b1cb7499becccdf10784"))
        #expect(try NTLMSSPKeys.encryptSessionKey(MSNLMP.randomSessionKey, keyExchangeKey: kxkey)
            == hex("518822b1b3f350c8958682ecbb3e3cb7"))

        let lmKey = try NTLMSSPKeys.keyExchangeKeyV1LMKey(lmHash: lmHash, lmResponse: lmResponse)
        #expect(lmKey == hex("b09e379f7fbecb1eaf0afdcb0383c8a0"))
        #expect(try NTLMSSPKeys.encryptSessionKey(MSNLMP.randomSessionKey, keyExchangeKey: lmKey)
            == hex("4cd7bb57d697ef9b549f02b8f9b37864"))

        let nonNT = try NTLMSSPKeys.keyExchangeKeyV1NonNTSessionKey(lmHash: lmHash)
        #expect(nonNT == hex("e52cac67419a9a220000000000000000"))
        #expect(try NTLMSSPKeys.encryptSessionKey(MSNLMP.randomSessionKey, keyExchangeKey: nonNT)
            == hex("7452ca55c225a1ca04b48fae32cf56fc"))
    }

    /// §4.2.3: NTLMv1 with extended session security (NTLM2 session response).
    @Test func extendedSessionSecurity() throws {
        let (lmResponse, ntResponse) = try NTLMSSPKeys.ntlm2SessionResponse(
            ntHash: ntHash, serverChallenge: MSNLMP.serverChallenge, clientChallenge: MSNLMP.clientChallenge)
        #expect(lmResponse == hex("aaaaaaaaaaaaaaaa00000000000000000000000000000000"))  // 4.2.3.2.1
        #expect(ntResponse == hex("7537f803ae367128ca458204bde7caf81e97ed2683267232"))  // 4.2.3.2.2

        let baseKey = try NTLMSSPKeys.sessionBaseKeyV1(ntHash: ntHash)
        #expect(baseKey == hex("d87262b0cde4b1cb7499becccdf10784"))  // 4.2.3.1.2
        let kxkey = try NTLMSSPKeys.keyExchangeKeyV1ESS(
            sessionBaseKey: baseKey, serverChallenge: MSNLMP.serverChallenge, lmResponse: lmResponse)
        #expect(kxkey == hex("eb93429a8bd952f8b89c55b87f475edc"))  // 4.2.3.1.3
        // §4.2.3 negotiates no KEY_EXCH, so the spec publishes no encrypted key; this value is
        // RC4(KXKEY, 0x55…) recomputed with `openssl enc -rc4`.
        #expect(try NTLMSSPKeys.encryptSessionKey(MSNLMP.randomSessionKey, keyExchangeKey: kxkey)
            == hex("c24aaae976dbb40586052e128d87b4a6"))
    }

    @Test func lmHashRules() {
        #expect(NTLM.lmHash(password: "password") == NTLM.lmHash(password: "PASSWORD"))
        #expect(NTLM.lmHash(password: "") == hex("aad3b435b51404eeaad3b435b51404ee"))  // the well-known empty LM hash
        #expect(NTLM.lmHash(password: "12345678901234") != nil)
        #expect(NTLM.lmHash(password: "123456789012345") == nil)  // 15 bytes
        #expect(NTLM.lmHash(password: "pässwörd") == nil)  // not ASCII
    }

    @Test func badLengthsThrow() {
        #expect(throws: SMBCryptoError.self) { try NTLM.smbOWFEncrypt(hash: [1], challenge: MSNLMP.serverChallenge) }
        #expect(throws: SMBCryptoError.self) { try NTLM.ntlmv1Response(ntHash: ntHash, challenge: [1, 2]) }
        #expect(throws: SMBCryptoError.self) { try NTLM.sessionKeyV1(ntHash: []) }
        #expect(throws: SMBCryptoError.self) { try NTLM.macKeyV1(sessionKey: ntHash, ntResponse: ntHash) }
        #expect(throws: SMBCryptoError.self) {
            try NTLMSSPKeys.keyExchangeKeyV1ESS(sessionBaseKey: ntHash, serverChallenge: MSNLMP.serverChallenge, lmResponse: [])
        }
    }
}
