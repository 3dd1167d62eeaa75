import Crypto

/// NTLM password hashes and challenge responses (MS-NLMP §3.3), as the SMB1 client sends them
/// in SESSION_SETUP_ANDX. Everything is a pure function of its inputs.
///
/// Names follow MS-NLMP; where a function mirrors a function of the Linux 3.8 CIFS client
/// (fs/cifs/smbencrypt.c, fs/cifs/cifsencrypt.c) its doc comment says so.
public enum NTLM {
    /// The 8-byte constant the LM hash encrypts.
    static let lmMagic: [UInt8] = Array("KGS!@#$%".utf8)

    // MARK: - Password hashes

    /// The NT hash (MS-NLMP `NTOWFv1`): MD4 of the password in UTF-16LE, converted as
    /// `encoding` says (see ``PasswordEncoding``). Mirrors the kernel's `E_md4hash` when
    /// `encoding` is ``PasswordEncoding/kernel``.
    public static func ntHash(password: String, encoding: PasswordEncoding) -> [UInt8] {
        MD4.hash(utf16LE(passwordUTF16(password, encoding: encoding)))
    }

    /// The NT hash of a password given as raw UTF-8 bytes.
    public static func ntHash(passwordUTF8: [UInt8], encoding: PasswordEncoding) -> [UInt8] {
        MD4.hash(utf16LE(passwordUTF16(utf8: passwordUTF8, encoding: encoding)))
    }

    /// The LM hash (MS-NLMP `LMOWFv1`): the password upper-cased (ASCII letters only),
    /// zero-padded to 14 bytes, split into two 7-byte DES keys that each encrypt `KGS!@#$%`.
    ///
    /// - Returns: 16 bytes, or nil when the password has no LM hash: longer than 14 bytes or
    ///   not plain ASCII (the OEM code page an LM hash needs is not modelled here).
    public static func lmHash(password: String) -> [UInt8]? {
        let bytes = Array(password.utf8)
        guard bytes.count <= 14, bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        var padded = bytes.map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 }
        padded += [UInt8](repeating: 0, count: 14 - padded.count)
        // Both halves are 7 bytes and the magic 8, so these DES calls cannot fail.
        guard let first = try? DES(smbKey: Array(padded[0..<7])).encrypt(block: lmMagic),
              let second = try? DES(smbKey: Array(padded[7..<14])).encrypt(block: lmMagic)
        else { return nil }
        return first + second
    }

    // MARK: - NTLMv1

    /// The 24-byte DES response to an 8-byte challenge: the 16-byte `hash` zero-padded to 21
    /// bytes, cut into three 7-byte DES keys, each encrypting `challenge`. Mirrors the kernel's
    /// `SMBOWFencrypt` / `E_P24` (MS-NLMP `DESL`).
    public static func smbOWFEncrypt(hash: [UInt8], challenge: [UInt8]) throws -> [UInt8] {
        try requireLength(hash, 16, "password hash")
        try requireLength(challenge, 8, "challenge")
        let key21 = hash + [UInt8](repeating: 0, count: 5)
        var response: [UInt8] = []
        for start in stride(from: 0, to: 21, by: 7) {
            response += try DES(smbKey: Array(key21[start..<start + 7])).encrypt(block: challenge)
        }
        return response
    }

    /// The LMv1 response: ``smbOWFEncrypt(hash:challenge:)`` of the LM hash. Mirrors the
    /// kernel's `SMBencrypt` (which hashes the password first).
    public static func lmv1Response(lmHash: [UInt8], challenge: [UInt8]) throws -> [UInt8] {
        try smbOWFEncrypt(hash: lmHash, challenge: challenge)
    }

    /// The NTLMv1 response: ``smbOWFEncrypt(hash:challenge:)`` of the NT hash. Mirrors the
    /// kernel's `SMBNTencrypt`.
    public static func ntlmv1Response(ntHash: [UInt8], challenge: [UInt8]) throws -> [UInt8] {
        try smbOWFEncrypt(hash: ntHash, challenge: challenge)
    }

    /// The NTLMv1 session key (MS-NLMP `SessionBaseKey` for NTLMv1): MD4 of the NT hash.
    /// The kernel computes it in `setup_ntlm_response` with `mdfour`.
    public static func sessionKeyV1(ntHash: [UInt8]) throws -> [UInt8] {
        try requireLength(ntHash, 16, "NT hash")
        return MD4.hash(ntHash)
    }

    /// The old-style (`sec=ntlm`) SMB1 MAC key: the 16-byte session key followed by the
    /// 24-byte NTLMv1 response, 40 bytes. Mirrors the `auth_key` the kernel builds in
    /// `setup_ntlm_response`.
    public static func macKeyV1(sessionKey: [UInt8], ntResponse: [UInt8]) throws -> [UInt8] {
        try requireLength(sessionKey, 16, "session key")
        try requireLength(ntResponse, 24, "NTLMv1 response")
        return sessionKey + ntResponse
    }

    // MARK: - NTLMv2

    /// `NTOWFv2`: HMAC-MD5 keyed with the NT hash over UTF-16LE(uppercase(user) + domain).
    /// The domain is not upper-cased. Mirrors the kernel's `calc_ntlmv2_hash`.
    ///
    /// Upper-casing maps each BMP character to its single-character upper case (so `ß` stays
    /// `ß` rather than growing to `SS`) and leaves characters outside the BMP alone, like the
    /// per-code-unit tables of the kernel (`UniStrupr`) and Windows. ASCII names behave the
    /// same everywhere; exotic scripts may differ from those tables in detail.
    public static func ntowfv2(ntHash: [UInt8], user: String, domain: String) throws -> [UInt8] {
        try requireLength(ntHash, 16, "NT hash")
        return hmacMD5(key: ntHash, utf16LE(uppercasedForNTLM(user)) + utf16LE(domain))
    }

    /// `NTProofStr`: HMAC-MD5 keyed with NTOWFv2 over the server challenge and the encoded
    /// client blob. Mirrors the kernel's `CalcNTLMv2_response`.
    public static func ntProofStr(ntowfv2: [UInt8], serverChallenge: [UInt8], blob: [UInt8]) throws -> [UInt8] {
        try requireLength(ntowfv2, 16, "NTOWFv2")
        try requireLength(serverChallenge, 8, "server challenge")
        return hmacMD5(key: ntowfv2, serverChallenge + blob)
    }

    /// The NTLMv2 response as sent: NTProofStr followed by the encoded client blob.
    public static func ntlmv2Response(ntowfv2: [UInt8], serverChallenge: [UInt8], blob: [UInt8]) throws -> [UInt8] {
        try ntProofStr(ntowfv2: ntowfv2, serverChallenge: serverChallenge, blob: blob) + blob
    }

    /// The LMv2 response: HMAC-MD5(NTOWFv2, server challenge ‖ client challenge) followed by the
    /// client challenge, 24 bytes.
    public static func lmv2Response(ntowfv2: [UInt8], serverChallenge: [UInt8], clientChallenge: [UInt8]) throws -> [UInt8] {
        try requireLength(ntowfv2, 16, "NTOWFv2")
        try requireLength(serverChallenge, 8, "server challenge")
        try requireLength(clientChallenge, 8, "client challenge")
        return hmacMD5(key: ntowfv2, serverChallenge + clientChallenge) + clientChallenge
    }

    /// The NTLMv2 session key (MS-NLMP `SessionBaseKey` for NTLMv2): HMAC-MD5(NTOWFv2,
    /// NTProofStr). The kernel computes it at the end of `setup_ntlmv2_rsp`.
    public static func sessionKeyV2(ntowfv2: [UInt8], ntProofStr: [UInt8]) throws -> [UInt8] {
        try requireLength(ntowfv2, 16, "NTOWFv2")
        try requireLength(ntProofStr, 16, "NTProofStr")
        return hmacMD5(key: ntowfv2, ntProofStr)
    }

    /// The old-style (`sec=ntlmv2`) SMB1 MAC key: the 16-byte NTLMv2 session key followed by
    /// the whole NTLMv2 response as sent (NTProofStr ‖ blob). Mirrors the kernel's `auth_key`
    /// after `setup_ntlmv2_rsp`.
    public static func macKeyV2(sessionKey: [UInt8], ntlmv2Response: [UInt8]) throws -> [UInt8] {
        try requireLength(sessionKey, 16, "session key")
        guard ntlmv2Response.count >= 16 + NTLMv2Blob.headerLength else {
            throw SMBCryptoError.badLength(
                what: "NTLMv2 response", expected: "at least \(16 + NTLMv2Blob.headerLength)",
                actual: ntlmv2Response.count)
        }
        return sessionKey + ntlmv2Response
    }

    // MARK: - Helpers

    /// HMAC-MD5 of `message` under `key` (any lengths): the primitive NTOWFv2, NTProofStr, the
    /// NTLMv2 session key and the NTLMSSP MIC are made of. Public so that a step-by-step
    /// computation (the server's traced verification, a provenance check) can use the same one.
    public static func hmacMD5(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        Array(HMAC<Insecure.MD5>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    /// MD5 of `message` (the NTLM2 session challenge and the SMB1 signature are made with it).
    public static func md5(_ message: [UInt8]) -> [UInt8] {
        Array(Insecure.MD5.hash(data: message))
    }

    /// `text` upper-cased as ``ntowfv2(ntHash:user:domain:)`` upper-cases the user name, in
    /// UTF-16LE: the first part of NTOWFv2's message.
    public static func uppercasedUTF16LE(_ text: String) -> [UInt8] {
        utf16LE(uppercasedForNTLM(text))
    }

    /// Upper-cases one BMP character at a time; see ``ntowfv2(ntHash:user:domain:)``.
    public static func uppercasedForNTLM(_ string: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in string.unicodeScalars {
            let upper = scalar.properties.uppercaseMapping.unicodeScalars
            if scalar.value <= 0xFFFF, upper.count == 1, let single = upper.first, single.value <= 0xFFFF {
                result.append(single)
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }
}
