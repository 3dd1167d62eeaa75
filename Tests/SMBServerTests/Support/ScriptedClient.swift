import Crypto
import KernelRuntime
import SMBCrypto
import SMBWire
@testable import SMBServer

/// A minimal, scripted SMB1 client for driving the server byte by byte in tests: it builds
/// requests with SMBWire, signs them when a MAC key is set, and checks reply signatures.
/// Not the client core (CIFSClient): this one makes no decisions of its own.
final class ScriptedClient {
    enum ClientError: Error, Equatable {
        case connectionClosed
        case unexpected(String)
    }

    let transport: any Transport
    var decoder = NBSSDecoder()
    var mid: UInt16 = 1
    var uid: UInt16 = 0
    var tid: UInt16 = 0xFFFF
    var unicode = true
    var extendedSecurity = false
    /// Set FLAGS2_SMB_SECURITY_SIGNATURES on requests (asks an `auto` server to sign).
    var requestSigning = false
    /// Signing state once a session started it.
    var macKey: [UInt8]?
    var sequence: UInt32 = 0
    /// Reply sequences whose signatures did not verify.
    var badSignatures: [UInt32] = []
    var challenge: [UInt8] = []
    /// The NT (or NTLMv2) response of the last login, as this client computed and sent it.
    private(set) var sentNTResponse: [UInt8] = []
    /// The MIC of the last NTLMSSP login, when it sent one.
    private(set) var sentMIC: [UInt8]?

    init(_ transport: any Transport) {
        self.transport = transport
    }

    // MARK: Raw I/O

    func sendRaw(_ bytes: [UInt8]) throws {
        try transport.send(bytes)
    }

    func receiveMessage() throws -> [UInt8] {
        while true {
            if let message = try decoder.next() { return message }
            let chunk = try transport.receive(maxBytes: 256 * 1024)
            if chunk.isEmpty { throw ClientError.connectionClosed }
            decoder.feed(chunk)
        }
    }

    /// True once the server closed the connection (reads until end of stream).
    func serverClosed() throws -> Bool {
        do {
            while true {
                if try decoder.next() != nil { continue }
                let chunk = try transport.receive(maxBytes: 65536)
                if chunk.isEmpty { return true }
                decoder.feed(chunk)
            }
        } catch let error as TransportError {
            return error == .connectionReset || error == .closed
        }
    }

    func header(_ command: SMBCommand) -> SMBHeader {
        var flags2: SMBFlags2 = [.longNames, .ntStatus]
        if unicode { flags2.insert(.unicode) }
        if extendedSecurity { flags2.insert(.extendedSecurity) }
        if requestSigning || macKey != nil { flags2.insert(.securitySignature) }
        defer { mid &+= 1 }
        return SMBHeader(command: command, flags: [.caseInsensitive], flags2: flags2, tid: tid, pidLow: 4242, uid: uid, mid: mid)
    }

    /// Encodes `body` as a request, signs it if signing is on, sends it.
    @discardableResult
    func send(_ body: some SMBEncodableBlock, header custom: SMBHeader? = nil) throws -> UInt32? {
        var encoder = try SMBPacketEncoder(header: custom ?? header(body.blockCommand))
        try encoder.append(body)
        var packet = encoder.bytes
        var requestSequence: UInt32?
        if let macKey {
            requestSequence = sequence
            try SMB1Signing.sign(&packet, macKey: macKey, sequence: sequence)
            sequence &+= 2
        }
        try transport.send(try NBSSFrame.encode(packet))
        return requestSequence
    }

    /// Sends and waits for the reply, verifying its signature when signing is on.
    func call(_ body: some SMBEncodableBlock) throws -> (header: SMBHeader, packet: [UInt8]) {
        let requestSequence = try send(body)
        let reply = try receiveMessage()
        if let macKey, let requestSequence,
           !SMB1Signing.verify(packet: reply, macKey: macKey, sequence: requestSequence + 1) {
            badSignatures.append(requestSequence + 1)
        }
        return (try SMBHeader.peek(reply), reply)
    }

    func decodeReply<Body: SMBMessageBody>(_ type: Body.Type, _ packet: [UInt8]) throws -> Body {
        try Body.decodePacket(packet).value.body
    }

    // MARK: Steps

    func negotiate(extended: Bool) throws -> NTLM012NegotiateResponse {
        extendedSecurity = extended
        let (_, packet) = try call(NegotiateRequest(dialects: ["PC NETWORK PROGRAM 1.0", "NT LM 0.12"]))
        guard case let .ntLM012(response) = try decodeReply(NegotiateResponse.self, packet) else {
            throw ClientError.unexpected("no NT LM 0.12 response")
        }
        if case let .challenge(c) = response.security { challenge = c.challenge }
        return response
    }

    /// Old-style login; returns the reply status. Starts signing (seq 1 on the reply) when the
    /// server signed the reply.
    @discardableResult
    func loginOldStyle(user: String, password: String, domain: String = "WORKGROUP", ntlmv2: Bool,
                       capabilities: SMBCapabilities = [.unicode, .ntSMBs, .status32, .largeFiles, .largeReadX]) throws -> NTStatus {
        let ntHash = NTLM.ntHash(password: password, encoding: .untruncated)
        let lm: [UInt8], nt: [UInt8], macKey: [UInt8]
        if ntlmv2 {
            let owf = try NTLM.ntowfv2(ntHash: ntHash, user: user, domain: domain)
            let blob = try NTLMv2Blob(timestamp: NTLMv2Blob.timestampBytes(fileTime: 0x01D9_0000_0000_0000),
                                      clientChallenge: [1, 2, 3, 4, 5, 6, 7, 8], targetInfo: [0, 0, 0, 0],
                                      trailingZeros: false).encode()
            nt = try NTLM.ntlmv2Response(ntowfv2: owf, serverChallenge: challenge, blob: blob)
            lm = [UInt8](repeating: 0, count: 24)
            let key = try NTLM.sessionKeyV2(ntowfv2: owf, ntProofStr: Array(nt[0..<16]))
            macKey = try NTLM.macKeyV2(sessionKey: key, ntlmv2Response: nt)
        } else {
            nt = try NTLM.ntlmv1Response(ntHash: ntHash, challenge: challenge)
            lm = nt
            macKey = try NTLM.macKeyV1(sessionKey: NTLM.sessionKeyV1(ntHash: ntHash), ntResponse: nt)
        }
        sentNTResponse = nt
        let request = SessionSetupAndXRequest.oldStyle(OldStyleSessionSetupRequest(
            parameters: SessionSetupParameters(maxBufferSize: 16644, maxMpxCount: 50, capabilities: capabilities),
            caseInsensitivePassword: lm, caseSensitivePassword: nt, accountName: user, primaryDomain: domain,
            nativeOS: "Linux", nativeLanMan: "test"))
        let (header, reply) = try call(request)
        if header.status.isSuccess {
            uid = header.uid
            startSigningIfSigned(reply, macKey: macKey)
        }
        return header.status
    }

    /// NTLMSSP login (raw like the kernel, or in SPNEGO) with NTLMv2 and key exchange. With
    /// `ntlmv1` the AUTHENTICATE carries the NTLMv1 NTLM2 session response instead (extended
    /// session security); with `mic` the NTLMv2 blob claims a MIC (MsvAvFlags 0x2) and the
    /// AUTHENTICATE carries one.
    @discardableResult
    func loginNTLMSSP(user: String, password: String, domain: String = "WORKGROUP", spnego: Bool,
                      exportedKey: [UInt8] = Array(0x60..<0x70), ntlmv1: Bool = false,
                      mic: Bool = false) throws -> NTStatus {
        let flags: NTLMSSPNegotiateFlags = [.negotiateUnicode, .requestTarget, .negotiateNTLM, .negotiateSign,
                                            .negotiateAlwaysSign, .negotiateExtendedSessionSecurity,
                                            .negotiate128, .negotiateKeyExchange, .negotiate56]
        let negotiate = try NTLMSSPNegotiateMessage(flags: flags).encode()
        let firstBlob = spnego
            ? SPNEGO.encode(.negTokenInit(SPNEGONegTokenInit(mechTypes: [.ntlmssp], mechToken: negotiate)))
            : negotiate
        let (h1, r1) = try call(extendedSetup(firstBlob))
        guard h1.status == .moreProcessingRequired else { return h1.status }
        uid = h1.uid
        guard case let .extended(leg1) = try decodeReply(SessionSetupAndXResponse.self, r1),
              let inner = try SPNEGO.unwrap(leg1.securityBlob),
              case let .challenge(challengeMessage) = try NTLMSSPMessage.decode(inner.token).value else {
            throw ClientError.unexpected("no CHALLENGE")
        }
        let ntHash = NTLM.ntHash(password: password, encoding: .untruncated)
        let lm: [UInt8], nt: [UInt8], keyExchangeKey: [UInt8]
        if ntlmv1 {
            let ess = try NTLMSSPKeys.ntlm2SessionResponse(ntHash: ntHash, serverChallenge: challengeMessage.serverChallenge,
                                                           clientChallenge: [3, 1, 4, 1, 5, 9, 2, 6])
            (lm, nt) = ess
            keyExchangeKey = try NTLMSSPKeys.keyExchangeKeyV1ESS(
                sessionBaseKey: NTLMSSPKeys.sessionBaseKeyV1(ntHash: ntHash),
                serverChallenge: challengeMessage.serverChallenge, lmResponse: lm)
        } else {
            var targetInfo = challengeMessage.targetInfo ?? AVPairList()
            if mic { targetInfo.pairs.append(.flags(0x2)) }
            let owf = try NTLM.ntowfv2(ntHash: ntHash, user: user, domain: domain)
            let blob = try NTLMv2Blob(timestamp: NTLMv2Blob.timestampBytes(fileTime: 0x01D9_0000_0000_0000),
                                      clientChallenge: [8, 7, 6, 5, 4, 3, 2, 1], targetInfo: try targetInfo.encode(),
                                      trailingZeros: true).encode()
            nt = try NTLM.ntlmv2Response(ntowfv2: owf, serverChallenge: challengeMessage.serverChallenge, blob: blob)
            lm = [UInt8](repeating: 0, count: 24)
            keyExchangeKey = try NTLM.sessionKeyV2(ntowfv2: owf, ntProofStr: Array(nt[0..<16]))
        }
        sentNTResponse = nt
        var message = NTLMSSPAuthenticateMessage(
            lmChallengeResponse: lm, ntChallengeResponse: nt, domain: domain, user: user, workstationName: "TEST",
            encryptedRandomSessionKey: try NTLMSSPKeys.encryptSessionKey(exportedKey, keyExchangeKey: keyExchangeKey),
            flags: challengeMessage.flags)
        sentMIC = nil
        if mic {
            // MS-NLMP 3.1.5.1.2: HMAC-MD5 under the exported key of the three messages, the
            // AUTHENTICATE with its MIC field zeroed.
            message.version = NTLMSSPVersion(productMajorVersion: 6, productMinorVersion: 1, productBuild: 0)
            message.mic = [UInt8](repeating: 0, count: 16)
            let input = try NTLMSSPMIC.input(negotiate: negotiate, challenge: inner.token, authenticate: message.encode())
            message.mic = Array(HMAC<Insecure.MD5>.authenticationCode(for: input, using: SymmetricKey(data: exportedKey)))
            sentMIC = message.mic
        }
        let authenticate = try message.encode()
        let secondBlob = spnego
            ? SPNEGO.encode(.negTokenResp(SPNEGONegTokenResp(responseToken: authenticate)))
            : authenticate
        let (h2, r2) = try call(extendedSetup(secondBlob))
        if h2.status.isSuccess { startSigningIfSigned(r2, macKey: exportedKey) }
        return h2.status
    }

    func extendedSetup(_ blob: [UInt8]) -> SessionSetupAndXRequest {
        .extended(ExtendedSessionSetupRequest(
            parameters: SessionSetupParameters(maxBufferSize: 16644, maxMpxCount: 50,
                                               capabilities: [.unicode, .ntSMBs, .status32, .largeReadX, .extendedSecurity]),
            securityBlob: blob, nativeOS: "Linux", nativeLanMan: "test"))
    }

    /// The session setup reply that starts signing is signed with sequence 1.
    private func startSigningIfSigned(_ reply: [UInt8], macKey: [UInt8]) {
        if SMB1Signing.verify(packet: reply, macKey: macKey, sequence: 1) {
            self.macKey = macKey
            sequence = 2
        }
    }

    func treeConnect(_ share: String) throws -> NTStatus {
        let (header, _) = try call(TreeConnectAndXRequest(flags: TreeConnectAndXRequest.flagExtendedResponse,
                                                          path: "\\\\CIFSTEP\\\(share)"))
        if header.status.isSuccess { tid = header.tid }
        return header.status
    }

    func open(_ name: String, access: UInt32 = 0x0012_0089, disposition: UInt32 = 1,
              options: UInt32 = 0) throws -> (status: NTStatus, response: NTCreateAndXResponse?) {
        let (header, packet) = try call(NTCreateAndXRequest(
            desiredAccess: access, shareAccess: 7, createDisposition: disposition, createOptions: options, fileName: name))
        guard header.status.isSuccess else { return (header.status, nil) }
        return (header.status, try decodeReply(NTCreateAndXResponse.self, packet))
    }

    func read(fid: UInt16, offset: UInt64, count: UInt32) throws -> (status: NTStatus, data: [UInt8]) {
        let (header, packet) = try call(ReadAndXRequest(fid: fid, offset: offset, count: count))
        guard header.status.isSuccess else { return (header.status, []) }
        return (header.status, try decodeReply(ReadAndXResponse.self, packet).dataBytes)
    }

    func queryFileInfo(fid: UInt16, level: QueryInformationLevel) throws -> (status: NTStatus, data: [UInt8]) {
        let request = Trans2QueryFileInformationRequest(fid: fid, informationLevel: level).request()
        let (header, packet) = try call(request)
        guard header.status.isSuccess else { return (header.status, []) }
        return (header.status, try decodeReply(Trans2Response.self, packet).data)
    }

    func close(fid: UInt16) throws -> NTStatus {
        try call(CloseRequest(fid: fid)).header.status
    }
}
