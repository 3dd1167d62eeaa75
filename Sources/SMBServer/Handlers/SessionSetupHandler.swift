import KernelRuntime
import SMBWire

extension ServerConnection {
    static let nativeOS = "Unix"
    static let nativeLanMan = "cifstep"

    /// SMB_COM_SESSION_SETUP_ANDX, both forms. Mirrors smbd's `reply_sesssetup_and_X`.
    /// `request` is the buffer the message was recorded in (nil when not tracing): what the
    /// login computes from the client's response names its span there.
    func sessionSetup(_ header: SMBHeader, _ message: [UInt8], request recorded: TraceBuffer?) throws -> Outcome {
        let request = try decode(SessionSetupAndXRequest.self, header, message)
        return try runtime.traced("reply_sesssetup_and_X", Self.describe(request)) { call in
            guard negotiated else { throw RequestError(.invalidParameter, "SESSION_SETUP before NEGOTIATE") }
            switch request {
            case let .oldStyle(request):
                clientCapabilities = request.parameters.capabilities
                return try oldStyleSessionSetup(header, request, fields: RequestFields(recorded), &call)
            case let .extended(request):
                clientCapabilities = request.parameters.capabilities
                return try extendedSessionSetup(header, request, recorded, &call)
            }
        }
    }

    /// What a session setup asks for, for its enter event.
    private static func describe(_ request: SessionSetupAndXRequest) -> String {
        switch request {
        case let .oldStyle(request):
            let mode = NTLMVerifier.oldStyleMode(lmResponse: request.caseInsensitivePassword,
                                                 ntResponse: request.caseSensitivePassword)
            return "old-style \(mode?.rawValue ?? "anonymous") login of "
                + "\(request.primaryDomain ?? "")\\\(request.accountName ?? "")"
        case let .extended(request):
            let blob = request.securityBlob
            guard let inner = try? SPNEGO.unwrap(blob), let type = try? NTLMSSPMessageType.of(inner.token) else {
                return "extended security, \(blob.count)-byte blob"
            }
            return "extended security: NTLMSSP \("\(type)".uppercased()) (\(inner.wrapping == .raw ? "raw" : "SPNEGO"))"
        }
    }

    private var verifier: NTLMVerifier { NTLMVerifier(users: server.users, runtime: runtime) }

    /// The 13-word form: LM/NT (or LMv2/NTLMv2) responses to the NEGOTIATE challenge.
    private func oldStyleSessionSetup(_ header: SMBHeader, _ request: OldStyleSessionSetupRequest, fields: RequestFields,
                                      _ call: inout TracedCall) throws -> Outcome {
        guard !extendedSecurity, let challenge else {
            throw RequestError(.invalidParameter, "old-style SESSION_SETUP after an extended-security NEGOTIATE")
        }
        let user = request.accountName ?? ""
        let domain = request.primaryDomain ?? ""
        let mode = NTLMVerifier.oldStyleMode(lmResponse: request.caseInsensitivePassword,
                                             ntResponse: request.caseSensitivePassword)
        var changes = StateChanges(runtime)
        let login: VerifiedLogin
        do {
            try checkAuthenticationAllowed(mode)
            login = try verifier.verifyOldStyle(
                user: user, domain: domain, lmResponse: request.caseInsensitivePassword,
                ntResponse: request.caseSensitivePassword, challenge: challenge,
                origin: LoginOrigin(fields: fields, challenge: challengeOrigin))
        } catch let failure as LoginFailure {
            return try refuseLogin(header, user: user, domain: domain, mode: mode, wrapping: .none, failure,
                                   changes, &call)
        }
        let body = SessionSetupAndXResponse.oldStyle(OldStyleSessionSetupResponse(
            action: 0, nativeOS: Self.nativeOS, nativeLanMan: Self.nativeLanMan,
            primaryDomain: configuration.domain.uppercased()))
        guard let uid = uids.allocate(isInUse: { sessions[$0] != nil || pendingNTLMSSP[$0] != nil }) else {
            throw RequestError(.insufficientResources, "no free UID")
        }
        return try completeLogin(header, login, uid: uid, domain: domain, wrapping: .none, body: body,
                                 &changes, &call)
    }

    /// The 12-word form: NTLMSSP (raw or in SPNEGO) in two legs.
    private func extendedSessionSetup(_ header: SMBHeader, _ request: ExtendedSessionSetupRequest,
                                      _ recorded: TraceBuffer?, _ call: inout TracedCall) throws -> Outcome {
        guard extendedSecurity else {
            throw RequestError(.invalidParameter, "extended SESSION_SETUP after a challenge NEGOTIATE")
        }
        let blob = request.securityBlob
        if let acceptor = pendingNTLMSSP[header.uid], isAuthenticate(blob) {
            return try ntlmsspAuthenticate(header, acceptor, blob: blob, recorded, &call)
        }
        // Leg one: NEGOTIATE in, CHALLENGE out, with a UID for the client to come back with.
        let serverChallenge = runtime.randomBytes(8)
        let fields = call.isTracing ? Self.requestFields(recorded, blob: blob, message: "NEGOTIATE") : RequestFields()
        let started = try runtime.traced(
            "ntlmssp_server_negotiate", "NEGOTIATE (\(blob.count)-byte blob)",
            buffers: [Self.receivedBlobBuffer(blob, fields, on: runtime)]
        ) { call -> (acceptor: NTLMSSPAcceptor, reply: [UInt8]) in
            // The challenge comes from the auth context's get_challenge, as in smbd.
            let challengeBuffer = call.buffer(
                "server challenge", serverChallenge,
                .given("smbd's random NTLMSSP challenge: 8 bytes from the runtime's seeded generator"))
            if let challengeBuffer { try call.note("the server challenge: 8 random bytes", buffers: [challengeBuffer]) }
            var started: (acceptor: NTLMSSPAcceptor, reply: [UInt8])
            do {
                started = try NTLMSSPAcceptor.start(blob: blob, serverChallenge: serverChallenge,
                                                    serverName: configuration.serverName, domain: configuration.domain)
            } catch {
                throw RequestError(.invalidParameter, "NTLMSSP NEGOTIATE: \(error)")
            }
            if call.isTracing {
                let challengeBytes = started.acceptor.challengeBytes
                let message = call.traceable(
                    "CHALLENGE message", challengeBytes,
                    spans: (try? NTLMSSPMessage.decode(challengeBytes).spans) ?? [],
                    .given("the CHALLENGE ntlmssp_server_negotiate built: flags, target info and the server challenge"))
                try call.note("the CHALLENGE message, carrying the server challenge", buffers: [message])
                started.acceptor.origins = NTLMSSPAcceptor.Origins(
                    negotiate: fields.received("NEGOTIATE", started.acceptor.negotiateBytes),
                    challenge: TracedBytes(challengeBytes, buffer: message.id), serverChallenge: challengeBuffer?.id)
            }
            call.returning(
                "CHALLENGE (\(started.acceptor.wrapping.rawValue)), flags 0x\(String(started.acceptor.challengeFlags.rawValue, radix: 16))",
                buffers: [Self.securityBlobBuffer("security blob (sent)", started.reply)])
            return started
        }
        var changes = StateChanges(runtime)
        let uid: UInt16
        if pendingNTLMSSP[header.uid] != nil {
            uid = header.uid
        } else {
            guard let fresh = uids.allocate(isInUse: { sessions[$0] != nil || pendingNTLMSSP[$0] != nil }) else {
                throw RequestError(.insufficientResources, "no free UID")
            }
            try reservePendingLogin()
            uid = fresh
        }
        addPendingNTLMSSP(started.acceptor, uid: uid, &changes)
        settleState(&changes)
        let body = SessionSetupAndXResponse.extended(ExtendedSessionSetupResponse(
            action: 0, securityBlob: started.reply, nativeOS: Self.nativeOS, nativeLanMan: Self.nativeLanMan,
            primaryDomain: configuration.domain.uppercased()))
        call.returning("CHALLENGE for UID \(uid): \(NTStatus.moreProcessingRequired.name)", diff: changes.diffs)
        return try reply(header, body, status: .moreProcessingRequired, uid: uid)
    }

    private func isAuthenticate(_ blob: [UInt8]) -> Bool {
        guard let inner = try? SPNEGO.unwrap(blob) else { return false }
        return (try? NTLMSSPMessageType.of(inner.token)) == .authenticate
    }

    /// What leg two of an NTLMSSP login came to.
    private struct NTLMSSPVerdict {
        var response: NTLMVerifier.NTLMSSPResponse
        var mode: AuthMode?
        var outcome: Result<VerifiedLogin, LoginFailure>
    }

    /// Leg two: verify the AUTHENTICATE, derive the keys, check the MIC.
    private func ntlmsspAuthenticate(_ header: SMBHeader, _ acceptor: NTLMSSPAcceptor, blob: [UInt8],
                                     _ recorded: TraceBuffer?, _ call: inout TracedCall) throws -> Outcome {
        var changes = StateChanges(runtime)
        removePendingNTLMSSP(header.uid, &changes)
        let verdict: NTLMSSPVerdict
        do {
            verdict = try ntlmsspServerAuth(
                acceptor, blob: blob,
                fields: call.isTracing ? Self.requestFields(recorded, blob: blob, message: "AUTHENTICATE") : RequestFields())
        } catch {
            settleState(&changes)
            throw error
        }
        let response = verdict.response
        switch verdict.outcome {
        case let .failure(failure):
            settleState(&changes)
            return try refuseLogin(header, user: response.user, domain: response.domain, mode: verdict.mode,
                                   wrapping: acceptor.wrapping, failure, changes, &call)
        case let .success(login):
            let body = SessionSetupAndXResponse.extended(ExtendedSessionSetupResponse(
                action: 0, securityBlob: acceptor.completionBlob, nativeOS: Self.nativeOS,
                nativeLanMan: Self.nativeLanMan, primaryDomain: configuration.domain.uppercased()))
            return try completeLogin(header, login, uid: header.uid, domain: response.domain,
                                     wrapping: acceptor.wrapping, body: body, &changes, &call)
        }
    }

    /// Decodes and verifies an NTLMSSP AUTHENTICATE: the password check, the exported session
    /// key, the MIC. Mirrors Samba's `gensec_ntlmssp_server_auth`.
    private func ntlmsspServerAuth(_ acceptor: NTLMSSPAcceptor, blob: [UInt8],
                                   fields: RequestFields) throws -> NTLMSSPVerdict {
        try runtime.traced("ntlmssp_server_auth", "AUTHENTICATE (\(blob.count)-byte blob)",
                           buffers: [Self.receivedBlobBuffer(blob, fields, on: runtime)]) { call in
            let authenticate: NTLMSSPAcceptor.Authenticate
            do {
                authenticate = try acceptor.decodeAuthenticate(blob: blob)
            } catch {
                throw RequestError(.invalidParameter, "NTLMSSP AUTHENTICATE: \(error)")
            }
            let response = authenticate.response
            let mode: AuthMode? = response.ntResponse.count > 24
                ? .ntlmsspV2 : (response.ntResponse.count == 24 ? .ntlmsspV1 : nil)
            do {
                try checkAuthenticationAllowed(mode)
                let login = try verifier.verifyNTLMSSP(
                    response, serverChallenge: acceptor.serverChallenge,
                    origin: LoginOrigin(fields: fields, challenge: acceptor.origins.serverChallenge))
                try acceptor.checkMIC(authenticate, exportedSessionKey: login.session, fields: fields, runtime: runtime)
                call.returning("\(response.domain)\\\(response.user) authenticated (\(login.mode.rawValue))")
                return NTLMSSPVerdict(response: response, mode: mode, outcome: .success(login))
            } catch let failure as LoginFailure {
                call.returning("\(response.domain)\\\(response.user) refused: \(failure)")
                return NTLMSSPVerdict(response: response, mode: mode, outcome: .failure(failure))
            }
        }
    }

    /// The fields of a recorded extended SESSION_SETUP_ANDX request, with those of the NTLMSSP
    /// message in its security blob added at their places in the request, and the whole
    /// message as `message` (`NEGOTIATE`, `AUTHENTICATE`). Empty when nothing was recorded.
    static func requestFields(_ recorded: TraceBuffer?, blob: [UInt8], message: String) -> RequestFields {
        var fields = RequestFields(recorded)
        guard let blobRange = fields.range(of: "SecurityBlob"), blobRange.count == blob.count,
              let inner = try? SPNEGO.unwrap(blob) else { return fields }
        let start = blobRange.lowerBound + inner.offset
        fields.add(message, start..<(start + inner.token.count))
        if let decoded = try? NTLMSSPMessage.decode(inner.token, base: start) { fields.add(spans: decoded.spans) }
        return fields
    }

    /// The received security blob for a frame's enter event: a copy of its span of the
    /// request, annotated like ``securityBlobBuffer(_:_:)``. Build it only while tracing.
    static func receivedBlobBuffer(_ blob: [UInt8], _ fields: RequestFields, on runtime: any KernelRuntime) -> TraceBuffer {
        fields.received("SecurityBlob", blob)
            .copy(as: "security blob (received)", spans: securityBlobBuffer("", blob).spans, on: runtime)
    }

    /// A security blob with the spans of its SPNEGO wrapping and of the NTLMSSP message inside
    /// (no spans when it decodes as neither).
    static func securityBlobBuffer(_ name: String, _ blob: [UInt8]) -> TraceBuffer {
        var spans: [FieldSpan] = []
        if let inner = try? SPNEGO.unwrap(blob) {
            if inner.wrapping != .raw, let outer = try? SPNEGO.decode(blob) { spans += outer.spans }
            if let message = try? NTLMSSPMessage.decode(inner.token, base: inner.offset) { spans += message.spans }
        }
        return TraceBuffer(name: name, bytes: blob, spans: spans)
    }

    /// Counts the authentication, applies the reject fault and the allowed-modes policy.
    private func checkAuthenticationAllowed(_ mode: AuthMode?) throws {
        let (number, reject) = server.countAuthentication()
        if reject {
            server.log(.faultInjected(connection: id, fault: "rejected authentication \(number)"))
            throw LoginFailure.rejectedByFault
        }
        if let mode, !configuration.allowedAuthModes.contains(mode) { throw LoginFailure.modeNotAllowed(mode) }
    }

    private func refuseLogin(_ header: SMBHeader, user: String, domain: String, mode: AuthMode?,
                             wrapping: ServerLogEvent.Wrapping, _ failure: LoginFailure, _ changes: StateChanges,
                             _ call: inout TracedCall) throws -> Outcome {
        server.recordLogin(success: false)
        server.log(.authentication(connection: id, user: user, domain: domain, mode: mode, wrapping: wrapping,
                                   status: .logonFailure, signing: false))
        call.returning("login refused (\(failure)): \(NTStatus.logonFailure.name)", diff: changes.diffs)
        return .reply(try errorReply(header, .logonFailure))
    }

    /// Records the session and answers; starts signing when the policy says so: always under
    /// `required`, under `auto` when the client set FLAGS2_SMB_SECURITY_SIGNATURES. Only the
    /// first session of a connection can start signing (its MAC key stays for the connection).
    private func completeLogin(_ header: SMBHeader, _ login: VerifiedLogin, uid: UInt16, domain: String,
                               wrapping: ServerLogEvent.Wrapping, body: SessionSetupAndXResponse,
                               _ changes: inout StateChanges, _ call: inout TracedCall) throws -> Outcome {
        guard sessions.count < limits.maxSessionsPerConnection else {
            throw RequestError(.insufficientResources, "\(sessions.count) sessions already on this connection")
        }
        addSession(ServerSession(uid: uid, user: login.user, mode: login.mode), &changes)
        settleState(&changes)
        var startsSigning = false
        if !signing.isActive {
            switch configuration.signing {
            case .off: break
            case .auto: startsSigning = header.flags2.contains(.securitySignature)
            case .required: startsSigning = true
            }
        }
        if startsSigning { try startSigning(login) }
        server.recordLogin(success: true)
        server.log(.authentication(connection: id, user: login.user, domain: domain, mode: login.mode,
                                   wrapping: wrapping, status: .success, signing: signing.isActive))
        call.returning("\(login.user) logged in (\(login.mode.rawValue)), UID \(uid)"
                           + (startsSigning ? ", signing starts" : ""),
                       diff: changes.diffs)
        return try reply(header, body, uid: uid, startsSigning: startsSigning)
    }
}
