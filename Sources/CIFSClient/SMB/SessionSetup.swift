import KernelRuntime
import SMBCrypto
import SMBWire

extension Session {
    /// The phases of the NTLMSSP exchange (the kernel's `NtLmNegotiate`, `NtLmChallenge`,
    /// `NtLmAuthenticate`).
    enum NTLMSSPPhase: String {
        case negotiate = "NtLmNegotiate"
        case challenge = "NtLmChallenge"
        case authenticate = "NtLmAuthenticate"
    }

    /// Sets up the session and, for the first session on the connection, seeds signing: the MAC
    /// key becomes ``authKey``, the next sequence number 2 (the SESSION_SETUP reply itself was
    /// signed with 1), and ``ServerInfo/sessionEstablished`` true. Mirrors the kernel's
    /// `cifs_setup_session`.
    func setupSession() throws {
        let server = self.server
        let runtime = server.runtime
        try runtime.traced("cifs_setup_session", "\(domainName.map { "\($0)\\" } ?? "")\(user), sec=\(auth)") { call in
            runtime.withLock {
                // As with the `nounix` mount option: no CIFS UNIX extensions.
                capabilities = server.capabilities.subtracting(.unix)
            }
            let lastReply = try sessSetup()
            try runtime.withMutex(server.srvMutex) {
                var seeded = StateChanges(tracing: call.isTracing)
                let macKey = runtime.withLock { () -> TracedBytes? in
                    guard !server.sessionEstablished else { return nil }
                    let macKey = runtime.derive(
                        "MAC key", authKey, .copy, [KeyTrace.current(authKey, keyTrace.authKey).input("auth key")])
                    seeded.set(server, \.sessionKey, authKey, path: "server.sessionKey")
                    server.keyTrace.macKey = macKey
                    seeded.set(server, \.sequenceNumber, 2, path: "server.sequenceNumber")
                    seeded.set(server, \.sessionEstablished, true, path: "server.sessionEstablished")
                    return macKey
                }
                if let macKey {
                    try call.note(
                        "first session: MAC key (\(macKey.bytes.count) bytes) = "
                            + (auth == .ntlmssp ? "the exported session key" : "session key ‖ response as sent")
                            + "; next request signs with sequence 2",
                        buffers: macKey.buffers, diff: seeded.diffs)
                }
            }
            if server.signingEnabled, let lastReply {
                // 3.8 checks nothing before session_estab, so this reply was not verified; say
                // whether it would have verified with sequence 1 (what the server signs it with).
                let key = runtime.withLock { server.sessionKey }
                let would = SMB1Signing.verify(packet: lastReply, macKey: key, sequence: 1)
                let placeholder = Array(lastReply[SMBHeader.signatureRange]) == Array("BSRSPYL ".utf8)
                try call.note(
                    "SESSION_SETUP reply signature (not checked by 3.8): "
                        + (would ? "verifies with sequence 1" : placeholder ? "placeholder \"BSRSPYL \" (server not signing)"
                            : "does not verify with sequence 1"))
            }
            var changes = StateChanges(tracing: call.isTracing)
            let sessionUID = runtime.withLock { () -> UInt16 in
                changes.set(self, \.status, .good, path: "ses.status")
                changes.set(self, \.needReconnect, false, path: "ses.needReconnect")
                changes.set(self, \.authKeyState, .freed, path: "ses.authKey") // 3.8 kfree's auth_key.response
                ntlmssp = nil
                return uid
            }
            call.returning("CIFS Session Established successfully, uid \(sessionUID)", diff: changes.diffs)
        }
    }

    /// SESSION_SETUP_ANDX for the session's ``auth`` mode; returns the last reply (for the
    /// signing note). Mirrors the kernel's `CIFS_SessSetup`.
    func sessSetup() throws -> [UInt8]? {
        let runtime = server.runtime
        return try runtime.traced("CIFS_SessSetup",
            "sec=\(auth) as \(domainName.map { "\($0)\\" } ?? "")\(user)"
        ) { call in
            var phase = NTLMSSPPhase.negotiate
            var last: [UInt8]?
            repeat {
                if phase == .challenge { phase = .authenticate }
                let (request, wordCount) = try buildSessionSetupRequest(phase: phase)
                let reply = try sendReceive(request, function: "CIFS_SessSetup",
                                            allowing: auth == .ntlmssp ? [.moreProcessingRequired] : [])
                last = reply.bytes
                if reply.header.status == .moreProcessingRequired {
                    guard phase == .negotiate else {
                        throw CIFSError.malformedReply(command: .sessionSetupAndX, reason: "Unexpected more processing error")
                    }
                    phase = .challenge
                }
                try parseSessionSetupReply(reply, phase: phase, requestWordCount: wordCount, call: call)
            } while phase == .challenge
            let (sessionUID, guest) = runtime.withLock { (uid, isGuest) }
            call.returning("logged in, uid \(sessionUID)" + (guest ? " (as guest)" : ""))
            return last
        }
    }

    /// The capabilities and flags of a SESSION_SETUP_ANDX request. Mirrors the kernel's
    /// `cifs_ssetup_hdr`.
    func sessionSetupHeader() -> (SMBHeader, SMBCapabilities, SessionSetupParameters) {
        var header = headerNoTree(.sessionSetupAndX)
        var caps: SMBCapabilities = [.largeFiles, .ntSMBs, .levelIIOplocks, .largeWriteX, .largeReadX]
        let (sessionCaps, maxReq) = server.runtime.withLock { (capabilities, server.maxReq) }
        if server.signingEnabled { header.flags2.insert(.securitySignature) }
        if sessionCaps.contains(.unicode) { header.flags2.insert(.unicode); caps.insert(.unicode) }
        if sessionCaps.contains(.status32) { header.flags2.insert(.ntStatus); caps.insert(.status32) }
        if sessionCaps.contains(.dfs) { header.flags2.insert(.dfs); caps.insert(.dfs) }
        // CIFSMaxBufSize (16384) + MAX_CIFS_HDR_SIZE (88) - 4.
        let parameters = SessionSetupParameters(
            maxBufferSize: 16468, maxMpxCount: UInt16(clamping: maxReq), vcNumber: 0, sessionKey: 0,
            capabilities: caps)
        return (header, caps, parameters)
    }

    /// Builds the request of one leg and returns it with its WordCount.
    func buildSessionSetupRequest(phase: NTLMSSPPhase) throws -> ([UInt8], Int) {
        let runtime = server.runtime
        var (header, caps, parameters) = sessionSetupHeader()
        let unicode = header.flags2.contains(.unicode)
        switch auth {
        case .ntlm:
            let response = try setupNTLMResponse()
            let body = OldStyleSessionSetupRequest(
                parameters: parameters, caseInsensitivePassword: response, caseSensitivePassword: response,
                accountName: user, primaryDomain: domainName ?? "", nativeOS: nativeOS, nativeLanMan: nativeLanMan)
            return (try encodeRequest(header, SessionSetupAndXRequest.oldStyle(body)), 13)
        case .ntlmv2:
            let targetInfo = buildAVPairBlob()
            let response = try setupNTLMv2Response(targetInfo: targetInfo)
            // The kernel sends no LMv2 response: CaseInsensitivePasswordLength 0.
            let body = OldStyleSessionSetupRequest(
                parameters: parameters, caseInsensitivePassword: [], caseSensitivePassword: response,
                accountName: user, primaryDomain: domainName ?? "", nativeOS: nativeOS, nativeLanMan: nativeLanMan)
            return (try encodeRequest(header, SessionSetupAndXRequest.oldStyle(body)), 13)
        case .ntlmssp:
            guard unicode else { throw CIFSError.authentication("NTLMSSP requires Unicode support") }
            header.flags2.insert(.extendedSecurity)
            caps.insert(.extendedSecurity)
            parameters.capabilities = caps
            let blob: [UInt8]
            switch phase {
            case .negotiate:
                blob = try buildNTLMSSPNegotiateBlob()
            case .authenticate:
                blob = try buildNTLMSSPAuthBlob()
                header.uid = runtime.withLock { uid }
            case .challenge:
                throw CIFSError.authentication("invalid phase \(phase.rawValue)")
            }
            let body = ExtendedSessionSetupRequest(
                parameters: parameters, securityBlob: blob, nativeOS: nativeOS, nativeLanMan: nativeLanMan)
            return (try encodeRequest(header, SessionSetupAndXRequest.extended(body)), 12)
        }
    }

    /// Reads a SESSION_SETUP_ANDX reply: the UID, guest flag, the CHALLENGE in the first
    /// NTLMSSP leg, and the server's OS strings; its note goes to `call`, `CIFS_SessSetup`'s frame.
    func parseSessionSetupReply(_ reply: ReplyBuffer, phase: NTLMSSPPhase, requestWordCount: Int,
                                call: TracedCall) throws {
        let runtime = server.runtime
        let packet = try decodeReply(SessionSetupAndXResponse.self, reply)
        let guest = packet.body.action & SessionSetupAndXResponse.actionGuest != 0
        var strings: (String?, String?, String?) = (nil, nil, nil)
        switch packet.body {
        case let .oldStyle(response):
            strings = (response.nativeOS, response.nativeLanMan, response.primaryDomain)
        case let .extended(response):
            strings = (response.nativeOS, response.nativeLanMan, response.primaryDomain)
            if phase == .challenge {
                let blob = response.securityBlob
                let traced = runtime.copy(
                    "NTLMSSP CHALLENGE", of: TracedBytes(reply.bytes, buffer: reply.trace?.id),
                    at: SMBTrace.fieldRange("SecurityBlob", in: reply.trace),
                    spans: runtime.isTracing ? SMBTrace.ntlmsspSpans(blob) : [])
                if let traced, traced.bytes == blob {
                    try decodeNTLMSSPChallenge(traced)
                } else {
                    try decodeNTLMSSPChallenge(TracedBytes(blob))
                }
            }
        }
        if phase == .challenge, case .oldStyle = packet.body {
            throw CIFSError.malformedReply(command: .sessionSetupAndX, reason: "MORE_PROCESSING_REQUIRED without a security blob")
        }
        var changes = StateChanges(tracing: call.isTracing)
        runtime.withLock {
            changes.set(self, \.uid, reply.header.uid, path: "ses.uid")
            isGuest = guest
            serverOS = strings.0
            serverNOS = strings.1
            serverDomain = strings.2
        }
        try call.note(
            "UID = \(reply.header.uid)\(guest ? ", Guest login" : "")"
                + (strings.0.map { ", server OS \"\($0)\"" } ?? ""),
            diff: changes.diffs)
    }

    // MARK: - Old-style responses

    /// The NTLMv1 response to the NEGOTIATE challenge; ``authKey`` becomes MD4(NT hash) ‖
    /// response (40 bytes). Mirrors the kernel's `setup_ntlm_response`: `SMBNTencrypt` for the
    /// response, then `E_md4hash` again and `mdfour` for the session key.
    func setupNTLMResponse() throws -> [UInt8] {
        let runtime = server.runtime
        return try runtime.traced("setup_ntlm_response", "NTLMv1 response for \(user)") { call in
            var changes = StateChanges(tracing: call.isTracing)
            let challenge = runtime.withLock {
                takeChallenge(from: server.cryptKey, trace: server.keyTrace.challenge, changes: &changes)
            }
            try call.note("ses->cryptKey = the NEGOTIATE challenge \(challenge.hex)", buffers: challenge.buffers,
                          diff: changes.diffs)
            let password = passwordRoot()
            let response = try smbNTEncrypt(password: password, challenge: challenge)
            let sessionKey = try mdfour(try eMD4Hash(password), output: "session key")
            let (key, keyChanges) = keepAuthKey(sessionKey: sessionKey, response: response, tracing: call.isTracing)
            call.returning(
                "auth key = session key ‖ response (\(key.bytes.count) bytes)", buffers: key.buffers,
                diff: keyChanges)
            return response.bytes
        }
    }

    /// The target info an old-style NTLMv2 blob carries: the domain as one MsvAvNbDomainName AV
    /// pair and MsvAvEOL, no trailing zeros. With no domain given the kernel used (and from then
    /// on sent) `WORKGROUP`. Mirrors the kernel's `build_avpair_blob`.
    func buildAVPairBlob() -> TracedBytes {
        let runtime = server.runtime
        let domain = runtime.withLock { () -> String in
            if domainName == nil { domainName = "WORKGROUP" }
            return domainName ?? "WORKGROUP"
        }
        let name = NTLM.utf16LE(domain)
        var writer = WireWriter(capacity: 8 + name.count)
        writer.u16(AVPairID.nbDomainName.rawValue)
        writer.u16(UInt16(truncatingIfNeeded: name.count))
        writer.append(name)
        writer.u16(AVPairID.eol.rawValue)
        writer.u16(0)
        let bytes = writer.bytes
        return runtime.given(
            "target info", bytes, spans: runtime.isTracing ? (try? AVPairList.decode(bytes).spans) ?? [] : [],
            source: "build_avpair_blob: the domain \"\(domain)\" as MsvAvNbDomainName, then MsvAvEOL")
    }

    /// The NetBIOS domain from the server's target info, used when no domain was given.
    /// Mirrors the kernel's `find_domain_name`.
    static func findDomainName(_ targetInfo: [UInt8]) -> String? {
        var offset = 0
        while targetInfo.count - offset >= 4 {
            let id = UInt16(targetInfo[offset]) | UInt16(targetInfo[offset + 1]) << 8
            let length = Int(targetInfo[offset + 2]) | Int(targetInfo[offset + 3]) << 8
            offset += 4
            guard id != AVPairID.eol.rawValue, targetInfo.count - offset >= length else { return nil }
            if id == AVPairID.nbDomainName.rawValue {
                return length == 0 ? nil : SMBString.decodeUnicode(targetInfo[offset..<(offset + length)])
            }
            offset += length
        }
        return nil
    }

    // MARK: - NTLMSSP

    /// The flags the kernel put in NEGOTIATE and AUTHENTICATE: signing and key exchange only
    /// when signing is on and no session has established the MAC key yet.
    func ntlmsspFlags(authenticate: Bool) -> NTLMSSPNegotiateFlags {
        var flags: NTLMSSPNegotiateFlags = [.negotiate56, .requestTarget, .negotiate128, .negotiateUnicode,
                                            .negotiateNTLM, .negotiateExtendedSessionSecurity]
        if authenticate { flags.insert(.negotiateTargetInfo) }
        if server.signingEnabled {
            flags.insert(.negotiateSign)
            if !server.runtime.withLock({ server.sessionEstablished }) { flags.insert(.negotiateKeyExchange) }
        }
        return flags
    }

    /// The 32-byte NTLMSSP NEGOTIATE message, empty names with offset 0. Mirrors the kernel's
    /// `build_ntlmssp_negotiate_blob`.
    func buildNTLMSSPNegotiateBlob() throws -> [UInt8] {
        try server.runtime.traced("build_ntlmssp_negotiate_blob") { call in
            let message = NTLMSSPNegotiateMessage(flags: ntlmsspFlags(authenticate: false))
            let blob = try message.encode(style: .linuxCIFS)
            call.returning(
                "NTLMSSP NEGOTIATE, flags \(message.flags)",
                buffers: [TraceBuffer(name: "NTLMSSP NEGOTIATE", bytes: blob, spans: SMBTrace.ntlmsspSpans(blob))])
            return blob
        }
    }

    /// Reads the CHALLENGE: the server challenge (kept as ``cryptKey``), the server's flags
    /// and the raw target info (kept in ``authKey`` until the response is built, as the kernel
    /// does). Mirrors the kernel's `decode_ntlmssp_challenge`.
    func decodeNTLMSSPChallenge(_ message: TracedBytes) throws {
        let runtime = server.runtime
        let blob = message.bytes
        try runtime.traced("decode_ntlmssp_challenge",
            "\(blob.count)-byte security blob", buffers: message.buffers
        ) { call in
            let minimum = 48  // sizeof(CHALLENGE_MESSAGE)
            guard blob.count >= minimum else {
                throw CIFSError.malformedReply(command: .sessionSetupAndX, reason: "challenge blob len \(blob.count) too small")
            }
            guard NTLMSSP.hasSignature(blob) else {
                throw CIFSError.malformedReply(command: .sessionSetupAndX, reason: "blob signature incorrect")
            }
            var reader = WireReader(blob, recordsSpans: false)
            do {
                try reader.skip("Signature", count: 8)
                let type = try reader.u32("MessageType")
                guard type == NTLMSSPMessageType.challenge.rawValue else {
                    throw CIFSError.malformedReply(command: .sessionSetupAndX, reason: "Incorrect message type \(type)")
                }
                try reader.skip("TargetNameFields", count: 8)
                let flags = NTLMSSPNegotiateFlags(rawValue: try reader.u32("NegotiateFlags"))
                let challengeStart = reader.offset
                let challenge = try reader.bytes("ServerChallenge", count: 8)
                try reader.skip("Reserved", count: 8)
                let tiLength = Int(try reader.u16("TargetInfoLen"))
                _ = try reader.u16("TargetInfoMaxLen")
                let tiOffset = Int(try reader.u32("TargetInfoBufferOffset"))
                guard tiOffset <= blob.count, tiLength <= blob.count - tiOffset else {
                    throw CIFSError.malformedReply(
                        command: .sessionSetupAndX, reason: "tioffset + tilen too high \(tiOffset) + \(tiLength)")
                }
                let targetInfo = Array(blob[tiOffset..<(tiOffset + tiLength)])
                let challengeTrace = runtime.derive(
                    "challenge", challenge, .copy,
                    [message.input("NTLMSSP CHALLENGE", range: challengeStart..<(challengeStart + 8))])
                let targetInfoTrace = runtime.derive(
                    "target info", targetInfo,
                    spans: runtime.isTracing ? (try? AVPairList.decode(targetInfo).spans) ?? [] : [], .copy,
                    [message.input("NTLMSSP CHALLENGE", range: tiOffset..<(tiOffset + tiLength))])
                var changes = StateChanges(tracing: call.isTracing)
                runtime.withLock {
                    changes.set(self, \.cryptKey, challenge, path: "ses.cryptKey")
                    keyTrace.challenge = challengeTrace
                    // The kernel keeps the target info in auth_key until the response is built.
                    changes.set(self, \.authKeyState, .held(targetInfo), path: "ses.authKey")
                    keyTrace.authKey = targetInfoTrace
                    ntlmssp = NTLMSSPAuthState(serverFlags: flags)
                }
                call.returning(
                    "server challenge \(Hex.encode(challenge)), flags \(flags), target info \(tiLength) bytes",
                    buffers: challengeTrace.buffers + targetInfoTrace.buffers, diff: changes.diffs)
            } catch let error as WireError {
                throw CIFSError.malformedReply(command: .sessionSetupAndX, reason: "NTLMSSP CHALLENGE: \(error)")
            }
        }
    }

    /// The exported session key: 16 random bytes from the runtime, RC4-encrypted under the
    /// key-exchange key (the NTLMv2 session base key, the first 16 bytes of ``authKey``); the
    /// exported key becomes ``authKey``, the MAC key. Mirrors the kernel's `calc_seckey`.
    func calcSeckey() throws {
        let runtime = server.runtime
        try runtime.traced("calc_seckey", "key exchange: a random exported session key") { call in
            let authKeyNow = runtime.withLock { KeyTrace.current(authKey, keyTrace.authKey) }
            let baseKey = runtime.derive("session base key", Array(authKeyNow.bytes.prefix(16)), .copy,
                                         [authKeyNow.input("auth key", range: 0..<min(16, authKeyNow.bytes.count))])
            let exported = runtime.given("exported session key", runtime.randomBytes(16),
                                         source: "16 random bytes (get_random_bytes)")
            let ciphertext: TracedBytes
            do {
                // For NTLMv2 the key-exchange key is the session base key itself.
                let exchangeKey = try NTLMSSPKeys.keyExchangeKey(sessionBaseKey: baseKey.bytes)
                guard exchangeKey == baseKey.bytes else {
                    throw CIFSError.authentication("key exchange: the key-exchange key is not the session base key")
                }
                ciphertext = runtime.derive(
                    "EncryptedRandomSessionKey", try NTLMSSPKeys.encryptSessionKey(exported.bytes, keyExchangeKey: exchangeKey),
                    .rc4, [baseKey.input("key"), exported.input("data")])
            } catch let error as SMBCryptoError {
                throw CIFSError.authentication("key exchange: \(error)")
            }
            let newAuthKey = runtime.derive("auth key", exported.bytes, .copy, [exported.input("exported session key")])
            var changes = StateChanges(tracing: call.isTracing)
            runtime.withLock {
                ntlmssp?.ciphertext = ciphertext.bytes
                changes.set(self, \.authKeyState, .held(exported.bytes), path: "ses.authKey")
                keyTrace.authKey = newAuthKey
            }
            call.returning(
                "EncryptedRandomSessionKey = RC4(session base key, exported session key); the exported key is the MAC key",
                buffers: baseKey.buffers + exported.buffers + ciphertext.buffers + newAuthKey.buffers,
                diff: changes.diffs)
        }
    }

    /// The NTLMSSP AUTHENTICATE message: no LM response, the NTLMv2 response over the server's
    /// target info, domain (learnt from the target info when none was given), user, an empty
    /// workstation, and — when the server offered key exchange or extended session security —
    /// the encrypted exported session key. Mirrors the kernel's `build_ntlmssp_auth_blob`.
    func buildNTLMSSPAuthBlob() throws -> [UInt8] {
        let runtime = server.runtime
        return try runtime.traced("build_ntlmssp_auth_blob") { call in
            let (targetInfo, serverFlags) = runtime.withLock {
                (KeyTrace.current(authKey, keyTrace.authKey), ntlmssp?.serverFlags ?? [])
            }
            var changes = StateChanges(tracing: call.isTracing)
            if runtime.withLock({ domainName }) == nil, let learnt = Self.findDomainName(targetInfo.bytes) {
                runtime.withLock { changes.set(self, \.domainName, learnt, path: "ses.domainName") }
            }
            let response = try setupNTLMv2Response(targetInfo: targetInfo)
            var ciphertext: [UInt8] = []
            if !serverFlags.isDisjoint(with: [.negotiateKeyExchange, .negotiateExtendedSessionSecurity]) {
                try calcSeckey()
                ciphertext = runtime.withLock { ntlmssp?.ciphertext ?? [] }
            }
            let domain = runtime.withLock { domainName }
            let message = NTLMSSPAuthenticateMessage(
                lmChallengeResponse: [], ntChallengeResponse: response,
                domainName: domain.map { NTLM.utf16LE($0) } ?? [], userName: NTLM.utf16LE(user), workstation: [],
                encryptedRandomSessionKey: ciphertext, flags: ntlmsspFlags(authenticate: true))
            let blob = try message.encode(style: .linuxCIFS)
            call.returning(
                "NTLMSSP AUTHENTICATE for \(domain.map { "\($0)\\" } ?? "")\(user)",
                buffers: [TraceBuffer(name: "NTLMSSP AUTHENTICATE", bytes: blob, spans: SMBTrace.ntlmsspSpans(blob))],
                diff: changes.diffs)
            return blob
        }
    }
}
