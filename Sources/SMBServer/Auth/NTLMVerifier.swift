import SMBCrypto

/// A verified login: who, how, and the keys signing will use.
struct VerifiedLogin: Sendable, Equatable {
    var user: String
    var mode: AuthMode
    /// The 16-byte session key (NTLMv1 MD4(NT hash), NTLMv2 session base key, or the NTLMSSP
    /// exported session key).
    var sessionKey: [UInt8]
    /// The SMB1 MAC key (DESIGN §4): old-style = session key ‖ response as sent; NTLMSSP =
    /// the exported session key.
    var macKey: [UInt8]
}

/// Why a login was refused. Every case is answered with STATUS_LOGON_FAILURE on the wire.
enum LoginFailure: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownUser
    case wrongPassword
    case anonymousRefused
    case modeNotAllowed(AuthMode)
    case malformed(String)
    case rejectedByFault

    var description: String {
        switch self {
        case .unknownUser: return "unknown user"
        case .wrongPassword: return "wrong password"
        case .anonymousRefused: return "anonymous login refused"
        case let .modeNotAllowed(mode): return "\(mode) not allowed"
        case let .malformed(reason): return "malformed: \(reason)"
        case .rejectedByFault: return "rejected by fault plan"
        }
    }
}

/// Checks NTLM, NTLMv2 and NTLMSSP responses against the configured passwords. The server's
/// side of SMBCrypto: the same functions compute what the client should have sent.
struct NTLMVerifier: Sendable {
    let users: UserDatabase

    /// The mode an old-style SESSION_SETUP_ANDX's password fields indicate, or nil for an
    /// anonymous (empty) one.
    static func oldStyleMode(lmResponse: [UInt8], ntResponse: [UInt8]) -> AuthMode? {
        if ntResponse.count > 24 { return .ntlmv2 }
        if ntResponse.count == 24 || (ntResponse.isEmpty && lmResponse.count == 24) { return .ntlm }
        return nil
    }

    /// Verifies an old-style (13-word) session setup. NTLMv1: the 24-byte response may sit in
    /// either password field. NTLMv2: the NTLMv2 response in the Unicode field (the LMv2
    /// field is not needed; smbclient sends zeros there).
    func verifyOldStyle(user name: String, domain: String, lmResponse: [UInt8], ntResponse: [UInt8],
                        challenge: [UInt8]) throws -> VerifiedLogin {
        guard let mode = NTLMVerifier.oldStyleMode(lmResponse: lmResponse, ntResponse: ntResponse) else {
            throw LoginFailure.anonymousRefused
        }
        guard let user = users.user(named: name) else { throw LoginFailure.unknownUser }
        switch mode {
        case .ntlm:
            guard let expected = try? NTLM.ntlmv1Response(ntHash: user.ntHash, challenge: challenge) else {
                throw LoginFailure.malformed("challenge of \(challenge.count) bytes")
            }
            guard constantTimeEquals(ntResponse, expected) || constantTimeEquals(lmResponse, expected) else {
                throw LoginFailure.wrongPassword
            }
            guard let sessionKey = try? NTLM.sessionKeyV1(ntHash: user.ntHash),
                  let macKey = try? NTLM.macKeyV1(sessionKey: sessionKey, ntResponse: expected) else {
                throw LoginFailure.malformed("NTLMv1 keys")
            }
            return VerifiedLogin(user: user.name, mode: .ntlm, sessionKey: sessionKey, macKey: macKey)
        default:
            let sessionKey = try verifyNTLMv2(user: user, name: name, domain: domain, response: ntResponse,
                                              challenge: challenge)
            guard let macKey = try? NTLM.macKeyV2(sessionKey: sessionKey, ntlmv2Response: ntResponse) else {
                throw LoginFailure.malformed("NTLMv2 keys")
            }
            return VerifiedLogin(user: user.name, mode: .ntlmv2, sessionKey: sessionKey, macKey: macKey)
        }
    }

    /// What an NTLMSSP AUTHENTICATE carried that matters for verification.
    struct NTLMSSPResponse: Sendable {
        var user: String
        var domain: String
        var lmResponse: [UInt8]
        var ntResponse: [UInt8]
        var encryptedRandomSessionKey: [UInt8]
        /// NEGOTIATE_EXTENDED_SESSIONSECURITY was negotiated.
        var extendedSessionSecurity: Bool
        /// NEGOTIATE_KEY_EXCH was negotiated.
        var keyExchange: Bool
    }

    /// Verifies an NTLMSSP AUTHENTICATE (MS-NLMP 3.2.5.1.2, server side) and derives the
    /// exported session key: KXKEY per the response type, then RC4-decrypt the client's random
    /// key when KEY_EXCH was negotiated (the kernel's `calc_seckey` from the other end).
    func verifyNTLMSSP(_ response: NTLMSSPResponse, serverChallenge: [UInt8]) throws -> VerifiedLogin {
        if response.user.isEmpty && response.ntResponse.isEmpty
            && (response.lmResponse.isEmpty || response.lmResponse == [0]) {
            throw LoginFailure.anonymousRefused
        }
        guard let user = users.user(named: response.user) else { throw LoginFailure.unknownUser }
        let mode: AuthMode
        let keyExchangeKey: [UInt8]
        if response.ntResponse.count > 24 {
            mode = .ntlmsspV2
            keyExchangeKey = try verifyNTLMv2(user: user, name: response.user, domain: response.domain,
                                              response: response.ntResponse, challenge: serverChallenge)
        } else if response.ntResponse.count == 24 {
            mode = .ntlmsspV1
            keyExchangeKey = try verifyNTLMSSPv1(user: user, response: response, serverChallenge: serverChallenge)
        } else {
            throw LoginFailure.malformed("NT response of \(response.ntResponse.count) bytes")
        }
        var exported = keyExchangeKey
        if response.keyExchange && response.encryptedRandomSessionKey.count == 16 {
            guard let decrypted = try? NTLMSSPKeys.decryptSessionKey(
                response.encryptedRandomSessionKey, keyExchangeKey: keyExchangeKey) else {
                throw LoginFailure.malformed("EncryptedRandomSessionKey")
            }
            exported = decrypted
        }
        return VerifiedLogin(user: user.name, mode: mode, sessionKey: exported, macKey: exported)
    }

    /// NTLMv1 inside NTLMSSP: the NTLM2 session response when extended session security was
    /// negotiated (LM field = client challenge ‖ 16 zeros), else plain DES of the challenge.
    /// Returns the key-exchange key.
    private func verifyNTLMSSPv1(user: UserDatabase.User, response: NTLMSSPResponse,
                                 serverChallenge: [UInt8]) throws -> [UInt8] {
        guard let baseKey = try? NTLMSSPKeys.sessionBaseKeyV1(ntHash: user.ntHash) else {
            throw LoginFailure.malformed("NT hash")
        }
        if response.extendedSessionSecurity {
            guard response.lmResponse.count == 24 else {
                throw LoginFailure.malformed("NTLM2 session response without a 24-byte LM field")
            }
            let clientChallenge = Array(response.lmResponse[0..<8])
            guard let expected = try? NTLMSSPKeys.ntlm2SessionResponse(
                ntHash: user.ntHash, serverChallenge: serverChallenge, clientChallenge: clientChallenge) else {
                throw LoginFailure.malformed("challenge")
            }
            guard constantTimeEquals(response.ntResponse, expected.ntResponse) else { throw LoginFailure.wrongPassword }
            guard let kxkey = try? NTLMSSPKeys.keyExchangeKeyV1ESS(
                sessionBaseKey: baseKey, serverChallenge: serverChallenge, lmResponse: response.lmResponse) else {
                throw LoginFailure.malformed("key-exchange key")
            }
            return kxkey
        }
        guard let expected = try? NTLM.ntlmv1Response(ntHash: user.ntHash, challenge: serverChallenge) else {
            throw LoginFailure.malformed("challenge")
        }
        guard constantTimeEquals(response.ntResponse, expected) else { throw LoginFailure.wrongPassword }
        return baseKey
    }

    /// Checks an NTLMv2 response (NTProofStr ‖ blob) and returns the session base key.
    ///
    /// NTOWFv2 mixes in the domain as the client typed it, so like smbd the server tries the
    /// domain as sent, then upper-cased, then empty.
    private func verifyNTLMv2(user: UserDatabase.User, name: String, domain: String, response: [UInt8],
                              challenge: [UInt8]) throws -> [UInt8] {
        guard response.count >= 16 + NTLMv2Blob.headerLength else {
            throw LoginFailure.malformed("NTLMv2 response of \(response.count) bytes")
        }
        let proof = Array(response[0..<16])
        let blob = Array(response[16...])
        var domains: [String] = []
        for candidate in [domain, domain.uppercased(), ""] where !domains.contains(candidate) {
            domains.append(candidate)
        }
        for candidate in domains {
            guard let owf = try? NTLM.ntowfv2(ntHash: user.ntHash, user: name, domain: candidate),
                  let expected = try? NTLM.ntProofStr(ntowfv2: owf, serverChallenge: challenge, blob: blob) else {
                throw LoginFailure.malformed("challenge")
            }
            if constantTimeEquals(proof, expected) {
                guard let key = try? NTLM.sessionKeyV2(ntowfv2: owf, ntProofStr: proof) else {
                    throw LoginFailure.malformed("NTProofStr")
                }
                return key
            }
        }
        throw LoginFailure.wrongPassword
    }
}

/// HMAC-MD5 through SMBCrypto's public API: `ntProofStr` is HMAC-MD5(key, challenge ‖ blob)
/// for a 16-byte key and an 8-byte challenge, so any message of 8 bytes or more can be split
/// that way. Used to check an NTLMSSP MIC.
func hmacMD5(key: [UInt8], message: [UInt8]) -> [UInt8]? {
    guard key.count == 16, message.count >= 8 else { return nil }
    return try? NTLM.ntProofStr(ntowfv2: key, serverChallenge: Array(message[0..<8]), blob: Array(message[8...]))
}

/// Compares two byte strings without an early exit on the first difference.
func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
}
