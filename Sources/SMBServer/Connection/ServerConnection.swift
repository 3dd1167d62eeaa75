import KernelRuntime
import SMBCrypto
import SMBWire

/// One client connection: smbd's per-connection process, as a state machine on one runtime
/// thread. It owns all its state (sessions, trees, open files, signing), so only this thread
/// touches it; server-wide counters and faults live in ``SMBServer`` under the runtime lock.
final class ServerConnection {
    let server: SMBServer
    let id: Int
    let transport: any Transport
    let peer: String
    var runtime: any KernelRuntime { server.runtime }
    var configuration: SMBServerConfiguration { server.configuration }

    private var decoder: NBSSDecoder

    // Negotiated state.
    /// Where the connection is (`smbd.state`): changed by NEGOTIATE, then derived from the
    /// sessions and pending logins (``settleState(_:)``), `closed` at the end.
    var state: ServerConnectionState = .awaitingNegotiate
    /// NEGOTIATE has been answered (and the connection has not ended).
    var negotiated: Bool { state != .awaitingNegotiate && state != .closed }
    var extendedSecurity = false
    /// The 8-byte challenge of a non-extended NEGOTIATE.
    var challenge: [UInt8]?
    /// The buffer that recorded ``challenge`` (`get_challenge`); nil when not traced.
    var challengeOrigin: TraceBufferID?
    /// What the client said in SESSION_SETUP_ANDX.
    var clientCapabilities: SMBCapabilities = []

    let signing = SigningState()
    var sessions: [UInt16: ServerSession] = [:]
    /// NTLMSSP exchanges between their two legs, by the UID handed out in leg one.
    var pendingNTLMSSP: [UInt16: NTLMSSPAcceptor] = [:]
    var trees: [UInt16: ServerTree] = [:]
    var files: [UInt16: ServerOpenFile] = [:]
    var uids = IDAllocator(first: 100)
    var tids = IDAllocator(first: 1)
    var fids = IDAllocator(first: 0x4001)
    /// Directory searches between FIND_FIRST2 and their end, by SID.
    var searches: [UInt16: ServerSearch] = [:]
    var searchIDs = IDAllocator(first: 1)
    /// Where ``receiveMessage()`` reads the transport into.
    private var receiveBuffer = [UInt8](repeating: 0, count: ServerConnection.receiveBufferSize)
    /// The frame READ_ANDX replies are built in, reused from one reply to the next so a
    /// multi-MiB reply costs no allocation (and no page faults) after the first. Never larger
    /// than the largest reply the limits allow; freed with the connection.
    var replyFrame: [UInt8] = []
    /// Whether ``decoder`` was inside a frame when last reported to the watchdog.
    private var reportedInsideFrame = false
    var limits: SMBServerLimits { configuration.limits }

    /// Bytes read from the transport per receive: one READ_ANDX request or a few pipelined
    /// small ones; longer messages are assembled by the NBSS decoder.
    static let receiveBufferSize = 64 * 1024

    init(server: SMBServer, id: Int, transport: any Transport, peer: String) {
        self.server = server
        self.id = id
        self.transport = transport
        self.peer = peer
        decoder = NBSSDecoder(maxMessageLength: max(SMBHeader.size, server.configuration.maxRequestSize))
    }

    /// What handling one request leads to.
    enum Outcome {
        case reply(Reply)
        /// Nothing (more) is sent: NT_CANCEL, ECHO with count 0, a reply already sent or dropped.
        case noReply
        /// The connection is closed without answering.
        case close(String)
    }

    /// A reply ready to sign and send.
    struct Reply {
        /// The NBSS header (filled in by ``send(_:requestSequence:)``) and the SMB message;
        /// empty when the reply was built in the connection's ``replyFrame``.
        var frame: [UInt8]
        /// The reply is in ``ServerConnection/replyFrame`` (a READ_ANDX reply).
        var inReplyFrame = false
        var command: SMBCommand
        var status: NTStatus
        /// This reply completes the session setup that started signing: it is signed with
        /// ``SigningState/activatingReplySequence``.
        var startsSigning = false
    }

    // MARK: The connection loop

    /// Serves the connection until it ends. Only ``RuntimeAbort`` escapes. Mirrors smbd's
    /// `smbd_process`: every event of the connection nests under this frame.
    func run() throws {
        server.log(.connectionOpened(connection: id, peer: peer))
        var reason = "peer closed"
        defer {
            transport.close()
            releaseEverything()
            server.log(.connectionClosed(connection: id, reason: server.closeReason(id) ?? reason))
        }
        do {
            reason = try runtime.traced("smbd_process", "connection \(id) from \(peer)") { call in
                let why = try loop()
                var changes = StateChanges(runtime)
                changes.set(self, \.state, .closed, path: "smbd.state")
                call.returning("connection closed: \(why)", diff: changes.diffs)
                return why
            }
        } catch let abort as RuntimeAbort {
            reason = "run aborted"
            throw abort
        }
    }

    /// Closes the files and forgets the searches and pending logins of a connection that
    /// ended, giving their share of the server-wide limits back, and frees its buffers.
    private func releaseEverything() {
        for fid in files.keys.sorted() { files[fid]?.file.close() }
        server.release(.openFile, count: files.count)
        server.release(.search, count: searches.count)
        server.release(.pendingLogin, count: pendingNTLMSSP.count)
        files.removeAll()
        searches.removeAll()
        pendingNTLMSSP.removeAll()
        replyFrame = []
        receiveBuffer = []
    }

    private func loop() throws -> String {
        while true {
            switch try receiveMessage() {
            case let .end(why):
                return why
            case let .message(message, request):
                if case let .close(why) = try handle(message, request: request) { return why }
            }
        }
    }

    /// What ``receiveMessage()`` got.
    private enum Received {
        /// A message, and the traceable buffer that recorded it (nil when not tracing).
        case message([UInt8], TraceBuffer?)
        /// The connection is over (peer closed, framing error, transport failure).
        case end(String)
    }

    /// The next whole SMB message, reading the transport as needed. Mirrors smbd's
    /// `receive_smb_talloc`.
    private func receiveMessage() throws -> Received {
        try runtime.traced("receive_smb_talloc", "next SMB message") { call in
            while true {
                let next: [UInt8]?
                do {
                    next = try decoder.next()
                } catch {
                    server.log(.malformedRequest(connection: id, reason: "\(error)", closing: true))
                    call.returning("framing error: \(error)")
                    return .end("framing error: \(error)")
                }
                if let message = next {
                    noteRequestArrived()
                    // Traceable, so that what the server computes from the request (the login's
                    // received response) can name the span it came from.
                    let request = call.isTracing
                        ? call.traceable("request", message, spans: SMBMessage.annotate(message).spans,
                                         .given("an SMB message read from the connection"))
                        : nil
                    try call.event(.receive, Self.describeRequest(message), buffers: request.map { [$0] } ?? [])
                    call.returning("\(message.count) bytes")
                    return .message(message, request)
                }
                let count: Int
                do {
                    count = try receiveBuffer.withUnsafeMutableBytes { try transport.receive(into: $0) }
                } catch let abort as RuntimeAbort {
                    throw abort
                } catch {
                    call.returning("receive failed: \(error)")
                    return .end("\(error)")
                }
                if count == 0 {
                    call.returning("peer closed")
                    return .end("peer closed")
                }
                receiveBuffer.withUnsafeBytes { decoder.feed(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                noteFrameProgress()
            }
        }
    }

    /// Tells the watchdog a whole request arrived (and whether the next one has begun).
    private func noteRequestArrived() {
        let now = server.clockNow()
        let inside = decoder.isInsideFrame
        reportedInsideFrame = inside
        server.updateActivity(id) {
            $0.lastRequestAt = now
            $0.frameStartedAt = inside ? now : nil
        }
    }

    /// Tells the watchdog when bytes of a frame start arriving, or when what arrived was a
    /// whole keep-alive: the frame timeout runs from a frame's first byte, not its latest.
    private func noteFrameProgress() {
        let inside = decoder.isInsideFrame
        guard inside != reportedInsideFrame else { return }
        reportedInsideFrame = inside
        let now = server.clockNow()
        server.updateActivity(id) { $0.frameStartedAt = inside ? now : nil }
    }

    /// `COMMAND mid N (B bytes)`, or just the size when there is no SMB1 header to read.
    static func describeRequest(_ message: [UInt8]) -> String {
        guard message.count >= 4, Array(message[0..<4]) == SMBHeader.protocolID,
              let header = try? SMBHeader.peek(message) else {
            return "\(message.count) bytes, not SMB1"
        }
        return "\(header.command.name) mid \(header.mid) (\(message.count) bytes)"
    }

    /// Handles one SMB message: verify, dispatch, sign, send. Mirrors smbd's `process_smb`.
    /// `request` is the buffer `receive_smb_talloc` recorded it in (nil when not tracing).
    /// Returns `.close` when the connection must end.
    func handle(_ message: [UInt8], request: TraceBuffer? = nil) throws -> Outcome {
        try runtime.traced("process_smb", mid: runtime.isTracing ? Self.mid(ofPacket: message[...]) : nil,
                           Self.describeRequest(message)) { call in
            let outcome = try process(message, request, &call)
            if case let .close(why) = outcome { call.returning("closing the connection: \(why)") }
            return outcome
        }
    }

    private func process(_ message: [UInt8], _ request: TraceBuffer?, _ call: inout TracedCall) throws -> Outcome {
        let (number, closeByFault) = server.countRequest()
        if closeByFault {
            server.log(.faultInjected(connection: id, fault: "close the connection at request \(number)"))
            return .close("fault: closed at request \(number)")
        }
        guard message.count >= 4, Array(message[0..<4]) == SMBHeader.protocolID else {
            let why = message.first == 0xFE ? "SMB2 is not served" : "not an SMB1 message"
            server.log(.malformedRequest(connection: id, reason: why, closing: true))
            return .close(why)
        }
        let header: SMBHeader
        do {
            header = try SMBHeader.peek(message)
        } catch {
            server.log(.malformedRequest(connection: id, reason: "\(error)", closing: true))
            return .close("malformed header")
        }
        guard !header.isResponse else {
            server.log(.malformedRequest(connection: id, reason: "a reply sent to the server", closing: true))
            return .close("reply received")
        }

        var requestSequence: UInt32?
        if signing.isActive {
            let (sequence, good) = try checkSignature(header, message)
            requestSequence = sequence
            guard good else {
                server.log(.badSignature(connection: id, command: header.command.name, sequence: sequence))
                return .close("bad signature on \(header.command.name) (seq \(sequence))")
            }
        }

        let outcome: Outcome
        do {
            outcome = try dispatch(header, message, request)
        } catch let abort as RuntimeAbort {
            throw abort
        } catch let error as RequestError {
            outcome = .reply(try errorReply(header, error.status))
        } catch let error as WireError {
            server.log(.malformedRequest(connection: id, reason: "\(header.command.name): \(error)", closing: false))
            outcome = .reply(try errorReply(header, .invalidParameter))
        } catch {
            server.log(.malformedRequest(connection: id, reason: "\(header.command.name): \(error)", closing: false))
            outcome = .reply(try errorReply(header, .internalError))
        }
        switch outcome {
        case .noReply:
            call.returning("\(header.command.name): no reply")
            return outcome
        case .close:
            return outcome
        case let .reply(reply):
            if reply.status.isError && reply.status != .moreProcessingRequired {
                server.log(.errorReply(connection: id, command: reply.command.name, status: reply.status))
            }
            call.returning("\(reply.command.name) answered \(reply.status.name)")
            return try send(reply, requestSequence: requestSequence)
        }
    }

    /// Takes the request's sequence number and checks its signature. Mirrors smbd's
    /// `srv_check_sign_mac`.
    private func checkSignature(_ header: SMBHeader, _ message: [UInt8]) throws -> (sequence: UInt32, good: Bool) {
        try runtime.traced("srv_check_sign_mac", "\(header.command.name) mid \(header.mid)") { call in
            var changes = StateChanges(runtime)
            let sequence = signing.takeRequestSequence(expectsReply: header.command != .ntCancel, &changes)
            let good = signing.verify(message, sequence: sequence)
            call.returning(
                "seq \(sequence): signature \(good ? "verified" : "BAD")",
                buffers: [
                    TraceBuffer(name: "signature (received)", bytes: Self.signatureField(message)),
                    TraceBuffer(name: "signature (expected)",
                                bytes: signing.expectedSignature(message, sequence: sequence) ?? []),
                ],
                diff: changes.diffs)
            return (sequence, good)
        }
    }

    /// The MID of an SMB1 message (from `0xFF 'SMB'`), or `nil` when it is too short to hold one:
    /// the server's frames for one request carry it, so `break srv_send_smb if mid == 4` works.
    static func mid(ofPacket packet: ArraySlice<UInt8>) -> UInt16? {
        guard packet.count >= SMBHeader.size else { return nil }
        let at = packet.startIndex + midOffset
        return UInt16(packet[at]) | UInt16(packet[at + 1]) << 8
    }

    /// Where the MID sits in an SMB1 header.
    static let midOffset = 30

    /// The 8 bytes of a packet's SecuritySignature field (fewer if the packet is cut short).
    static func signatureField(_ packet: [UInt8]) -> [UInt8] {
        Array(packet.dropFirst(SMB1Signing.signatureOffset).prefix(SMB1Signing.signatureLength))
    }

    /// Signs (when signing is active), applies reply faults, and sends. Mirrors smbd's
    /// `srv_send_smb`.
    private func send(_ reply: Reply, requestSequence: UInt32?) throws -> Outcome {
        // Only while tracing: off it, the reply frame is not touched before it is signed in place.
        let mid = runtime.isTracing
            ? Self.mid(ofPacket: (reply.inReplyFrame ? replyFrame : reply.frame).dropFirst(NBSSFrame.headerSize)) : nil
        return try runtime.traced("srv_send_smb", mid: mid, "\(reply.command.name) \(reply.status.name)") { call in
            // A reply built in the connection's frame is taken out of it (so it stays
            // uniquely referenced: signing writes in place) and put back once sent.
            var frame: [UInt8] = reply.inReplyFrame ? [] : reply.frame
            if reply.inReplyFrame { swap(&frame, &replyFrame) }
            defer { if reply.inReplyFrame { swap(&frame, &replyFrame) } }
            let packetCount = frame.count - NBSSFrame.headerSize
            let faults = server.countReply()
            var sequence: UInt32?
            if reply.startsSigning {
                sequence = SigningState.activatingReplySequence
            } else if signing.isActive, let requestSequence {
                sequence = requestSequence &+ 1
            }
            if let sequence, signing.isActive { try signReply(&frame, reply.command, sequence: sequence) }
            if faults.corrupt, packetCount > SMB1Signing.signatureOffset {
                frame[NBSSFrame.headerSize + SMB1Signing.signatureOffset] ^= 0x01
                server.log(.faultInjected(connection: id, fault: "corrupted the signature of reply \(faults.number)"))
                try call.note("fault: signature corrupted (reply \(faults.number))")
            }
            if let delay = faults.delay {
                server.log(.faultInjected(connection: id, fault: "delayed reply \(faults.number) by \(delay) ns"))
                try call.note("fault: reply \(faults.number) delayed by \(delay) ns")
                try runtime.sleep(nanoseconds: delay)
            }
            if faults.drop {
                server.log(.faultInjected(connection: id, fault: "dropped reply \(faults.number)"))
                call.returning("fault: reply \(faults.number) dropped")
                return .noReply
            }
            do {
                let header = try NBSSFrame.header(length: packetCount)
                for i in 0..<NBSSFrame.headerSize { frame[i] = header[i] }
            } catch {
                server.log(.malformedRequest(connection: id, reason: "reply too large: \(error)", closing: true))
                call.returning("reply too large: \(error)")
                return .close("reply too large")
            }
            try call.event(
                .send, "\(reply.command.name) \(reply.status.name) (\(packetCount) bytes)",
                buffers: {
                    let packet = Array(frame[NBSSFrame.headerSize...])
                    return [runtime.traceable("reply", packet, spans: SMBMessage.annotate(packet).spans,
                                              .given("the reply as smbd sends it"))]
                }())
            let started = server.clockNow()
            server.updateActivity(id) { $0.sendingSince = started }
            defer { server.updateActivity(id) { $0.sendingSince = nil } }
            do {
                try transport.send(frame)
            } catch let abort as RuntimeAbort {
                throw abort
            } catch {
                call.returning("send failed: \(error)")
                return .close("send failed: \(error)")
            }
            call.returning("sent \(packetCount) bytes after a \(NBSSFrame.headerSize)-byte NBSS header")
            return .noReply
        }
    }

    /// Writes the reply's signature for `sequence` into `frame` (NBSS header, then the
    /// packet). Mirrors smbd's `srv_calculate_sign_mac`.
    private func signReply(_ frame: inout [UInt8], _ command: SMBCommand, sequence: UInt32) throws {
        try runtime.traced("srv_calculate_sign_mac", "\(command.name) reply, seq \(sequence)") { call in
            signing.sign(frame: &frame, packetOffset: NBSSFrame.headerSize, sequence: sequence)
            call.returning("signed with seq \(sequence)",
                           buffers: [TraceBuffer(name: "signature",
                                                 bytes: Self.signatureField(Array(frame[NBSSFrame.headerSize...])))])
        }
    }

    /// Starts signing on this connection with the MAC key of the session just set up: its
    /// session key, followed for an old-style login by the response as the client sent it.
    /// Mirrors smbd's `srv_set_signing` (which hands both to `smb_signing_activate`).
    func startSigning(_ login: VerifiedLogin) throws {
        let macKey = login.macKey
        try runtime.traced("srv_set_signing", "MAC key of \(macKey.count) bytes") { call in
            var changes = StateChanges(runtime)
            signing.activate(macKey: macKey, &changes)
            let buffer = call.buffer("MAC key", macKey, {
                guard let response = login.signingResponse else {
                    return Derivation(.copy, [login.session.input("exported session key")])
                }
                return Derivation(.concat, [login.session.input("session key"), response.input("response as sent")])
            }())
            call.returning("signing active; the next request must carry seq \(signing.sequenceNumber)",
                           buffers: buffer.map { [$0] } ?? [], diff: changes.diffs)
        }
    }

    /// Derives ``state`` from what the connection holds now (after NEGOTIATE).
    func settleState(_ changes: inout StateChanges) {
        guard negotiated else { return }
        let settled: ServerConnectionState
        if !sessions.isEmpty {
            settled = .loggedOn
        } else if !pendingNTLMSSP.isEmpty {
            settled = .authenticating
        } else {
            settled = .negotiated
        }
        changes.set(self, \.state, settled, path: "smbd.state")
    }

    // MARK: Dispatch

    private func dispatch(_ header: SMBHeader, _ message: [UInt8], _ request: TraceBuffer?) throws -> Outcome {
        switch header.command {
        case .negotiate: return try negotiate(header, message)
        case .sessionSetupAndX: return try sessionSetup(header, message, request: request)
        case .echo: return try echo(header, message)
        case .ntCancel: return .noReply
        default: break
        }
        // Everything else needs a negotiated connection and a session.
        guard negotiated else { throw RequestError(.invalidSMB, "no NEGOTIATE yet") }
        switch header.command {
        case .logoffAndX: return try logoff(header, message)
        case .treeConnectAndX: return try treeConnect(header, message)
        case .treeDisconnect: return try treeDisconnect(header, message)
        case .ntCreateAndX: return try ntCreate(header, message)
        case .openAndX: return try openAndX(header, message)
        case .close: return try close(header, message)
        case .transaction2: return try trans2(header, message)
        case .readAndX: return try readAndX(header, message)
        case .findClose2: return try findClose(header, message)
        case .write, .writeAndX, .writeAndClose, .writeAndUnlock, .create, .createNew, .createTemporary,
             .createDirectory, .deleteDirectory, .delete, .rename, .ntRename, .setInformation, .setInformation2:
            // Shares are read-only; smbd answers the same on a read-only share.
            _ = try requireSession(header)
            _ = try requireTree(header)
            throw RequestError(.accessDenied, "read-only share")
        default:
            let known = !header.command.name.hasPrefix("0x")
            throw RequestError(known ? .notSupported : .smbBadCommand)
        }
    }

    // MARK: Helpers for handlers

    /// Locates the first block of a request and decodes it as `Body`. A chained (AndX)
    /// command after it is refused: no client this server serves chains requests.
    func decode<Body: SMBMessageBody>(_ type: Body.Type, _ header: SMBHeader, _ message: [UInt8]) throws -> Body {
        let block = try SMBBlock.locate(in: message, at: SMBHeader.size, command: header.command, isResponse: false)
        if let andX = block.andX, andX.command != .noAndXCommand {
            throw RequestError(.notSupported, "chained \(andX.command.name)")
        }
        return try Body.decode(block, in: message, context: SMBDecodeContext(header: header, recordsSpans: false)).value
    }

    /// The reply header for `request`: its command, TID, PID, UID and MID echoed.
    func replyHeader(_ request: SMBHeader, status: NTStatus, uid: UInt16? = nil, tid: UInt16? = nil,
                     signed: Bool = false) -> SMBHeader {
        var flags2: SMBFlags2 = [.longNames, .eas, .ntStatus]
        if request.isUnicode { flags2.insert(.unicode) }
        if extendedSecurity { flags2.insert(.extendedSecurity) }
        if signed || signing.isActive { flags2.insert(.securitySignature) }
        return SMBHeader(command: request.command, status: status, flags: [.reply, .caseInsensitive], flags2: flags2,
                         pidHigh: request.pidHigh, tid: tid ?? request.tid, pidLow: request.pidLow,
                         uid: uid ?? request.uid, mid: request.mid)
    }

    func reply(_ request: SMBHeader, _ body: some SMBEncodableBlock, status: NTStatus = .success,
               uid: UInt16? = nil, tid: UInt16? = nil, startsSigning: Bool = false) throws -> Outcome {
        let header = replyHeader(request, status: status, uid: uid, tid: tid, signed: startsSigning)
        var encoder = try SMBPacketEncoder(header: header)
        try encoder.append(body)
        return .reply(Reply(frame: Self.frame(encoder.bytes), command: request.command, status: status,
                            startsSigning: startsSigning))
    }

    /// Room for the NBSS header, then `packet`.
    static func frame(_ packet: [UInt8]) -> [UInt8] {
        var frame = [UInt8](repeating: 0, count: NBSSFrame.headerSize)
        frame.reserveCapacity(NBSSFrame.headerSize + packet.count)
        frame.append(contentsOf: packet)
        return frame
    }

    /// An error reply: WordCount 0, ByteCount 0 (MS-CIFS 2.2.3.x error responses).
    func errorReply(_ request: SMBHeader, _ status: NTStatus, uid: UInt16? = nil) throws -> Reply {
        let header = replyHeader(request, status: status, uid: uid)
        var encoder = try SMBPacketEncoder(header: header)
        try encoder.append(SMBErrorResponse(command: request.command))
        return Reply(frame: Self.frame(encoder.bytes), command: request.command, status: status)
    }

    func requireSession(_ header: SMBHeader) throws -> ServerSession {
        guard let session = sessions[header.uid] else { throw RequestError(.smbBadUID, "UID \(header.uid)") }
        return session
    }

    func requireTree(_ header: SMBHeader) throws -> ServerTree {
        guard let tree = trees[header.tid] else { throw RequestError(.smbBadTID, "TID \(header.tid)") }
        return tree
    }

    /// The open file `fid` names for this tree and user; STATUS_INVALID_HANDLE if there is
    /// none, it was invalidated, or another tree or another UID opened it (a FID is the
    /// opener's alone, as in smbd; a TID serves every UID of the connection). An invalidated
    /// handle is forgotten here, a change noted in `call` (the caller's frame).
    func requireFile(_ fid: UInt16, _ header: SMBHeader, _ call: TracedCall) throws -> ServerOpenFile {
        guard let open = files[fid], open.tid == header.tid else {
            throw RequestError(.invalidHandle, "FID \(fid)")
        }
        guard open.uid == header.uid else {
            throw RequestError(.invalidHandle, "FID \(fid) belongs to UID \(open.uid), not \(header.uid)")
        }
        if open.invalidated || open.generation != server.currentHandleGeneration {
            // Forget it now: from here on the FID is simply unknown.
            var changes = StateChanges(runtime)
            removeFile(fid, &changes)
            try call.note("FID 0x\(String(fid, radix: 16)) was invalidated: forgotten", diff: changes.diffs)
            throw RequestError(.invalidHandle, "FID \(fid) was invalidated")
        }
        return open
    }

    // MARK: Changes to the connection's tables (each recorded as a diff)

    func addSession(_ session: ServerSession, _ changes: inout StateChanges) {
        if sessions.isEmpty { server.updateActivity(id) { $0.unauthenticatedSince = nil } }
        sessions[session.uid] = session
        changes.created(sessions[session.uid], path: "smbd.sessions[\(session.uid)]")
    }

    func removeSession(_ uid: UInt16, _ changes: inout StateChanges) {
        guard sessions[uid] != nil else { return }
        changes.removed(sessions[uid], path: "smbd.sessions[\(uid)]")
        sessions.removeValue(forKey: uid)
        if sessions.isEmpty {
            // The login timeout runs again from now.
            let now = server.clockNow()
            server.updateActivity(id) { $0.unauthenticatedSince = now }
        }
    }

    /// Keeps a login between its legs. A new UID must have been given a slot by
    /// ``reservePendingLogin()``; a login restarted on its UID keeps the slot it had.
    func addPendingNTLMSSP(_ acceptor: NTLMSSPAcceptor, uid: UInt16, _ changes: inout StateChanges) {
        if pendingNTLMSSP[uid] != nil {
            changes.removed(pendingNTLMSSP[uid], path: "smbd.pendingNTLMSSP[\(uid)]")
        }
        pendingNTLMSSP[uid] = acceptor
        changes.created(pendingNTLMSSP[uid], path: "smbd.pendingNTLMSSP[\(uid)]")
    }

    func removePendingNTLMSSP(_ uid: UInt16, _ changes: inout StateChanges) {
        guard pendingNTLMSSP[uid] != nil else { return }
        changes.removed(pendingNTLMSSP[uid], path: "smbd.pendingNTLMSSP[\(uid)]")
        pendingNTLMSSP.removeValue(forKey: uid)
        server.release(.pendingLogin)
    }

    // MARK: Limits (SMBServerLimits)

    /// Takes a slot for one more half-finished login, on this connection and on the server.
    func reservePendingLogin() throws {
        guard pendingNTLMSSP.count < limits.maxPendingLoginsPerConnection else {
            throw RequestError(.insufficientResources,
                               "\(pendingNTLMSSP.count) logins already pending on this connection")
        }
        guard server.reserve(.pendingLogin) else {
            throw RequestError(.insufficientResources, "pending logins of the server exhausted")
        }
    }

    /// Takes a slot for one more open file, on this connection and on the server.
    func reserveOpenFile() throws {
        guard files.count < limits.maxOpenFilesPerConnection else {
            throw RequestError(.tooManyOpenedFiles, "\(files.count) files already open on this connection")
        }
        guard server.reserve(.openFile) else {
            throw RequestError(.tooManyOpenedFiles, "open files of the server exhausted")
        }
    }

    /// Takes a slot for one more open search, on this connection and on the server.
    func reserveSearch() throws {
        guard searches.count < limits.maxSearchesPerConnection else {
            throw RequestError(.insufficientResources, "\(searches.count) searches already open on this connection")
        }
        guard server.reserve(.search) else {
            throw RequestError(.insufficientResources, "searches of the server exhausted")
        }
    }

    func addTree(_ tree: ServerTree, _ changes: inout StateChanges) {
        trees[tree.tid] = tree
        changes.created(trees[tree.tid], path: "smbd.trees[\(tree.tid)]")
    }

    /// Forgets a tree with its searches and open files.
    func removeTree(_ tid: UInt16, _ changes: inout StateChanges) {
        guard trees[tid] != nil else { return }
        changes.removed(trees[tid], path: "smbd.trees[\(tid)]")
        trees.removeValue(forKey: tid)
        for sid in searches.keys.sorted() where searches[sid]?.tid == tid { removeSearch(sid, &changes) }
        for fid in files.keys.sorted() where files[fid]?.tid == tid { removeFile(fid, &changes) }
    }

    func addFile(_ open: ServerOpenFile, _ changes: inout StateChanges) {
        files[open.fid] = open
        changes.created(files[open.fid], path: "smbd.files[\(open.fid)]")
    }

    /// Forgets an open file and closes what backs it.
    func removeFile(_ fid: UInt16, _ changes: inout StateChanges) {
        guard let open = files[fid] else { return }
        changes.removed(open, path: "smbd.files[\(fid)]")
        files.removeValue(forKey: fid)
        open.file.close()
        server.release(.openFile)
    }

    /// Stores a search; a new one must have been given a slot by ``reserveSearch()``.
    func storeSearch(_ search: ServerSearch, _ changes: inout StateChanges) {
        let isNew = searches[search.sid] == nil
        searches[search.sid] = search
        if isNew { changes.created(searches[search.sid], path: "smbd.searches[\(search.sid)]") }
    }

    func removeSearch(_ sid: UInt16, _ changes: inout StateChanges) {
        guard searches[sid] != nil else { return }
        changes.removed(searches[sid], path: "smbd.searches[\(sid)]")
        searches.removeValue(forKey: sid)
        server.release(.search)
    }
}
