import KernelRuntime
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
///
/// Every check is traced: `ntlm_password_check` around one login's check, and inside it one
/// `smb_pwd_check_ntlmv1` or `smb_pwd_check_ntlmv2` frame per comparison, whose enter event
/// carries what the client sent and whose exit carries what the stored password gives.
struct NTLMVerifier {
    let users: UserDatabase
    /// Where the checks are traced (nothing is recorded when it is not tracing).
    let runtime: any KernelRuntime

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
        let mode = NTLMVerifier.oldStyleMode(lmResponse: lmResponse, ntResponse: ntResponse)
        return try passwordCheck(
            "\(domain)\\\(name), old-style \(mode?.rawValue ?? "anonymous")",
            buffers: [TraceBuffer(name: "server challenge", bytes: challenge)]
        ) { call in
            guard let mode else { throw LoginFailure.anonymousRefused }
            guard let user = users.user(named: name) else { throw LoginFailure.unknownUser }
            let login: VerifiedLogin
            switch mode {
            case .ntlm:
                let fields: [(name: String, bytes: [UInt8])] =
                    [("NT response", ntResponse), ("LM response", lmResponse)].filter { !$0.bytes.isEmpty }
                let expected = try checkNTLMv1(
                    fields, inputs: [TraceBuffer(name: "server challenge", bytes: challenge)],
                    how: "DES of the server challenge under the stored NT hash"
                ) {
                    guard let response = try? NTLM.ntlmv1Response(ntHash: user.ntHash, challenge: challenge) else {
                        throw LoginFailure.malformed("challenge of \(challenge.count) bytes")
                    }
                    return response
                }
                guard let expected else { throw LoginFailure.wrongPassword }
                guard let sessionKey = try? NTLM.sessionKeyV1(ntHash: user.ntHash),
                      let macKey = try? NTLM.macKeyV1(sessionKey: sessionKey, ntResponse: expected) else {
                    throw LoginFailure.malformed("NTLMv1 keys")
                }
                login = VerifiedLogin(user: user.name, mode: .ntlm, sessionKey: sessionKey, macKey: macKey)
            default:
                let sessionKey = try verifyNTLMv2(user: user, name: name, domain: domain, response: ntResponse,
                                                  challenge: challenge)
                guard let macKey = try? NTLM.macKeyV2(sessionKey: sessionKey, ntlmv2Response: ntResponse) else {
                    throw LoginFailure.malformed("NTLMv2 keys")
                }
                login = VerifiedLogin(user: user.name, mode: .ntlmv2, sessionKey: sessionKey, macKey: macKey)
            }
            call.returning("\(login.user): \(login.mode.rawValue) response accepted",
                           buffers: [TraceBuffer(name: "session key", bytes: login.sessionKey),
                                     TraceBuffer(name: "MAC key", bytes: login.macKey)])
            return login
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
        try passwordCheck(
            "\(response.domain)\\\(response.user), NTLMSSP with a \(response.ntResponse.count)-byte NT response",
            buffers: [TraceBuffer(name: "server challenge", bytes: serverChallenge)]
        ) { call in
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
            call.returning(
                "\(user.name): \(mode.rawValue) response accepted"
                    + (exported == keyExchangeKey ? "" : "; session key RC4-decrypted under the key-exchange key"),
                buffers: [TraceBuffer(name: "key-exchange key", bytes: keyExchangeKey),
                          TraceBuffer(name: "exported session key", bytes: exported)])
            return VerifiedLogin(user: user.name, mode: mode, sessionKey: exported, macKey: exported)
        }
    }

    /// One login's password check: the frame the comparisons nest in. Mirrors Samba's
    /// `ntlm_password_check`.
    private func passwordCheck<T>(
        _ message: @autoclosure () -> String, buffers: @autoclosure () -> [TraceBuffer],
        _ body: (inout TracedCall) throws -> T
    ) throws -> T {
        try runtime.traced("ntlm_password_check", message(), buffers: buffers(), body)
    }

    /// NTLMv1 inside NTLMSSP: the NTLM2 session response when extended session security was
    /// negotiated (LM field = client challenge ‖ 16 zeros), else plain DES of the challenge.
    /// Returns the key-exchange key.
    private func verifyNTLMSSPv1(user: UserDatabase.User, response: NTLMSSPResponse,
                                 serverChallenge: [UInt8]) throws -> [UInt8] {
        guard let baseKey = try? NTLMSSPKeys.sessionBaseKeyV1(ntHash: user.ntHash) else {
            throw LoginFailure.malformed("NT hash")
        }
        let received: [(name: String, bytes: [UInt8])] = [("NT response", response.ntResponse)]
        if response.extendedSessionSecurity {
            guard response.lmResponse.count == 24 else {
                throw LoginFailure.malformed("NTLM2 session response without a 24-byte LM field")
            }
            let clientChallenge = Array(response.lmResponse[0..<8])
            let expected = try checkNTLMv1(
                received,
                inputs: [TraceBuffer(name: "server challenge", bytes: serverChallenge),
                         TraceBuffer(name: "client challenge", bytes: clientChallenge)],
                how: "NTLM2 session response: DES of MD5(server ‖ client challenge) under the stored NT hash"
            ) {
                guard let expected = try? NTLMSSPKeys.ntlm2SessionResponse(
                    ntHash: user.ntHash, serverChallenge: serverChallenge, clientChallenge: clientChallenge) else {
                    throw LoginFailure.malformed("challenge")
                }
                return expected.ntResponse
            }
            guard expected != nil else { throw LoginFailure.wrongPassword }
            guard let kxkey = try? NTLMSSPKeys.keyExchangeKeyV1ESS(
                sessionBaseKey: baseKey, serverChallenge: serverChallenge, lmResponse: response.lmResponse) else {
                throw LoginFailure.malformed("key-exchange key")
            }
            return kxkey
        }
        let expected = try checkNTLMv1(
            received, inputs: [TraceBuffer(name: "server challenge", bytes: serverChallenge)],
            how: "DES of the server challenge under the stored NT hash"
        ) {
            guard let expected = try? NTLM.ntlmv1Response(ntHash: user.ntHash, challenge: serverChallenge) else {
                throw LoginFailure.malformed("challenge")
            }
            return expected
        }
        guard expected != nil else { throw LoginFailure.wrongPassword }
        return baseKey
    }

    /// Recomputes the 24-byte NTLMv1 response from the stored NT hash (`compute`) and compares
    /// it with each field the client may have put it in, in order. Mirrors Samba's
    /// `smb_pwd_check_ntlmv1`.
    ///
    /// - Returns: the matching response, or nil when no field matches (a wrong password).
    /// - Throws: what `compute` throws (``LoginFailure/malformed(_:)``: the inputs cannot give a
    ///   response).
    private func checkNTLMv1(_ fields: [(name: String, bytes: [UInt8])], inputs: [TraceBuffer], how: String,
                             compute: () throws -> [UInt8]) throws -> [UInt8]? {
        let received = fields.map { TraceBuffer(name: "\($0.name) (received)", bytes: $0.bytes) }
        return try runtime.traced("smb_pwd_check_ntlmv1", how, buffers: inputs + received) { call in
            let expected = try compute()
            let match = fields.first { constantTimeEquals($0.bytes, expected) }
            call.returning(match.map { "\($0.name) matches" } ?? "no match: wrong password",
                           buffers: [TraceBuffer(name: "response (expected)", bytes: expected)])
            return match == nil ? nil : expected
        }
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
            if let owf = try checkNTLMv2(user: user, name: name, domain: candidate, proof: proof, blob: blob,
                                         challenge: challenge) {
                guard let key = try? NTLM.sessionKeyV2(ntowfv2: owf, ntProofStr: proof) else {
                    throw LoginFailure.malformed("NTProofStr")
                }
                return key
            }
        }
        throw LoginFailure.wrongPassword
    }

    /// Recomputes NTProofStr = HMAC-MD5(NTOWFv2(stored NT hash, user, domain), challenge ‖ blob)
    /// for one candidate domain and compares it with the client's. Mirrors Samba's
    /// `smb_pwd_check_ntlmv2`.
    ///
    /// - Returns: NTOWFv2 when the proofs match, nil when they differ.
    private func checkNTLMv2(user: UserDatabase.User, name: String, domain: String, proof: [UInt8], blob: [UInt8],
                             challenge: [UInt8]) throws -> [UInt8]? {
        try runtime.traced("smb_pwd_check_ntlmv2", "\(name) in domain \"\(domain)\"",
                           buffers: [TraceBuffer(name: "server challenge", bytes: challenge),
                                     TraceBuffer(name: "NTProofStr (received)", bytes: proof),
                                     TraceBuffer(name: "NTLMv2 blob (received)", bytes: blob)]) { call in
            guard let owf = try? NTLM.ntowfv2(ntHash: user.ntHash, user: name, domain: domain),
                  let expected = try? NTLM.ntProofStr(ntowfv2: owf, serverChallenge: challenge, blob: blob) else {
                throw LoginFailure.malformed("challenge")
            }
            let match = constantTimeEquals(proof, expected)
            call.returning(match ? "NTProofStr matches" : "NTProofStr differs",
                           buffers: [TraceBuffer(name: "NTProofStr (expected)", bytes: expected)])
            return match ? owf : nil
        }
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
