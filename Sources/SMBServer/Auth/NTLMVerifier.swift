import KernelRuntime
import SMBCrypto

/// A verified login: who, how, and the keys signing will use.
struct VerifiedLogin: Sendable, Equatable {
    var user: String
    var mode: AuthMode
    /// The 16-byte session key (NTLMv1 MD4(NT hash), NTLMv2 session base key, or the NTLMSSP
    /// exported session key), with the buffer that recorded it.
    var session: TracedBytes
    /// Old-style logins: the response as the client sent it, which the MAC key appends to the
    /// session key (DESIGN §4). Nil for NTLMSSP, whose MAC key is the exported session key.
    var signingResponse: TracedBytes?

    var sessionKey: [UInt8] { session.bytes }
    /// The SMB1 MAC key: old-style = session key ‖ response as sent; NTLMSSP = the exported
    /// session key.
    var macKey: [UInt8] { session.bytes + (signingResponse?.bytes ?? []) }
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

/// Where a login's inputs were recorded in the trace, so that every value the check computes
/// can name them: the fields of the received request and the challenge the server made. The
/// default (nothing recorded) is what an untraced login uses.
struct LoginOrigin: Sendable {
    var fields = RequestFields()
    /// The buffer that recorded the server challenge (`get_challenge`, `ntlmssp_server_negotiate`).
    var challenge: TraceBufferID?
}

/// Checks NTLM, NTLMv2 and NTLMSSP responses against the stored NT hashes. The server's side
/// of SMBCrypto, computed step by step so that each step is a traced buffer naming its inputs
/// (the stored hash, the challenge, fields of the received request).
///
/// Every check is traced: `ntlm_password_check` around one login's check, and inside it one
/// `smb_pwd_check_ntlmv1` or `smb_pwd_check_ntlmv2` frame per comparison, whose enter event
/// carries what the client sent, whose notes recompute the response from the stored hash, and
/// whose comparison buffer says whether they matched.
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
                        challenge: [UInt8], origin: LoginOrigin = LoginOrigin()) throws -> VerifiedLogin {
        let mode = NTLMVerifier.oldStyleMode(lmResponse: lmResponse, ntResponse: ntResponse)
        return try passwordCheck("\(domain)\\\(name), old-style \(mode?.rawValue ?? "anonymous")") { call in
            guard let mode else { throw LoginFailure.anonymousRefused }
            guard let user = users.user(named: name) else { throw LoginFailure.unknownUser }
            let ntHash = try storedHash(of: user, call)
            let challenge = TracedBytes(challenge, buffer: origin.challenge)
            let nt = origin.fields.received("UnicodePassword", ntResponse)
            let login: VerifiedLogin
            switch mode {
            case .ntlm:
                let fields = [(name: "NT response", bytes: nt),
                              (name: "LM response", bytes: origin.fields.received("OEMPassword", lmResponse))]
                    .filter { !$0.bytes.bytes.isEmpty }
                guard let match = try checkNTLMv1(fields, ntHash: ntHash, challenge: challenge, keyName: "session key",
                                                  how: "DES of the server challenge under the stored NT hash") else {
                    throw LoginFailure.wrongPassword
                }
                login = VerifiedLogin(user: user.name, mode: .ntlm, session: match.sessionKey,
                                      signingResponse: match.received)
            default:
                let sessionKey = try verifyNTLMv2(
                    ntHash: ntHash, name: name, domain: domain, fields: ("AccountName", "PrimaryDomain"),
                    response: nt, challenge: challenge, keyName: "session key")
                login = VerifiedLogin(user: user.name, mode: .ntlmv2, session: sessionKey, signingResponse: nt)
            }
            call.returning("\(login.user): \(login.mode.rawValue) response accepted")
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
    func verifyNTLMSSP(_ response: NTLMSSPResponse, serverChallenge: [UInt8],
                       origin: LoginOrigin = LoginOrigin()) throws -> VerifiedLogin {
        try passwordCheck(
            "\(response.domain)\\\(response.user), NTLMSSP with a \(response.ntResponse.count)-byte NT response"
        ) { call in
            if response.user.isEmpty && response.ntResponse.isEmpty
                && (response.lmResponse.isEmpty || response.lmResponse == [0]) {
                throw LoginFailure.anonymousRefused
            }
            guard let user = users.user(named: response.user) else { throw LoginFailure.unknownUser }
            let ntHash = try storedHash(of: user, call)
            let challenge = TracedBytes(serverChallenge, buffer: origin.challenge)
            let nt = origin.fields.received("NtChallengeResponse", response.ntResponse)
            let mode: AuthMode
            let keyExchangeKey: TracedBytes
            if response.ntResponse.count > 24 {
                mode = .ntlmsspV2
                let baseKey = try verifyNTLMv2(
                    ntHash: ntHash, name: response.user, domain: response.domain, fields: ("UserName", "DomainName"),
                    response: nt, challenge: challenge, keyName: "session base key")
                keyExchangeKey = try call.record(
                    "KXKEY: for NTLMv2 the key-exchange key is the session base key", "key-exchange key",
                    baseKey.bytes, Derivation(.copy, [baseKey.input("session base key")]))
            } else if response.ntResponse.count == 24 {
                mode = .ntlmsspV1
                keyExchangeKey = try verifyNTLMSSPv1(
                    ntHash: ntHash, nt: nt, lm: origin.fields.received("LmChallengeResponse", response.lmResponse),
                    extendedSessionSecurity: response.extendedSessionSecurity, serverChallenge: challenge, call)
            } else {
                throw LoginFailure.malformed("NT response of \(response.ntResponse.count) bytes")
            }
            let exported: [UInt8]
            let derivation: () -> Derivation
            let exchanged = response.keyExchange && response.encryptedRandomSessionKey.count == 16
            if exchanged {
                let encrypted = origin.fields.received("EncryptedRandomSessionKey", response.encryptedRandomSessionKey)
                guard let decrypted = try? NTLMSSPKeys.decryptSessionKey(
                    encrypted.bytes, keyExchangeKey: keyExchangeKey.bytes) else {
                    throw LoginFailure.malformed("EncryptedRandomSessionKey")
                }
                exported = decrypted
                derivation = {
                    Derivation(.rc4, [keyExchangeKey.input("key"), encrypted.input("EncryptedRandomSessionKey")])
                }
            } else {
                exported = keyExchangeKey.bytes
                derivation = { Derivation(.copy, [keyExchangeKey.input("key-exchange key")]) }
            }
            let buffer = call.buffer("exported session key", exported, derivation())
            call.returning(
                "\(user.name): \(mode.rawValue) response accepted"
                    + (exchanged
                        ? "; session key RC4-decrypted under the key-exchange key"
                        : "; no key exchange: the exported session key is the key-exchange key"),
                buffers: buffer.map { [$0] } ?? [])
            return VerifiedLogin(user: user.name, mode: mode, session: TracedBytes(exported, buffer: buffer?.id))
        }
    }

    /// One login's password check: the frame the comparisons nest in. Mirrors Samba's
    /// `ntlm_password_check`.
    private func passwordCheck<T>(_ message: @autoclosure () -> String, _ body: (inout TracedCall) throws -> T) throws -> T {
        try runtime.traced("ntlm_password_check", message(), body)
    }

    /// The user's NT hash, the root every check starts from: like smbd's passdb, the user
    /// table keeps the NT hash of each password and never the password itself.
    private func storedHash(of user: UserDatabase.User, _ call: TracedCall) throws -> TracedBytes {
        try call.record(
            "\(user.name)'s NT hash from the user table (the server keeps no password)", "NT hash (stored)", user.ntHash,
            .given("the server's user table, which keeps only the NT hash of each password (as smbd's passdb does)"))
    }

    /// NTLMv1 inside NTLMSSP: the NTLM2 session response when extended session security was
    /// negotiated (LM field = client challenge ‖ 16 zeros), else plain DES of the challenge.
    /// Returns the key-exchange key.
    private func verifyNTLMSSPv1(ntHash: TracedBytes, nt: TracedBytes, lm: TracedBytes, extendedSessionSecurity: Bool,
                                 serverChallenge: TracedBytes, _ call: TracedCall) throws -> TracedBytes {
        let received = [(name: "NT response", bytes: nt)]
        guard extendedSessionSecurity else {
            guard let match = try checkNTLMv1(received, ntHash: ntHash, challenge: serverChallenge,
                                              keyName: "session base key",
                                              how: "DES of the server challenge under the stored NT hash") else {
                throw LoginFailure.wrongPassword
            }
            return try call.record(
                "KXKEY without extended session security: the session base key", "key-exchange key",
                match.sessionKey.bytes, Derivation(.copy, [match.sessionKey.input("session base key")]))
        }
        guard lm.bytes.count == 24 else {
            throw LoginFailure.malformed("NTLM2 session response without a 24-byte LM field")
        }
        guard serverChallenge.bytes.count == 8 else { throw LoginFailure.malformed("challenge") }
        let clientChallenge = lm.slice(0..<8)
        let digest = try call.record(
            "NTLM2 session response: MD5 of the server challenge and the client's (the LM field's first 8 bytes)",
            "MD5(server ‖ client challenge)", NTLM.md5(serverChallenge.bytes + clientChallenge.bytes),
            Derivation(.md5, [serverChallenge.input("server challenge"), clientChallenge.input("client challenge")]))
        let sessionChallenge = try call.record(
            "its first 8 bytes are the challenge the NT response answers", "NTLM2 session challenge",
            Array(digest.bytes[0..<8]), Derivation(.truncate, [digest.input("digest")], length: 8))
        guard let match = try checkNTLMv1(
            received, ntHash: ntHash, challenge: sessionChallenge, keyName: "session base key",
            how: "NTLM2 session response: DES of MD5(server ‖ client challenge) under the stored NT hash") else {
            throw LoginFailure.wrongPassword
        }
        let key = match.sessionKey
        return try call.record(
            "KXKEY with extended session security: HMAC-MD5(session base key, server ‖ client challenge)",
            "key-exchange key", NTLM.hmacMD5(key: key.bytes, serverChallenge.bytes + clientChallenge.bytes),
            Derivation(.hmacMD5, [key.input("key"), serverChallenge.input("server challenge"),
                                  clientChallenge.input("client challenge")]))
    }

    /// What a matching NTLMv1 check gives.
    private struct NTLMv1Match {
        var sessionKey: TracedBytes
        /// The received field that matched.
        var received: TracedBytes
    }

    /// Recomputes the 24-byte NTLMv1 response from the stored NT hash and compares it with
    /// each field the client may have put it in, in order, until one matches; on a match
    /// derives the session key (MD4 of the NT hash). Mirrors Samba's `smb_pwd_check_ntlmv1`.
    ///
    /// - Returns: the session key and the matching field, or nil when no field matches (a
    ///   wrong password).
    /// - Throws: ``LoginFailure/malformed(_:)`` when the challenge cannot give a response.
    private func checkNTLMv1(_ fields: [(name: String, bytes: TracedBytes)], ntHash: TracedBytes,
                             challenge: TracedBytes, keyName: String, how: String) throws -> NTLMv1Match? {
        try runtime.traced("smb_pwd_check_ntlmv1", how,
                           buffers: fields.map { $0.bytes.copy(as: "\($0.name) (received)", on: runtime) }) { call in
            let expected = try expectedNTLMv1Response(ntHash: ntHash, challenge: challenge, call)
            var matched: (name: String, bytes: TracedBytes)?
            for field in fields {
                let equal = constantTimeEquals(field.bytes.bytes, expected.bytes)
                _ = try call.record(
                    "expected response vs the \(field.name) as received: \(equal ? "match" : "mismatch")",
                    "comparison with the \(field.name)", [equal ? 1 : 0],
                    Derivation(.compare, [expected.input("expected"), field.bytes.input("received")]))
                if equal {
                    matched = field
                    break
                }
            }
            guard let matched else {
                call.returning("no match: wrong password")
                return nil
            }
            let sessionKey = try call.record(
                "SMBsesskeygen_ntv1: the \(keyName) is MD4 of the NT hash", keyName, MD4.hash(ntHash.bytes),
                Derivation(.md4, [ntHash.input("NT hash")]))
            call.returning("\(matched.name) matches")
            return NTLMv1Match(sessionKey: sessionKey, received: matched.bytes)
        }
    }

    /// The 24-byte NTLMv1 response the stored NT hash gives for `challenge`, one step per
    /// buffer as Samba's `SMBOWFencrypt` and `E_P24` compute it: the hash zero-padded to 21
    /// bytes, each 7-byte third spread into a DES key (`str_to_key`) that encrypts the
    /// challenge, the three outputs joined.
    private func expectedNTLMv1Response(ntHash: TracedBytes, challenge: TracedBytes,
                                        _ call: TracedCall) throws -> TracedBytes {
        guard ntHash.bytes.count == 16, challenge.bytes.count == 8 else {
            throw LoginFailure.malformed("challenge of \(challenge.bytes.count) bytes")
        }
        let key21 = try call.record(
            "SMBOWFencrypt: the NT hash zero-padded to 21 bytes", "21-byte key",
            ntHash.bytes + [UInt8](repeating: 0, count: 21 - 16),
            Derivation(.zeroPad, [ntHash.input("NT hash")], length: 21))
        var outputs: [TracedBytes] = []
        for third in 0..<3 {
            let part = key21.slice((7 * third)..<(7 * third + 7))
            let key: [UInt8]
            let output: [UInt8]
            do {
                key = try DES.expandKey(part.bytes)
                output = try DES(key: key).encrypt(block: challenge.bytes)
            } catch {
                throw LoginFailure.malformed("DES: \(error)")
            }
            guard call.isTracing else {
                outputs.append(TracedBytes(output))
                continue
            }
            let number = third + 1
            let bytes = call.traceable("key bytes \(number)", part.bytes, Derivation(.copy, [part.input("21-byte key")]))
            let desKey = call.traceable(
                "DES key \(number)", key, Derivation(.desKey, [DerivationInput("7 key bytes", bytes)]))
            let encrypted = call.traceable(
                "DES output \(number)", output,
                Derivation(.desEncrypt, [DerivationInput("key", desKey), challenge.input("challenge")]))
            try call.note(
                "E_P24, part \(number) of 3: bytes \(7 * third)..<\(7 * third + 7) of the 21-byte key spread into "
                    + "a DES key, which encrypts the challenge",
                buffers: [bytes, desKey, encrypted])
            outputs.append(TracedBytes(output, buffer: encrypted.id))
        }
        return try call.record(
            "the expected 24-byte response: the three DES outputs joined", "response (expected)",
            outputs.flatMap(\.bytes),
            Derivation(.concat, outputs.enumerated().map { $0.element.input("DES output \($0.offset + 1)") }))
    }

    /// Checks an NTLMv2 response (NTProofStr ‖ blob) and returns the session base key.
    ///
    /// NTOWFv2 mixes in the domain as the client typed it, so like smbd the server tries the
    /// domain as sent, then upper-cased, then empty. `fields` names the request fields the
    /// user and domain were read from.
    private func verifyNTLMv2(ntHash: TracedBytes, name: String, domain: String, fields: (user: String, domain: String),
                              response: TracedBytes, challenge: TracedBytes, keyName: String) throws -> TracedBytes {
        guard response.bytes.count >= 16 + NTLMv2Blob.headerLength else {
            throw LoginFailure.malformed("NTLMv2 response of \(response.bytes.count) bytes")
        }
        var candidates: [(domain: String, source: String)] = []
        for candidate in [(domain, "the request's \(fields.domain), as text"),
                          (domain.uppercased(), "the request's \(fields.domain) upper-cased (smbd's second try)"),
                          ("", "no domain (smbd's last try)")]
        where !candidates.contains(where: { $0.domain == candidate.0 }) {
            candidates.append(candidate)
        }
        for candidate in candidates {
            if let key = try checkNTLMv2(
                ntHash: ntHash, name: name, nameSource: "the request's \(fields.user), as text",
                domain: candidate.domain, domainSource: candidate.source,
                proof: response.slice(0..<16), blob: response.slice(from: 16), challenge: challenge, keyName: keyName) {
                return key
            }
        }
        throw LoginFailure.wrongPassword
    }

    /// Recomputes NTProofStr = HMAC-MD5(NTOWFv2(stored NT hash, user, domain), challenge ‖ blob)
    /// for one candidate domain and compares it with the client's; on a match derives the
    /// session base key. Mirrors Samba's `smb_pwd_check_ntlmv2`.
    ///
    /// - Returns: the session base key when the proofs match, nil when they differ.
    private func checkNTLMv2(ntHash: TracedBytes, name: String, nameSource: String, domain: String,
                             domainSource: String, proof: TracedBytes, blob: TracedBytes, challenge: TracedBytes,
                             keyName: String) throws -> TracedBytes? {
        try runtime.traced("smb_pwd_check_ntlmv2", "\(name) in domain \"\(domain)\"",
                           buffers: [proof.copy(as: "NTProofStr (received)", on: runtime),
                                     blob.copy(as: "NTLMv2 blob (received)", on: runtime)]) { call in
            let owf = try ntv2OWFGen(ntHash: ntHash, name: name, nameSource: nameSource, domain: domain,
                                     domainSource: domainSource)
            let expected = try expectedNTProofStr(ntowfv2: owf, challenge: challenge, blob: blob)
            let match = constantTimeEquals(proof.bytes, expected.bytes)
            _ = try call.record(
                "expected NTProofStr vs the received one: \(match ? "match" : "mismatch")", "comparison with NTProofStr",
                [match ? 1 : 0], Derivation(.compare, [expected.input("expected"), proof.input("received")]))
            guard match else {
                call.returning("NTProofStr differs")
                return nil
            }
            let key = try call.record(
                "SMBsesskeygen_ntv2: the \(keyName) is HMAC-MD5(NTOWFv2, NTProofStr)", keyName,
                NTLM.hmacMD5(key: owf.bytes, expected.bytes),
                Derivation(.hmacMD5, [owf.input("key"), expected.input("NTProofStr")]))
            call.returning("NTProofStr matches")
            return key
        }
    }

    /// NTOWFv2 = HMAC-MD5(NT hash, upper-cased user ‖ domain, both UTF-16LE). Mirrors Samba's
    /// `ntv2_owf_gen`.
    private func ntv2OWFGen(ntHash: TracedBytes, name: String, nameSource: String, domain: String,
                            domainSource: String) throws -> TracedBytes {
        try runtime.traced("ntv2_owf_gen", "NTOWFv2 of \(name) in \"\(domain)\"") { call in
            let user16 = NTLM.uppercasedUTF16LE(name)
            let domain16 = NTLM.utf16LE(domain)
            var user = TracedBytes(user16)
            var domainText = TracedBytes(domain16)
            if call.isTracing {
                let text = call.traceable("user name", Array(name.utf8), .given(nameSource))
                let wide = call.traceable("user name (upper-case UTF-16LE)", user16,
                                          Derivation(.uppercasedUTF16LE, [DerivationInput("text", text)]))
                try call.note("the user name, upper-cased, in UTF-16LE", buffers: [text, wide])
                user = TracedBytes(user16, buffer: wide.id)
                let given = call.traceable("domain", Array(domain.utf8), .given(domainSource))
                let domainWide = call.traceable("domain (UTF-16LE)", domain16,
                                                Derivation(.utf16LE, [DerivationInput("text", given)]))
                try call.note("the domain as it is, in UTF-16LE", buffers: [given, domainWide])
                domainText = TracedBytes(domain16, buffer: domainWide.id)
            }
            guard ntHash.bytes.count == 16 else { throw LoginFailure.malformed("NT hash") }
            let owf = NTLM.hmacMD5(key: ntHash.bytes, user16 + domain16)
            let buffer = call.buffer("NTOWFv2", owf, Derivation(.hmacMD5, [ntHash.input("key"), user.input("user"),
                                                                          domainText.input("domain")]))
            call.returning("NTOWFv2 = HMAC-MD5(NT hash, user ‖ domain)", buffers: buffer.map { [$0] } ?? [])
            return TracedBytes(owf, buffer: buffer?.id)
        }
    }

    /// The NTProofStr the stored hash gives: HMAC-MD5(NTOWFv2, server challenge ‖ the client's
    /// blob). Mirrors Samba's `SMBOWFencrypt_ntv2`.
    private func expectedNTProofStr(ntowfv2: TracedBytes, challenge: TracedBytes, blob: TracedBytes) throws -> TracedBytes {
        try runtime.traced("SMBOWFencrypt_ntv2", "HMAC-MD5 under NTOWFv2 of the server challenge and the client's blob") {
            call in
            guard challenge.bytes.count == 8 else { throw LoginFailure.malformed("challenge") }
            let proof = NTLM.hmacMD5(key: ntowfv2.bytes, challenge.bytes + blob.bytes)
            let buffer = call.buffer("NTProofStr (expected)", proof,
                                     Derivation(.hmacMD5, [ntowfv2.input("key"), challenge.input("server challenge"),
                                                           blob.input("client blob")]))
            call.returning("the NTProofStr the stored hash gives", buffers: buffer.map { [$0] } ?? [])
            return TracedBytes(proof, buffer: buffer?.id)
        }
    }
}

/// Compares two byte strings without an early exit on the first difference.
func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
}
