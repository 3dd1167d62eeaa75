/// NTLMSSP session keys (MS-NLMP §3.4.5): session base key, key-exchange key (KXKEY), the
/// NTLMv1 extended-session-security ("NTLM2 session") response, and KEY_EXCH encryption of
/// the exported session key.
///
/// For NTLMSSP the Linux 3.8 kernel always sends an NTLMv2 response and requests key exchange
/// (`calc_seckey`), so its SMB1 MAC key is the random 16-byte exported session key. The NTLMv1
/// rules are here for the server side and for comparison.
///
/// Key-exchange rules implemented (MS-NLMP §3.4.5.1 KXKEY):
/// - NTLMv2: KXKEY = session base key.
/// - NTLMv1 with extended session security: HMAC-MD5(session base key, server challenge ‖
///   LM response[0..<8]).
/// - NTLMv1 without it: the session base key, or with `NTLMSSP_NEGOTIATE_LM_KEY` the
///   DES-derived LM key, or with `NTLMSSP_REQUEST_NON_NT_SESSION_KEY` LMOWF[0..<8] ‖ Z(8).
///   The caller picks the rule from the negotiated flags.
public enum NTLMSSPKeys {
    // MARK: - Session base key

    /// NTLMv1 session base key: MD4(NT hash).
    public static func sessionBaseKeyV1(ntHash: [UInt8]) throws -> [UInt8] {
        try NTLM.sessionKeyV1(ntHash: ntHash)
    }

    /// NTLMv2 session base key: HMAC-MD5(NTOWFv2, NTProofStr).
    public static func sessionBaseKeyV2(ntowfv2: [UInt8], ntProofStr: [UInt8]) throws -> [UInt8] {
        try NTLM.sessionKeyV2(ntowfv2: ntowfv2, ntProofStr: ntProofStr)
    }

    // MARK: - Key-exchange key

    /// KXKEY for NTLMv2, and for NTLMv1 without extended session security and without the
    /// LM-key flags: the session base key itself.
    public static func keyExchangeKey(sessionBaseKey: [UInt8]) throws -> [UInt8] {
        try requireLength(sessionBaseKey, 16, "session base key")
        return sessionBaseKey
    }

    /// KXKEY for NTLMv1 with extended session security (NTLM2):
    /// HMAC-MD5(session base key, server challenge ‖ first 8 bytes of the LM response).
    public static func keyExchangeKeyV1ESS(
        sessionBaseKey: [UInt8], serverChallenge: [UInt8], lmResponse: [UInt8]
    ) throws -> [UInt8] {
        try requireLength(sessionBaseKey, 16, "session base key")
        try requireLength(serverChallenge, 8, "server challenge")
        try requireLength(lmResponse, 24, "LM response")
        return NTLM.hmacMD5(key: sessionBaseKey, serverChallenge + lmResponse[0..<8])
    }

    /// KXKEY for NTLMv1 with `NTLMSSP_NEGOTIATE_LM_KEY`: DES(LMOWF[0..<7], LM response[0..<8])
    /// ‖ DES(LMOWF[7] ‖ 0xBDBDBDBDBDBD, LM response[0..<8]).
    public static func keyExchangeKeyV1LMKey(lmHash: [UInt8], lmResponse: [UInt8]) throws -> [UInt8] {
        try requireLength(lmHash, 16, "LM hash")
        try requireLength(lmResponse, 24, "LM response")
        let block = Array(lmResponse[0..<8])
        let first = try DES(smbKey: Array(lmHash[0..<7])).encrypt(block: block)
        let second = try DES(smbKey: [lmHash[7]] + [UInt8](repeating: 0xBD, count: 6)).encrypt(block: block)
        return first + second
    }

    /// KXKEY for NTLMv1 with `NTLMSSP_REQUEST_NON_NT_SESSION_KEY`: LMOWF[0..<8] ‖ eight zeros.
    public static func keyExchangeKeyV1NonNTSessionKey(lmHash: [UInt8]) throws -> [UInt8] {
        try requireLength(lmHash, 16, "LM hash")
        return Array(lmHash[0..<8]) + [UInt8](repeating: 0, count: 8)
    }

    // MARK: - NTLMv1 extended session security

    /// The NTLMv1 response with extended session security (the "NTLM2 session response"):
    /// the NT response is the DES response to the first 8 bytes of MD5(server challenge ‖
    /// client challenge); the LM response field carries the client challenge and 16 zeros.
    public static func ntlm2SessionResponse(
        ntHash: [UInt8], serverChallenge: [UInt8], clientChallenge: [UInt8]
    ) throws -> (lmResponse: [UInt8], ntResponse: [UInt8]) {
        try requireLength(serverChallenge, 8, "server challenge")
        try requireLength(clientChallenge, 8, "client challenge")
        let sessionChallenge = Array(NTLM.md5(serverChallenge + clientChallenge)[0..<8])
        let ntResponse = try NTLM.smbOWFEncrypt(hash: ntHash, challenge: sessionChallenge)
        return (clientChallenge + [UInt8](repeating: 0, count: 16), ntResponse)
    }

    // MARK: - Key exchange (KEY_EXCH)

    /// `EncryptedRandomSessionKey`: RC4 of the caller's random 16-byte exported session key
    /// under the key-exchange key. Mirrors the kernel's `calc_seckey` (minus its
    /// `get_random_bytes`, which the caller does).
    public static func encryptSessionKey(_ exportedSessionKey: [UInt8], keyExchangeKey: [UInt8]) throws -> [UInt8] {
        try requireLength(exportedSessionKey, 16, "exported session key")
        try requireLength(keyExchangeKey, 16, "key-exchange key")
        return try RC4.process(key: keyExchangeKey, exportedSessionKey)
    }

    /// The server's side of ``encryptSessionKey(_:keyExchangeKey:)``: recovers the exported
    /// session key (RC4 is its own inverse).
    public static func decryptSessionKey(_ encryptedSessionKey: [UInt8], keyExchangeKey: [UInt8]) throws -> [UInt8] {
        try requireLength(encryptedSessionKey, 16, "encrypted session key")
        try requireLength(keyExchangeKey, 16, "key-exchange key")
        return try RC4.process(key: keyExchangeKey, encryptedSessionKey)
    }

    /// The SMB1 MAC key of an NTLMSSP session with key exchange: the 16-byte exported session
    /// key, with nothing appended (unlike the old-style keys in ``NTLM``). The kernel stores
    /// it in `auth_key` at the end of `calc_seckey`.
    public static func macKey(exportedSessionKey: [UInt8]) throws -> [UInt8] {
        try requireLength(exportedSessionKey, 16, "exported session key")
        return exportedSessionKey
    }
}
