import KernelRuntime
import SMBCrypto
import SMBWire

// The NTLMv2 response and session key, one traced step per kernel function: setup_ntlmv2_rsp
// builds the client blob, calc_ntlmv2_hash makes NTOWFv2 from the NT hash, CalcNTLMv2_response
// the NTProofStr and the response; the session key closes setup_ntlmv2_rsp.

extension Session {
    /// The client blob of an NTLMv2 response, every piece a traced buffer: the fixed header
    /// bytes, the timestamp (the runtime's clock), the client challenge (the runtime's random
    /// generator), four reserved zero bytes and the target info, joined.
    /// - Returns: the blob, its pieces (to be recorded with it) and the client challenge.
    func buildNTLMv2Blob(targetInfo: TracedBytes) throws
        -> (blob: TracedBytes, pieces: [TraceBuffer], clientChallenge: [UInt8])
    {
        let runtime = server.runtime
        // cifs_UnixTimeToNT(CURRENT_TIME): 100 ns units since 1601.
        let fileTime = runtime.unixNanoseconds / 100 + 116_444_736_000_000_000
        let timestamp = runtime.given("timestamp", NTLMv2Blob.timestampBytes(fileTime: fileTime),
                                      source: "the clock as a FILETIME (CURRENT_TIME)")
        let clientChallenge = runtime.given("client challenge", runtime.randomBytes(8),
                                            source: "8 random bytes (get_random_bytes)")
        let header = runtime.given("blob header", [0x01, 0x01, 0, 0, 0, 0, 0, 0],
                                   source: "fixed: blob_signature 0x00000101 and a reserved zero word")
        let reserved = runtime.given("reserved", [0, 0, 0, 0], source: "fixed: reserved2, zero")
        let encoded: [UInt8]
        do {
            encoded = try NTLMv2Blob(timestamp: timestamp.bytes, clientChallenge: clientChallenge.bytes,
                                     targetInfo: targetInfo.bytes, trailingZeros: false).encode()
        } catch {
            throw CIFSError.authentication("NTLMv2 blob: \(error)")
        }
        let pieces = [header, timestamp, clientChallenge, reserved, targetInfo]
        let blob = runtime.derive(
            "NTLMv2 blob", encoded, spans: runtime.isTracing ? NTLMv2ClientChallenge.annotate(encoded) : [], .concat,
            [header.input("header"), timestamp.input("timestamp"), clientChallenge.input("client challenge"),
             reserved.input("reserved"), targetInfo.input("target info")])
        // The derivation says "the pieces joined": that is what the encoder must have built.
        assert(blob.bytes == pieces.flatMap(\.bytes), "NTLMv2 blob is not its pieces joined")
        return (blob, pieces.flatMap(\.buffers), clientChallenge.bytes)
    }

    /// NTOWFv2: HMAC-MD5 keyed with the NT hash over the user name uppercased and the domain as
    /// given, both UTF-16LE. Mirrors the kernel's `calc_ntlmv2_hash` (which computes the NT
    /// hash itself with `E_md4hash`).
    func calcNTLMv2Hash(password: TracedBytes, domain: String) throws -> TracedBytes {
        let runtime = server.runtime
        return try runtime.traced("calc_ntlmv2_hash", "NTOWFv2 for \(user.uppercased()) in \"\(domain)\"") { call in
            let hash = try eMD4Hash(password)
            let userName = runtime.given("user", Array(user.utf8), source: "the mount's user name (username=)")
            let domainName = runtime.given("domain", Array(domain.utf8), source: "the session's domain")
            let upperUser = runtime.derive("user (uppercased, UTF-16LE)", NTLM.utf16LE(NTLM.uppercasedForNTLM(user)),
                                           .uppercasedUTF16LE, [userName.input("user")])
            let wideDomain = runtime.derive("domain (UTF-16LE)", NTLM.utf16LE(domain), .utf16LE,
                                            [domainName.input("domain")])
            try call.note("HMAC-MD5 message: the user name uppercased ‖ the domain as given, UTF-16LE",
                          buffers: userName.buffers + upperUser.buffers + domainName.buffers + wideDomain.buffers)
            let owf = runtime.derive(
                "NTOWFv2", NTLM.hmacMD5(key: hash.bytes, upperUser.bytes + wideDomain.bytes), .hmacMD5,
                [hash.input("key"), upperUser.input("user"), wideDomain.input("domain")])
            call.returning("NTOWFv2 = HMAC-MD5(NT hash, user ‖ domain) = \(owf.hex)", buffers: owf.buffers)
            return owf
        }
    }

    /// NTProofStr = HMAC-MD5 keyed with NTOWFv2 over the server challenge ‖ the blob; the
    /// response is NTProofStr ‖ blob. Mirrors the kernel's `CalcNTLMv2_response`.
    func calcNTLMv2Response(owf: TracedBytes, challenge: TracedBytes, blob: TracedBytes) throws
        -> (proof: TracedBytes, response: TracedBytes)
    {
        let runtime = server.runtime
        return try runtime.traced("CalcNTLMv2_response", "HMAC-MD5(NTOWFv2, server challenge ‖ blob)",
                                  buffers: blob.buffers) { call in
            let proof = runtime.derive(
                "NTProofStr", NTLM.hmacMD5(key: owf.bytes, challenge.bytes + blob.bytes), .hmacMD5,
                [owf.input("key"), challenge.input("server challenge"), blob.input("blob")])
            let bytes = proof.bytes + blob.bytes
            let response = runtime.derive(
                "NTLMv2 response", bytes,
                spans: runtime.isTracing
                    ? [FieldSpan(range: 0..<16, name: "NTProofStr", value: proof.hex)]
                        + NTLMv2ClientChallenge.annotate(blob.bytes, base: 16) : [],
                .concat, [proof.input("NTProofStr"), blob.input("blob")])
            call.returning("NTProofStr \(proof.hex); response = NTProofStr ‖ blob (\(bytes.count) bytes)",
                           buffers: proof.buffers + response.buffers)
            return (proof, response)
        }
    }

    /// The NTLMv2 response over `targetInfo`; ``authKey`` becomes the NTLMv2 session key ‖ the
    /// whole response. Mirrors the kernel's `setup_ntlmv2_rsp`.
    func setupNTLMv2Response(targetInfo: TracedBytes) throws -> [UInt8] {
        let runtime = server.runtime
        return try runtime.traced(
            "setup_ntlmv2_rsp", "NTLMv2 response for \(user), \(targetInfo.bytes.count) bytes of target info"
        ) { call in
            // Old style answers the NEGOTIATE challenge; NTLMSSP the CHALLENGE message's.
            var changes = StateChanges(tracing: call.isTracing)
            let (challenge, domain) = runtime.withLock { () -> (TracedBytes, String) in
                let challenge = auth == .ntlmssp
                    ? KeyTrace.current(cryptKey, keyTrace.challenge)
                    : takeChallenge(from: server.cryptKey, trace: server.keyTrace.challenge, changes: &changes)
                return (challenge, domainName ?? "")
            }
            if auth != .ntlmssp {
                try call.note("ses->cryptKey = the NEGOTIATE challenge \(challenge.hex)", buffers: challenge.buffers,
                              diff: changes.diffs)
            }
            let (blob, pieces, clientChallenge) = try buildNTLMv2Blob(targetInfo: targetInfo)
            try call.note(
                "client blob: signature 0x0101, timestamp, client challenge \(Hex.encode(clientChallenge)), "
                    + "\(targetInfo.bytes.count) bytes of AV pairs",
                buffers: pieces + blob.buffers)
            let password = passwordRoot()
            let owf = try calcNTLMv2Hash(password: password, domain: domain)
            let (proof, response) = try calcNTLMv2Response(owf: owf, challenge: challenge, blob: blob)
            let sessionKey = runtime.derive(
                "session key", NTLM.hmacMD5(key: owf.bytes, proof.bytes), .hmacMD5,
                [owf.input("key"), proof.input("NTProofStr")])
            try call.note("session key = HMAC-MD5(NTOWFv2, NTProofStr)", buffers: sessionKey.buffers)
            let (key, keyChanges) = keepAuthKey(sessionKey: sessionKey, response: response, tracing: call.isTracing)
            call.returning(
                "NTLMv2 response for \(user.uppercased()) in domain \"\(domain)\"; auth key = session key ‖ response "
                    + "(\(key.bytes.count) bytes)",
                buffers: key.buffers, diff: keyChanges)
            return response.bytes
        }
    }
}
