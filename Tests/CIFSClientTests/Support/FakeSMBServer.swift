import CIFSClient
import KernelRuntime
import SMBCrypto
import SMBWire

/// A scripted SMB1 peer for tests, running as an `smbd` thread on the test's runtime over a
/// ``PipeTransport``. It answers what the client core sends (NEGOTIATE, old-style and NTLMSSP
/// SESSION_SETUP_ANDX with real response checks, TREE_CONNECT_ANDX, NT_CREATE_ANDX, TRANS2
/// QUERY_FILE_INFORMATION, READ_ANDX, CLOSE, TREE_DISCONNECT, LOGOFF_ANDX), signs like a server
/// should (SESSION_SETUP reply with sequence 1, each later reply with the request's + 1), and
/// lets a test replace any reply through ``hook``.
final class FakeSMBServer: @unchecked Sendable {
    enum Signing: Sendable { case off, enabled, required }

    struct Configuration: Sendable {
        var user = "alice"
        var password = "Wonderland-42"
        var domain = "WORKGROUP"
        var extendedSecurity = false
        var signing: Signing = .off
        var challenge: [UInt8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF]
        var files: [String: [UInt8]] = [:]
        var maxMpxCount: UInt16 = 50
        var largeReadX = true
        /// Largest READ_ANDX reply data (smbd caps signed replies near 128 KiB).
        var maxReadData = Int.max
        /// Fail this many connects after the first one (to test giving up).
        var refuseReconnects = false
    }

    /// What to send instead of (or besides) the normal reply.
    enum Action: Sendable {
        /// An SMB message, framed with the NBSS header.
        case reply([UInt8])
        /// Raw bytes, framing included.
        case raw([UInt8])
        /// Close the connection.
        case close
    }

    /// Called for every request (`index` counts requests over all connections, from 1) with
    /// the reply the server would send (already signed); returns what to send instead.
    typealias Hook = @Sendable (_ index: Int, _ request: SMBHeader, _ reply: [UInt8]) -> [Action]

    let runtime: any KernelRuntime
    let config: Configuration
    let hook: Hook?

    // Runtime lock.
    private(set) var connections = 0
    private(set) var requestCount = 0
    private(set) var clientSignatureFailures = 0
    private(set) var signedRequestsVerified = 0
    private(set) var commands: [SMBCommand] = []
    private(set) var requests: [[UInt8]] = []
    private(set) var sessionSetupRequests: [[UInt8]] = []
    private(set) var macKeys: [[UInt8]] = []

    init(runtime: any KernelRuntime, config: Configuration, hook: Hook? = nil) {
        self.runtime = runtime
        self.config = config
        self.hook = hook
    }

    /// The transport factory for ``CIFSMount``: a fresh pipe and an `smbd` thread per connect.
    func connect() throws -> any Transport {
        let number = runtime.withLock { () -> Int in
            connections += 1
            return connections
        }
        if number > 1 && config.refuseReconnects {
            throw TransportError.connectionRefused(host: "fake", port: 445)
        }
        let (client, server) = PipeTransport.makePair(runtime: runtime)
        runtime.spawn(name: "smbd") { [self] in
            try serve(server)
        }
        return client
    }

    // MARK: - Connection

    final class Connection {
        var signingActive = false
        var macKey: [UInt8] = []
        var sequence: UInt32 = 0
        var uid: UInt16 = 0
        var nextFID: UInt16 = 0x4000
        var open: [UInt16: String] = [:]
        var ntlmsspChallenge: [UInt8] = []
        var targetInfo: [UInt8] = []
        var clientFlags2: SMBFlags2 = []
    }

    func serve(_ transport: PipeTransport) throws {
        var decoder = NBSSDecoder()
        let connection = Connection()
        while true {
            while let message = try decoder.next() {
                if try !handle(message, connection: connection, transport: transport) {
                    transport.close()
                    return
                }
            }
            let bytes: [UInt8]
            do {
                bytes = try transport.receive(maxBytes: 256 * 1024)
            } catch is TransportError {
                return
            }
            if bytes.isEmpty {
                transport.close()
                return
            }
            decoder.feed(bytes)
        }
    }

    /// Returns false to close the connection.
    func handle(_ request: [UInt8], connection: Connection, transport: PipeTransport) throws -> Bool {
        let header = try SMBHeader.peek(request)
        try runtime.tracepoint("fake_smbd", .receive, "\(header.command.name) request, mid \(header.mid)")
        let index = runtime.withLock { () -> Int in
            requestCount += 1
            commands.append(header.command)
            requests.append(request)
            return requestCount
        }
        // Check the client's signature on signed sessions (request sequence = our counter).
        var requestSequence = connection.sequence
        if connection.signingActive {
            if SMB1Signing.verify(packet: request, macKey: connection.macKey, sequence: requestSequence) {
                runtime.withLock { signedRequestsVerified += 1 }
            } else {
                runtime.withLock { clientSignatureFailures += 1 }
            }
            connection.sequence = requestSequence &+ 2
        }
        var reply = try answer(request, header: header, connection: connection)
        if header.command == .sessionSetupAndX && connection.signingActive && connection.sequence == 2 {
            requestSequence = 0  // the SESSION_SETUP reply is signed with 1
        }
        if connection.signingActive {
            try SMB1Signing.sign(&reply, macKey: connection.macKey, sequence: requestSequence &+ 1)
        }
        let actions = hook?(index, header, reply) ?? [.reply(reply)]
        do {
            for action in actions {
                switch action {
                case let .reply(bytes): try transport.send(try NBSSFrame.encode(bytes))
                case let .raw(bytes): try transport.send(bytes)
                case .close: return false
                }
            }
        } catch is TransportError {
            return false  // the client went away
        }
        return true
    }

    // MARK: - Replies

    func replyHeader(_ request: SMBHeader, status: NTStatus = .success) -> SMBHeader {
        var header = request
        header.flags = [.reply, .caseInsensitive, .canonicalizedPaths]
        header.flags2.insert(.longNames)
        header.status = status
        header.signature = [UInt8](repeating: 0, count: 8)
        return header
    }

    func error(_ request: SMBHeader, _ status: NTStatus) throws -> [UInt8] {
        try SMBErrorResponse.encodePacket(replyingTo: replyHeader(request, status: .success), status: status)
    }

    func answer(_ request: [UInt8], header: SMBHeader, connection: Connection) throws -> [UInt8] {
        let message = try SMBMessage.decode(request, recordsSpans: false).value
        guard let body = message.blocks.first?.body else { return try error(header, .invalidSMB) }
        switch body {
        case let .negotiateRequest(negotiate):
            return try negotiateReply(negotiate, header: header, connection: connection)
        case let .sessionSetupRequest(setup):
            runtime.withLock { sessionSetupRequests.append(request) }
            return try sessionSetupReply(setup, request: request, header: header, connection: connection)
        case .treeConnectRequest:
            var h = replyHeader(header)
            h.tid = 1
            return try TreeConnectAndXResponse(optionalSupport: 1, maximalAccess: TreeConnectAndXResponse.MaximalAccess(
                maximalShareAccessRights: 0x001F_01FF, guestMaximalShareAccessRights: 0), service: "A:",
                nativeFileSystem: "NTFS").encodePacket(header: h)
        case let .ntCreateRequest(create):
            guard let content = config.files[create.fileName] else { return try error(header, .objectNameNotFound) }
            let fid = connection.nextFID
            connection.nextFID &+= 1
            connection.open[fid] = create.fileName
            let size = UInt64(content.count)
            return try NTCreateAndXResponse(
                fid: fid, createDisposition: 1, creationTime: 0x01CE_0E4B_2C00_0000, lastAccessTime: 0x01CE_0E4B_2C00_0000,
                lastWriteTime: 0x01CE_0E4B_2C00_0000, changeTime: 0x01CE_0E4B_2C00_0000, extFileAttributes: 0x80,
                allocationSize: (size + 4095) / 4096 * 4096, endOfFile: size).encodePacket(header: replyHeader(header))
        case let .trans2Request(trans2):
            guard let query = try? Trans2QueryFileInformationRequest(parameters: trans2.parameters),
                  let name = connection.open[query.fid], let content = config.files[name] else {
                return try error(header, .invalidHandle)
            }
            let size = UInt64(content.count)
            let info = FileInformation.all(FileAllInfo(
                creationTime: 0x01CE_0E4B_2C00_0000, lastAccessTime: 0x01CE_0E4B_2C00_0000,
                lastWriteTime: 0x01CE_0E4B_2C00_0000, changeTime: 0x01CE_0E4B_2C00_0000, extFileAttributes: 0x80,
                allocationSize: (size + 4095) / 4096 * 4096, endOfFile: size, numberOfLinks: 1,
                fileName: name))
            return try Trans2QueryInformationResponseParameters().response(info, unicode: header.isUnicode)
                .encodePacket(header: replyHeader(header))
        case let .readRequest(read):
            guard let name = connection.open[read.fid], let content = config.files[name] else {
                return try error(header, .invalidHandle)
            }
            let start = Int(min(read.offset, UInt64(content.count)))
            let count = min(Int(read.maxCount), content.count - start, config.maxReadData)
            return try ReadAndXResponse(available: 0xFFFF, data: content[start..<(start + count)])
                .encodePacket(header: replyHeader(header))
        case let .closeRequest(close):
            guard connection.open.removeValue(forKey: close.fid) != nil else { return try error(header, .invalidHandle) }
            return try CloseResponse().encodePacket(header: replyHeader(header))
        case .treeDisconnectRequest:
            return try TreeDisconnectResponse().encodePacket(header: replyHeader(header))
        case .logoffRequest:
            return try LogoffAndXResponse().encodePacket(header: replyHeader(header))
        default:
            return try error(header, .notSupported)
        }
    }

    func securityMode() -> SMBSecurityMode {
        switch config.signing {
        case .off: return [.userSecurity, .encryptPasswords]
        case .enabled: return [.userSecurity, .encryptPasswords, .signaturesEnabled]
        case .required: return [.userSecurity, .encryptPasswords, .signaturesEnabled, .signaturesRequired]
        }
    }

    func negotiateReply(_ request: NegotiateRequest, header: SMBHeader, connection: Connection) throws -> [UInt8] {
        guard let index = request.dialects.firstIndex(of: NegotiateRequest.ntLM012) else {
            return try NegotiateResponse.noCommonDialect.encodePacket(header: replyHeader(header))
        }
        var caps: SMBCapabilities = [.unicode, .largeFiles, .ntSMBs, .rpcRemoteAPIs, .status32, .levelIIOplocks,
                                     .lockAndRead, .ntFind, .largeWriteX]
        if config.largeReadX { caps.insert(.largeReadX) }
        let security: NTLM012NegotiateResponse.Security
        if config.extendedSecurity {
            caps.insert(.extendedSecurity)
            security = .extended(serverGUID: Array(0..<16), securityBlob: [])
        } else {
            security = .challenge(NegotiateChallenge(challenge: config.challenge, domainName: config.domain, serverName: "FAKE"))
        }
        let response = NTLM012NegotiateResponse(
            dialectIndex: UInt16(index), securityMode: securityMode(), maxMpxCount: config.maxMpxCount,
            maxNumberVcs: 1, maxBufferSize: 16644, maxRawSize: 65536, sessionKey: 0, capabilities: caps,
            systemTime: 0x01CE_0E4B_2C00_0000, serverTimeZone: 0, security: security)
        return try NegotiateResponse.ntLM012(response).encodePacket(header: replyHeader(header))
    }

    func sessionSetupReply(_ setup: SessionSetupAndXRequest, request: [UInt8], header: SMBHeader,
                           connection: Connection) throws -> [UInt8] {
        let ntHash = NTLM.ntHash(password: config.password, encoding: .untruncated)
        let wantsSigning = header.flags2.contains(.securitySignature) || config.signing == .required
        switch setup {
        case let .oldStyle(old):
            guard old.accountName?.lowercased() == config.user else { return try error(header, .logonFailure) }
            let response = old.caseSensitivePassword
            let macKey: [UInt8]
            if response.count == 24 {
                guard response == (try NTLM.ntlmv1Response(ntHash: ntHash, challenge: config.challenge)) else {
                    return try error(header, .logonFailure)
                }
                macKey = try NTLM.macKeyV1(sessionKey: try NTLM.sessionKeyV1(ntHash: ntHash), ntResponse: response)
            } else {
                let (proof, blob) = try NTLM.parseNTLMv2Response(response)
                let owf = try NTLM.ntowfv2(ntHash: ntHash, user: config.user, domain: old.primaryDomain ?? "")
                guard proof == (try NTLM.ntProofStr(ntowfv2: owf, serverChallenge: config.challenge, blob: try blob.encode())) else {
                    return try error(header, .logonFailure)
                }
                macKey = try NTLM.macKeyV2(sessionKey: try NTLM.sessionKeyV2(ntowfv2: owf, ntProofStr: proof),
                                           ntlmv2Response: response)
            }
            if config.signing != .off && wantsSigning { activateSigning(connection, macKey) }
            var h = replyHeader(header)
            connection.uid = 100
            h.uid = 100
            return try SessionSetupAndXResponse.oldStyle(OldStyleSessionSetupResponse(
                nativeOS: "Unix", nativeLanMan: "Fake 1.0", primaryDomain: config.domain)).encodePacket(header: h)
        case let .extended(ext):
            let message = try NTLMSSPMessage.decode(ext.securityBlob).value
            switch message {
            case .negotiate:
                connection.ntlmsspChallenge = config.challenge
                let info = AVPairList([AVPair(id: .nbDomainName, string: config.domain),
                                       AVPair(id: .nbComputerName, string: "FAKE")])
                connection.targetInfo = try info.encode()
                var flags: NTLMSSPNegotiateFlags = [.negotiateUnicode, .requestTarget, .negotiateNTLM,
                                                    .negotiateExtendedSessionSecurity, .negotiateTargetInfo,
                                                    .negotiate128, .negotiate56, .targetTypeDomain]
                if case let .negotiate(n) = message {
                    flags.formUnion(n.flags.intersection([.negotiateSign, .negotiateKeyExchange]))
                }
                let challenge = NTLMSSPChallengeMessage(target: config.domain, flags: flags,
                                                        serverChallenge: config.challenge, targetInfo: info)
                var h = replyHeader(header, status: .moreProcessingRequired)
                connection.uid = 101
                h.uid = 101
                return try SessionSetupAndXResponse.extended(ExtendedSessionSetupResponse(
                    securityBlob: try challenge.encode(), nativeOS: "Unix", nativeLanMan: "Fake 1.0",
                    primaryDomain: nil)).encodePacket(header: h)
            case let .authenticate(auth):
                guard auth.user.lowercased() == config.user else { return try error(header, .logonFailure) }
                let (proof, blob) = try NTLM.parseNTLMv2Response(auth.ntChallengeResponse)
                let owf = try NTLM.ntowfv2(ntHash: ntHash, user: auth.user, domain: auth.domain)
                guard proof == (try NTLM.ntProofStr(ntowfv2: owf, serverChallenge: connection.ntlmsspChallenge,
                                                     blob: try blob.encode())) else {
                    return try error(header, .logonFailure)
                }
                let baseKey = try NTLMSSPKeys.sessionBaseKeyV2(ntowfv2: owf, ntProofStr: proof)
                var exported = baseKey
                if auth.flags.contains(.negotiateKeyExchange), auth.encryptedRandomSessionKey.count == 16 {
                    exported = try NTLMSSPKeys.decryptSessionKey(auth.encryptedRandomSessionKey, keyExchangeKey: baseKey)
                }
                if config.signing != .off && wantsSigning { activateSigning(connection, exported) }
                var h = replyHeader(header)
                h.uid = connection.uid
                return try SessionSetupAndXResponse.extended(ExtendedSessionSetupResponse(
                    securityBlob: [], nativeOS: "Unix", nativeLanMan: "Fake 1.0", primaryDomain: nil)).encodePacket(header: h)
            case .challenge:
                return try error(header, .invalidParameter)
            }
        }
    }

    func activateSigning(_ connection: Connection, _ key: [UInt8]) {
        connection.signingActive = true
        connection.macKey = key
        connection.sequence = 2
        runtime.withLock { macKeys.append(key) }
    }
}
