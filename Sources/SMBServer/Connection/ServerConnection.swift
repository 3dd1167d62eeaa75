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
    var negotiated = false
    var extendedSecurity = false
    /// The 8-byte challenge of a non-extended NEGOTIATE.
    var challenge: [UInt8]?
    /// What the client said in SESSION_SETUP_ANDX.
    var clientCapabilities: SMBCapabilities = []

    var signing = SigningState()
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
        /// Nothing is sent (NT_CANCEL, ECHO with count 0).
        case noReply
        /// The connection is closed without answering.
        case close(String)
    }

    /// A reply ready to sign and send.
    struct Reply {
        var packet: [UInt8]
        var command: SMBCommand
        var status: NTStatus
        /// This reply completes the session setup that starts signing with this MAC key.
        var startsSigning: [UInt8]?
    }

    // MARK: The connection loop

    /// Serves the connection until it ends. Only ``RuntimeAbort`` escapes.
    func run() throws {
        server.log(.connectionOpened(connection: id, peer: peer))
        var reason = "peer closed"
        defer {
            transport.close()
            for file in files.values { file.file.close() }
            files.removeAll()
            server.log(.connectionClosed(connection: id, reason: reason))
        }
        do {
            reason = try loop()
        } catch let abort as RuntimeAbort {
            reason = "run aborted"
            throw abort
        }
    }

    private func loop() throws -> String {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            while true {
                let message: [UInt8]?
                do {
                    message = try decoder.next()
                } catch {
                    server.log(.malformedRequest(connection: id, reason: "\(error)", closing: true))
                    return "framing error: \(error)"
                }
                guard let message else { break }
                if case let .close(why) = try handle(message) { return why }
            }
            let count: Int
            do {
                count = try buffer.withUnsafeMutableBytes { try transport.receive(into: $0) }
            } catch let abort as RuntimeAbort {
                throw abort
            } catch {
                return "\(error)"
            }
            if count == 0 { return "peer closed" }
            buffer.withUnsafeBytes { decoder.feed(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
    }

    /// Handles one SMB message: verify, dispatch, sign, send. Mirrors smbd's `process_smb`.
    /// Returns `.close` when the connection must end.
    func handle(_ message: [UInt8]) throws -> Outcome {
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
        try runtime.tracepoint(
            "receive_smb_talloc", .receive, "\(header.command.name) mid \(header.mid) (\(message.count) bytes)",
            buffers: [TraceBuffer(name: "request", bytes: message, spans: SMBMessage.annotate(message).spans)])

        var requestSequence: UInt32?
        if signing.isActive {
            let sequence = signing.takeRequestSequence(expectsReply: header.command != .ntCancel)
            requestSequence = sequence
            let good = signing.verify(message, sequence: sequence)
            try runtime.tracepoint("srv_check_sign_mac", .note,
                                   "request seq \(sequence): signature \(good ? "verified" : "BAD")")
            guard good else {
                server.log(.badSignature(connection: id, command: header.command.name, sequence: sequence))
                return .close("bad signature on \(header.command.name) (seq \(sequence))")
            }
        }

        let outcome: Outcome
        do {
            outcome = try dispatch(header, message)
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
        case .noReply, .close:
            return outcome
        case let .reply(reply):
            if reply.status.isError && reply.status != .moreProcessingRequired {
                server.log(.errorReply(connection: id, command: reply.command.name, status: reply.status))
            }
            return try send(reply, requestSequence: requestSequence)
        }
    }

    /// Signs (when signing is active or starts now), applies reply faults, and sends.
    private func send(_ reply: Reply, requestSequence: UInt32?) throws -> Outcome {
        var packet = reply.packet
        let faults = server.countReply()
        var sequence: UInt32?
        if let macKey = reply.startsSigning {
            sequence = signing.activate(macKey: macKey)
        } else if signing.isActive, let requestSequence {
            sequence = requestSequence &+ 1
        }
        if let sequence {
            signing.sign(&packet, sequence: sequence)
            try runtime.tracepoint("srv_calculate_sign_mac", .note, "reply signed with seq \(sequence)")
        }
        if faults.corrupt, packet.count > SMB1Signing.signatureOffset {
            packet[SMB1Signing.signatureOffset] ^= 0x01
            server.log(.faultInjected(connection: id, fault: "corrupted the signature of reply \(faults.number)"))
        }
        if let delay = faults.delay {
            server.log(.faultInjected(connection: id, fault: "delayed reply \(faults.number) by \(delay) ns"))
            try runtime.sleep(nanoseconds: delay)
        }
        if faults.drop {
            server.log(.faultInjected(connection: id, fault: "dropped reply \(faults.number)"))
            return .noReply
        }
        let frame: [UInt8]
        do {
            frame = try NBSSFrame.encode(packet)
        } catch {
            server.log(.malformedRequest(connection: id, reason: "reply too large: \(error)", closing: true))
            return .close("reply too large")
        }
        try runtime.tracepoint(
            "srv_send_smb", .send, "\(reply.command.name) \(reply.status.name) (\(packet.count) bytes)",
            buffers: [TraceBuffer(name: "reply", bytes: packet, spans: SMBMessage.annotate(packet).spans)])
        do {
            try transport.send(frame)
        } catch let abort as RuntimeAbort {
            throw abort
        } catch {
            return .close("send failed: \(error)")
        }
        return .noReply
    }

    // MARK: Dispatch

    private func dispatch(_ header: SMBHeader, _ message: [UInt8]) throws -> Outcome {
        switch header.command {
        case .negotiate: return try negotiate(header, message)
        case .sessionSetupAndX: return try sessionSetup(header, message)
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
               uid: UInt16? = nil, tid: UInt16? = nil, startsSigning: [UInt8]? = nil) throws -> Outcome {
        let header = replyHeader(request, status: status, uid: uid, tid: tid, signed: startsSigning != nil)
        var encoder = try SMBPacketEncoder(header: header)
        try encoder.append(body)
        return .reply(Reply(packet: encoder.bytes, command: request.command, status: status, startsSigning: startsSigning))
    }

    /// An error reply: WordCount 0, ByteCount 0 (MS-CIFS 2.2.3.x error responses).
    func errorReply(_ request: SMBHeader, _ status: NTStatus, uid: UInt16? = nil) throws -> Reply {
        let header = replyHeader(request, status: status, uid: uid)
        var encoder = try SMBPacketEncoder(header: header)
        try encoder.append(SMBErrorResponse(command: request.command))
        return Reply(packet: encoder.bytes, command: request.command, status: status, startsSigning: nil)
    }

    func requireSession(_ header: SMBHeader) throws -> ServerSession {
        guard let session = sessions[header.uid] else { throw RequestError(.smbBadUID, "UID \(header.uid)") }
        return session
    }

    func requireTree(_ header: SMBHeader) throws -> ServerTree {
        guard let tree = trees[header.tid] else { throw RequestError(.smbBadTID, "TID \(header.tid)") }
        return tree
    }

    /// The open file `fid` names on this tree; STATUS_INVALID_HANDLE if there is none, it was
    /// invalidated, or it belongs to another tree.
    func requireFile(_ fid: UInt16, _ header: SMBHeader) throws -> ServerOpenFile {
        guard let open = files[fid], open.tid == header.tid else {
            throw RequestError(.invalidHandle, "FID \(fid)")
        }
        if open.invalidated || open.generation != server.currentHandleGeneration {
            // Forget it now: from here on the FID is simply unknown.
            files.removeValue(forKey: fid)
            open.file.close()
            throw RequestError(.invalidHandle, "FID \(fid) was invalidated")
        }
        return open
    }
}
