import KernelRuntime
import SMBWire

extension ServerConnection {
    static let nativeOS = "Unix"
    static let nativeLanMan = "cifstep"

    /// SMB_COM_SESSION_SETUP_ANDX, both forms. Mirrors smbd's `reply_sesssetup_and_X`.
    func sessionSetup(_ header: SMBHeader, _ message: [UInt8]) throws -> Outcome {
        guard negotiated else { throw RequestError(.invalidParameter, "SESSION_SETUP before NEGOTIATE") }
        switch try decode(SessionSetupAndXRequest.self, header, message) {
        case let .oldStyle(request):
            clientCapabilities = request.parameters.capabilities
            return try oldStyleSessionSetup(header, request)
        case let .extended(request):
            clientCapabilities = request.parameters.capabilities
            return try extendedSessionSetup(header, request)
        }
    }

    private var verifier: NTLMVerifier { NTLMVerifier(users: server.users) }

    /// The 13-word form: LM/NT (or LMv2/NTLMv2) responses to the NEGOTIATE challenge.
    private func oldStyleSessionSetup(_ header: SMBHeader, _ request: OldStyleSessionSetupRequest) throws -> Outcome {
        guard !extendedSecurity, let challenge else {
            throw RequestError(.invalidParameter, "old-style SESSION_SETUP after an extended-security NEGOTIATE")
        }
        let user = request.accountName ?? ""
        let domain = request.primaryDomain ?? ""
        let mode = NTLMVerifier.oldStyleMode(lmResponse: request.caseInsensitivePassword,
                                             ntResponse: request.caseSensitivePassword)
        try runtime.tracepoint("reply_sesssetup_and_X", .enter,
                               "old-style \(mode?.rawValue ?? "anonymous") login of \(domain)\\\(user)")
        let login: VerifiedLogin
        do {
            try checkAuthenticationAllowed(mode)
            login = try verifier.verifyOldStyle(
                user: user, domain: domain, lmResponse: request.caseInsensitivePassword,
                ntResponse: request.caseSensitivePassword, challenge: challenge)
        } catch let failure as LoginFailure {
            return try refuseLogin(header, user: user, domain: domain, mode: mode, wrapping: .none, failure)
        }
        let body = SessionSetupAndXResponse.oldStyle(OldStyleSessionSetupResponse(
            action: 0, nativeOS: Self.nativeOS, nativeLanMan: Self.nativeLanMan,
            primaryDomain: configuration.domain.uppercased()))
        guard let uid = uids.allocate(isInUse: { sessions[$0] != nil || pendingNTLMSSP[$0] != nil }) else {
            throw RequestError(.insufficientResources, "no free UID")
        }
        return try completeLogin(header, login, uid: uid, domain: domain, wrapping: .none, body: body)
    }

    /// The 12-word form: NTLMSSP (raw or in SPNEGO) in two legs.
    private func extendedSessionSetup(_ header: SMBHeader, _ request: ExtendedSessionSetupRequest) throws -> Outcome {
        guard extendedSecurity else {
            throw RequestError(.invalidParameter, "extended SESSION_SETUP after a challenge NEGOTIATE")
        }
        let blob = request.securityBlob
        if let acceptor = pendingNTLMSSP[header.uid], isAuthenticate(blob) {
            return try ntlmsspAuthenticate(header, acceptor, blob: blob)
        }
        // Leg one: NEGOTIATE in, CHALLENGE out, with a UID for the client to come back with.
        let started: (acceptor: NTLMSSPAcceptor, reply: [UInt8])
        do {
            started = try NTLMSSPAcceptor.start(blob: blob, serverChallenge: runtime.randomBytes(8),
                                                serverName: configuration.serverName, domain: configuration.domain)
        } catch {
            throw RequestError(.invalidParameter, "NTLMSSP NEGOTIATE: \(error)")
        }
        try runtime.tracepoint("reply_sesssetup_and_X", .enter,
                               "NTLMSSP NEGOTIATE (\(started.acceptor.wrapping.rawValue)), answering with a CHALLENGE")
        let uid: UInt16
        if pendingNTLMSSP[header.uid] != nil {
            uid = header.uid
        } else {
            guard let fresh = uids.allocate(isInUse: { sessions[$0] != nil || pendingNTLMSSP[$0] != nil }) else {
                throw RequestError(.insufficientResources, "no free UID")
            }
            uid = fresh
        }
        pendingNTLMSSP[uid] = started.acceptor
        let body = SessionSetupAndXResponse.extended(ExtendedSessionSetupResponse(
            action: 0, securityBlob: started.reply, nativeOS: Self.nativeOS, nativeLanMan: Self.nativeLanMan,
            primaryDomain: configuration.domain.uppercased()))
        return try reply(header, body, status: .moreProcessingRequired, uid: uid)
    }

    private func isAuthenticate(_ blob: [UInt8]) -> Bool {
        guard let inner = try? SPNEGO.unwrap(blob) else { return false }
        return (try? NTLMSSPMessageType.of(inner.token)) == .authenticate
    }

    /// Leg two: verify the AUTHENTICATE, derive the keys, check the MIC.
    private func ntlmsspAuthenticate(_ header: SMBHeader, _ acceptor: NTLMSSPAcceptor, blob: [UInt8]) throws -> Outcome {
        pendingNTLMSSP.removeValue(forKey: header.uid)
        let authenticate: NTLMSSPAcceptor.Authenticate
        do {
            authenticate = try acceptor.decodeAuthenticate(blob: blob)
        } catch {
            throw RequestError(.invalidParameter, "NTLMSSP AUTHENTICATE: \(error)")
        }
        let response = authenticate.response
        let mode: AuthMode? = response.ntResponse.count > 24 ? .ntlmsspV2 : (response.ntResponse.count == 24 ? .ntlmsspV1 : nil)
        try runtime.tracepoint("reply_sesssetup_and_X", .enter,
                               "NTLMSSP AUTHENTICATE (\(mode?.rawValue ?? "anonymous")) of \(response.domain)\\\(response.user)")
        let login: VerifiedLogin
        do {
            try checkAuthenticationAllowed(mode)
            login = try verifier.verifyNTLMSSP(response, serverChallenge: acceptor.serverChallenge)
            if try acceptor.checkMIC(authenticate, exportedSessionKey: login.sessionKey) {
                try runtime.tracepoint("ntlmssp_server_auth", .note, "MIC verified")
            }
        } catch let failure as LoginFailure {
            return try refuseLogin(header, user: response.user, domain: response.domain, mode: mode,
                                   wrapping: acceptor.wrapping, failure)
        }
        let body = SessionSetupAndXResponse.extended(ExtendedSessionSetupResponse(
            action: 0, securityBlob: acceptor.completionBlob, nativeOS: Self.nativeOS,
            nativeLanMan: Self.nativeLanMan, primaryDomain: configuration.domain.uppercased()))
        return try completeLogin(header, login, uid: header.uid, domain: response.domain,
                                 wrapping: acceptor.wrapping, body: body)
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
                             wrapping: ServerLogEvent.Wrapping, _ failure: LoginFailure) throws -> Outcome {
        try runtime.tracepoint("reply_sesssetup_and_X", .exit, "login refused: \(failure)")
        server.recordLogin(success: false)
        server.log(.authentication(connection: id, user: user, domain: domain, mode: mode, wrapping: wrapping,
                                   status: .logonFailure, signing: false))
        return .reply(try errorReply(header, .logonFailure))
    }

    /// Records the session and answers; starts signing when the policy says so: always under
    /// `required`, under `auto` when the client set FLAGS2_SMB_SECURITY_SIGNATURES. Only the
    /// first session of a connection can start signing (its MAC key stays for the connection).
    private func completeLogin(_ header: SMBHeader, _ login: VerifiedLogin, uid: UInt16, domain: String,
                               wrapping: ServerLogEvent.Wrapping, body: SessionSetupAndXResponse) throws -> Outcome {
        sessions[uid] = ServerSession(uid: uid, user: login.user, mode: login.mode)
        var startsSigning: [UInt8]?
        if !signing.isActive {
            switch configuration.signing {
            case .off: break
            case .auto: if header.flags2.contains(.securitySignature) { startsSigning = login.macKey }
            case .required: startsSigning = login.macKey
            }
        }
        try runtime.tracepoint("reply_sesssetup_and_X", .exit,
                               "\(login.user) logged in (\(login.mode.rawValue)), UID \(uid)"
                                   + (startsSigning != nil ? ", signing starts (MAC key \(login.macKey.count) bytes)" : ""))
        server.recordLogin(success: true)
        server.log(.authentication(connection: id, user: login.user, domain: domain, mode: login.mode,
                                   wrapping: wrapping, status: .success,
                                   signing: startsSigning != nil || signing.isActive))
        return try reply(header, body, uid: uid, startsSigning: startsSigning)
    }
}
