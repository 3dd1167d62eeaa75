import KernelRuntime
import SMBWire

extension ServerConnection {
    /// SMB_COM_NEGOTIATE: picks "NT LM 0.12" and answers in the challenge form, or the
    /// extended-security form (server GUID + SPNEGO NegTokenInit) when the client set
    /// FLAGS2_EXTENDED_SECURITY. Mirrors smbd's `reply_negprot`.
    func negotiate(_ header: SMBHeader, _ message: [UInt8]) throws -> Outcome {
        let request = try decode(NegotiateRequest.self, header, message)
        return try runtime.traced("reply_negprot", "dialects: " + request.dialects.joined(separator: ", ")) { call in
            // A second NEGOTIATE on a connection is a protocol violation; smbd disconnects.
            guard !negotiated else {
                call.returning("second NEGOTIATE")
                return .close("second NEGOTIATE")
            }
            // (An index past 0xFFFE cannot be expressed; such a list is answered like no match.)
            guard let index = request.dialects.lastIndex(of: NegotiateRequest.ntLM012), index < 0xFFFF else {
                call.returning("no common dialect")
                return try reply(header, NegotiateResponse.noCommonDialect)
            }
            var changes = StateChanges(runtime)
            changes.set(self, \.state, .negotiated, path: "smbd.state")
            changes.set(self, \.extendedSecurity,
                        configuration.allowsExtendedSecurity && header.flags2.contains(.extendedSecurity),
                        path: "smbd.extendedSecurity")

            var securityMode: SMBSecurityMode = [.userSecurity, .encryptPasswords]
            switch configuration.signing {
            case .off: break
            case .auto: securityMode.insert(.signaturesEnabled)
            case .required: securityMode.formUnion([.signaturesEnabled, .signaturesRequired])
            }
            var capabilities: SMBCapabilities = [.unicode, .largeFiles, .ntSMBs, .status32, .ntFind, .infoLevelPassthru]
            if configuration.largeReadX { capabilities.insert(.largeReadX) }
            let security: NTLM012NegotiateResponse.Security
            if extendedSecurity {
                capabilities.insert(.extendedSecurity)
                security = .extended(serverGUID: server.serverGUID, securityBlob: NTLMSSPAcceptor.negotiateBlob)
            } else {
                let made = try getChallenge()
                let challenge = made.bytes
                challengeOrigin = made.buffer
                changes.set(self, \.challenge, challenge, path: "smbd.challenge")
                security = .challenge(NegotiateChallenge(challenge: challenge, domainName: configuration.domain.uppercased(),
                                                         serverName: configuration.serverName.uppercased()))
            }
            let random = runtime.randomUInt64()
            let response = NTLM012NegotiateResponse(
                dialectIndex: UInt16(index), securityMode: securityMode, maxMpxCount: configuration.maxMpxCount,
                maxNumberVcs: 1, maxBufferSize: configuration.maxBufferSize, maxRawSize: configuration.maxRawSize,
                sessionKey: UInt32(truncatingIfNeeded: random), capabilities: capabilities,
                systemTime: FileTimeConversion.fileTime(unixNanoseconds: runtime.unixNanoseconds), serverTimeZone: 0,
                security: security)
            server.log(.negotiated(connection: id, extendedSecurity: extendedSecurity, signing: configuration.signing))
            call.returning(
                "\(NegotiateRequest.ntLM012) (index \(index)), "
                    + (extendedSecurity ? "extended security" : "challenge") + ", signing \(configuration.signing.rawValue)",
                diff: changes.diffs)
            return try reply(header, NegotiateResponse.ntLM012(response))
        }
    }

    /// Eight random bytes for a challenge NEGOTIATE, recorded as the root every old-style
    /// login's computation starts from. Mirrors smbd's `get_challenge` (which asks the auth
    /// context for a random challenge).
    func getChallenge() throws -> TracedBytes {
        try runtime.traced("get_challenge", "8-byte challenge for this connection") { call in
            let challenge = runtime.randomBytes(8)
            let buffer = call.buffer("server challenge", challenge,
                                     .given("smbd's random challenge: 8 bytes from the runtime's seeded generator"))
            call.returning("challenge \(Hex.encode(challenge))", buffers: buffer.map { [$0] } ?? [])
            return TracedBytes(challenge, buffer: buffer?.id)
        }
    }
}
