import KernelRuntime
import SMBWire

extension Session {
    /// The dialects the 3.8 kernel offered (built with CONFIG_CIFS_POSIX, as distributions
    /// did, and without CONFIG_CIFS_WEAK_PW_HASH).
    public static let dialects = [NegotiateRequest.ntLM012, "POSIX 2"]

    /// The most requests the kernel kept in flight whatever the server allowed (`cifs_max_pending`).
    public static let maxPending = 50

    /// NEGOTIATE: offers the dialects (with FLAGS2_EXTENDED_SECURITY for NTLMSSP), stores what
    /// the server chose — security mode, MaxMpxCount (the credits), MaxBufferSize,
    /// capabilities, the 8-byte challenge or the extended-security GUID — and decides signing:
    /// on when the server requires it or the mount asks for it (`--sign`, the kernel's
    /// `sec=…i`); an error when the mount asks and the server has signing disabled. Mirrors the
    /// kernel's `CIFSSMBNegotiate`.
    func negotiate() throws {
        let server = self.server
        let runtime = server.runtime
        try runtime.traced("CIFSSMBNegotiate",
            "offering \(Self.dialects.map { "\"\($0)\"" }.joined(separator: ", "))"
        ) { call in
            var header = headerAssemble(.negotiate, tree: nil)
            header.mid = server.getNextMid()
            header.flags2.formUnion([.unicode, .ntStatus])
            if auth == .ntlmssp { header.flags2.insert(.extendedSecurity) }
            let request = try encodeRequest(header, NegotiateRequest(dialects: Self.dialects))
            let reply = try sendReceive(request, function: "CIFSSMBNegotiate")
            let packet = try decodeReply(NegotiateResponse.self, reply)

            guard case let .ntLM012(response) = packet.body else {
                throw CIFSError.negotiateFailed(
                    packet.body.dialectIndex == 0xFFFF ? "the server accepts none of the offered dialects"
                        : "the server chose a dialect without the NT LM 0.12 response (WordCount 1)")
            }
            guard Int(response.dialectIndex) < Self.dialects.count else {
                throw CIFSError.negotiateFailed("dialect index \(response.dialectIndex) was not offered")
            }
            let maxReq = max(1, min(Int(response.maxMpxCount), Self.maxPending))
            var challenge: [UInt8] = []
            var guid: [UInt8] = []
            switch response.security {
            case let .challenge(c):
                guard c.challenge.count == 8 else {
                    throw CIFSError.negotiateFailed("challenge of \(c.challenge.count) bytes, expected 8")
                }
                challenge = c.challenge
            case let .extended(serverGUID, _):
                guid = serverGUID
            }
            if auth == .ntlmssp, guid.isEmpty {
                throw CIFSError.negotiateFailed("NTLMSSP needs extended security, which the server did not negotiate")
            }
            if auth != .ntlmssp, challenge.isEmpty {
                throw CIFSError.negotiateFailed("\(auth) needs a NEGOTIATE challenge, but the server sent extended security")
            }

            // Signing policy (the end of CIFSSMBNegotiate in 3.8).
            let serverMode = response.securityMode
            var mode = serverMode
            let signingBits: SMBSecurityMode = [.signaturesEnabled, .signaturesRequired]
            if wantsSigning {
                guard !serverMode.isDisjoint(with: signingBits) else {
                    throw CIFSError.signingNotSupported("signing required but server lacks support")
                }
                mode.insert(.signaturesRequired)
            } else if !serverMode.contains(.signaturesRequired) {
                mode.subtract(signingBits)
            }

            // The challenge as a span of the reply, so that every response can name where it came from.
            let challengeTrace = runtime.derive(
                "challenge", challenge, .copy,
                [TracedBytes(reply.bytes, buffer: reply.trace?.id).input(
                    "NEGOTIATE reply", range: SMBTrace.fieldRange("Challenge", in: reply.trace))])
            if !challenge.isEmpty {
                try call.note("EncryptionKey: the 8-byte challenge \(Hex.encode(challenge)), kept as server->cryptkey",
                              buffers: challengeTrace.buffers)
            }
            var changes = StateChanges(tracing: call.isTracing)
            runtime.withLock {
                changes.set(server, \.dialect, response.dialectIndex, path: "server.dialect")
                changes.set(server, \.secMode, mode, path: "server.secMode")
                changes.set(server, \.maxReq, maxReq, path: "server.maxReq")
                changes.set(server, \.credits, maxReq, path: "server.credits")
                changes.set(server, \.maxBuf, response.maxBufferSize, path: "server.maxBuf")
                server.maxRW = response.maxRawSize
                server.negotiateSessionKey = response.sessionKey
                changes.set(server, \.capabilities, response.capabilities, path: "server.capabilities")
                server.timeAdjust = Int(response.serverTimeZone) * 60
                changes.set(server, \.cryptKey, challenge, path: "server.cryptKey")
                server.keyTrace.challenge = challengeTrace
                server.serverGUID = guid
                changes.set(server, \.extendedSecurity, !guid.isEmpty, path: "server.extendedSecurity")
                runtime.wakeAll(server.requestQueue)
            }
            let signing = !mode.isDisjoint(with: signingBits)
            call.returning(
                "dialect \"\(Self.dialects[Int(response.dialectIndex)])\", server security mode \(serverMode.summary), "
                    + (challenge.isEmpty ? "extended security" : "challenge \(Hex.encode(challenge))")
                    + ", signing \(signing ? "on" : "off")",
                diff: changes.diffs)
        }
    }
}
