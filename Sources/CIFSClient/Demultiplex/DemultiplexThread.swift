import KernelRuntime
import SMBWire

extension ServerInfo {
    /// Starts the cifsd thread for this connection. Mirrors the `kthread_run` in the kernel's
    /// `cifs_get_tcp_session`.
    func startDemultiplexThread() {
        let thread = runtime.spawn(name: "cifsd") { [self] in
            try demultiplexThread()
        }
        runtime.withLock { cifsd = thread }
    }

    /// The cifsd loop: reads each reply frame, finds its mid, lets the mid's `receive` consume
    /// the frame and runs its `callback`. A lost or out-of-sync connection is reconnected; the
    /// loop ends when the mount sets ``TCPStatus/exiting``. Mirrors the kernel's
    /// `cifs_demultiplex_thread`.
    func demultiplexThread() throws {
        try runtime.traced("cifs_demultiplex_thread", "cifsd reading replies from \(hostname)") { call in
            var reader: SocketReader?
            while runtime.withLock({ tcpStatus }) != .exiting {
                guard let transport = runtime.withLock({ self.transport }) else { break }
                // Bytes read ahead belong to one socket: a reconnect starts a new reader.
                let current = reader.flatMap { $0.transport === transport ? $0 : nil }
                    ?? SocketReader(transport: transport)
                reader = current
                do {
                    try receiveOneFrame(from: current, call: call)
                } catch is RuntimeAbort {
                    throw RuntimeAbort()
                } catch {
                    if runtime.withLock({ tcpStatus }) == .exiting { break }
                    try reconnect(reason: String(describing: error))
                }
            }
            try cleanDemultiplexInfo()
            call.returning("cifsd exits")
        }
    }

    /// One trip round the loop: the 4-byte NBSS header, the SMB header down to the MID, then
    /// the mid's `receive` and `callback`. Events go to `call`, cifsd's frame.
    func receiveOneFrame(from reader: SocketReader, call: TracedCall) throws {
        let nbss = try reader.read(NBSSFrame.headerSize)
        let (type, length) = NBSSFrame.parseHeader(nbss[0], nbss[1], nbss[2], nbss[3])
        try call.event(
            .receive, "RFC1002 header: \(NBSSFrame.typeName(type)), length \(length)",
            buffers: [TraceBuffer(name: "NBSS header", bytes: nbss, spans: SMBTrace.nbssSpans(nbss))])
        guard try isSMBResponse(type: type, length: length, reader: reader, call: call) else { return }
        // Make sure there is enough to reach the MID.
        guard length >= SMBHeader.size else {
            try countMalformed("SMB response too short (\(length) bytes)", call: call)
            throw CIFSError.malformedFrame("SMB response too short (\(length) bytes)")
        }
        let header = try reader.read(SMBHeader.size)
        let frame = ReceivedFrame(reader: reader, length: length, header: header)
        let mid = try findMid(header)
        if let mid, let receive = mid.receive {
            try receive(self, mid, frame)
        } else {
            try standardReceive(mid: mid, frame: frame)
        }
        if frame.remaining > 0 { try frame.discardRemaining() }
        if let mid {
            try mid.callback(mid)
        } else {
            var changes = StateChanges(tracing: call.isTracing)
            runtime.withLock { changes.set(self, \.unknownFrames, unknownFrames + 1, path: "server.unknownFrames") }
            try call.note(
                "No task to wake, unknown frame received! (mid \(SMBHeaderBits.mid(header)), "
                    + "\(SMBCommand(header[4]).name)); dropped",
                diff: changes.diffs)
        }
    }

    /// Whether an NBSS frame carries an SMB message; keep-alives are skipped, any other type
    /// puts the stream out of sync. Mirrors the kernel's `is_smb_response` (its messages go to
    /// `call`, cifsd's frame: the check is too small to be a step of its own).
    func isSMBResponse(type: UInt8, length: Int, reader: SocketReader, call: TracedCall) throws -> Bool {
        switch type {
        case NBSSFrame.sessionMessage:
            return true
        case NBSSFrame.keepAlive:
            _ = try reader.read(length)
            try call.note("RFC 1002 session keep alive")
            return false
        default:
            let reason = "RFC 1002 unknown response type 0x\(String(type, radix: 16)) (\(NBSSFrame.typeName(type)))"
            try countMalformed(reason, call: call)
            throw CIFSError.malformedFrame(reason)
        }
    }

    /// The pending mid a reply header answers: same MID, same command, still submitted.
    /// Mirrors the kernel's `cifs_find_mid` (reached through `server->ops->find_mid`; the 2013
    /// posts call it `find_mid`).
    func findMid(_ header: [UInt8]) throws -> Mid? {
        let number = SMBHeaderBits.mid(header)
        let command = SMBCommand(header[4])
        return try runtime.traced("find_mid", mid: number, "mid \(number) \(command.name) reply") { call in
            let (found, pending) = runtime.withLock { () -> (Mid?, Int) in
                let found = pendingMids.first { $0.mid == number && $0.state == .submitted && $0.command == command }
                return (found, pendingMids.count)
            }
            call.returning(
                found.map { "\($0) on pending_mid_q" }
                    ?? "no submitted mid \(number) for \(command.name) among \(pending) pending")
            return found
        }
    }

    /// Reads the rest of the frame into one buffer, checks it with ``checkSMB(_:)`` and hands it
    /// to the mid. Mirrors the kernel's `standard_receive3` and `handle_mid`.
    func standardReceive(mid: Mid?, frame: ReceivedFrame) throws {
        try runtime.traced("standard_receive3", mid: SMBHeaderBits.mid(frame.header),
            "\(frame.length)-byte frame" + (mid.map { " for mid \($0.mid)" } ?? ", no pending mid")
        ) { call in
            let limit = runtime.withLock { maxFrameLength }
            guard frame.length <= limit else {
                let reason = "SMB response too long (\(frame.length) bytes, at most \(limit))"
                try countMalformed(reason, call: call)
                throw CIFSError.malformedFrame(reason)
            }
            let message = frame.header + (try frame.read(frame.remaining))
            let hint = mid?.trans2Request
            if call.isTracing {
                let received = SMBTrace.buffer("reply", message, trans2Request: hint, traceableOn: runtime)
                if let mid { runtime.withLock { mid.replyTrace = received } }
                try call.event(
                    .receive, "\(SMBTrace.summary(message, trans2Request: hint)), \(message.count) bytes",
                    buffers: [received])
            }
            let problem = Self.checkSMB(message)
            if let problem { try countMalformed("Bad SMB: " + problem, call: call) }
            if let mid { try dequeueMid(mid, response: message, malformed: problem) }
            call.returning(problem.map { "checkSMB: \($0)" } ?? "checkSMB passed")
        }
    }

    /// Stores the reply in the mid and takes it off ``pendingMids``; the mid itself lives on
    /// until `DeleteMidQEntry`. Mirrors the kernel's `dequeue_mid`.
    func dequeueMid(_ mid: Mid, response: [UInt8], malformed: String?) throws {
        let newState: MidState = malformed == nil ? .responseReceived : .responseMalformed
        try runtime.traced("dequeue_mid", mid: mid.mid, "mid \(mid.mid) \(mid.command.name)") { call in
            var changes = StateChanges(tracing: call.isTracing)
            runtime.withLock {
                mid.response = response
                mid.malformedReason = malformed
                changes.set(mid, \.state, newState, path: "mid[\(mid.mid)].state")
                changes.set(self, \.pendingMidQueue, MidQueue(pendingMids.filter { $0 !== mid }), path: "server.pendingMids")
            }
            call.returning("mid \(mid.mid) \(newState), off pending_mid_q", diff: changes.diffs)
        }
    }

    /// Counts a frame refused as malformed, as a note of `call` (the frame that refused it).
    func countMalformed(_ reason: String, call: TracedCall) throws {
        var changes = StateChanges(tracing: call.isTracing)
        runtime.withLock { changes.set(self, \.malformedFrames, malformedFrames + 1, path: "server.malformedFrames") }
        try call.note(reason, diff: changes.diffs)
    }

    /// The kernel's sanity check of a reply before it is handed to the waiter: big enough to
    /// reach ByteCount, the `\xFFSMB` magic, a reply (or an oplock break), and a length that
    /// matches WordCount and ByteCount (allowing ByteCount to wrap for reads over 64 KiB and
    /// up to 512 trailing bytes). Returns why it fails, or nil. Mirrors the kernel's `checkSMB`.
    static func checkSMB(_ message: [UInt8]) -> String? {
        let length = message.count
        let headerWithWordCount = SMBHeader.size + 1
        // Too small to even get to a ByteCount?
        if length < headerWithWordCount + 2 {
            if length >= SMBHeader.size, SMBHeaderBits.status(message) != 0 {
                return nil  // an error reply may carry neither WordCount nor ByteCount
            }
            if length == headerWithWordCount + 1, message[SMBHeader.size] == 0, message[headerWithWordCount] == 0 {
                return nil  // some servers send half a ByteCount on empty replies
            }
            return "length \(length) less than an SMB header with its counts"
        }
        guard Array(message[0..<4]) == SMBHeader.protocolID else {
            return "bad protocol string signature header \(Hex.encode(Array(message[0..<4])))"
        }
        if !SMBHeaderBits.isReply(message) {
            let isOplockBreak = SMBCommand(message[4]) == .lockingAndX
            if !isOplockBreak { return "server sent request, not response" }
        }
        let wordCount = Int(message[SMBHeader.size])
        let byteCountAt = headerWithWordCount + 2 * wordCount
        guard byteCountAt + 2 <= length else {
            return "WordCount \(wordCount) runs past the end of a \(length)-byte frame"
        }
        let byteCount = Int(message[byteCountAt]) | Int(message[byteCountAt + 1]) << 8
        let calculated = byteCountAt + 2 + byteCount
        if length != calculated {
            // ByteCount wraps for READ_ANDX replies over 64 KiB.
            if length > 64 * 1024, length > calculated, length & 0xFFFF == calculated & 0xFFFF { return nil }
            if length < calculated {
                return "frame of \(length) bytes smaller than the \(calculated) its counts describe"
            }
            if length > calculated + 512 {
                return "frame of \(length) bytes more than 512 bytes larger than the \(calculated) its counts describe"
            }
        }
        return nil
    }

    /// Fails every mid still pending with `shutdown` and wakes everyone: cifsd is leaving.
    /// Mirrors the kernel's `clean_demultiplex_info`.
    func cleanDemultiplexInfo() throws {
        try runtime.traced("clean_demultiplex_info", "cifsd is leaving: fail what is still pending") { call in
            var changes = StateChanges(tracing: call.isTracing)
            let (orphans, socket) = runtime.withLock { () -> ([Mid], (any Transport)?) in
                changes.set(self, \.tcpStatus, .exiting, path: "server.tcpStatus")
                let mids = pendingMids
                changes.set(self, \.pendingMidQueue, MidQueue([]), path: "server.pendingMids")
                for mid in mids { changes.set(mid, \.state, .shutdown, path: "mid[\(mid.mid)].state") }
                let socket = transport
                transport = nil
                runtime.wakeAll(responseQueue)
                runtime.wakeAll(requestQueue)
                return (mids, socket)
            }
            socket?.close()
            try call.note(
                orphans.isEmpty ? "socket closed; no mid pending"
                    : "socket closed; \(orphans.count) pending mids shut down, running their callbacks",
                diff: changes.diffs)
            for mid in orphans { try mid.callback(mid) }
            call.returning(orphans.isEmpty ? "" : "\(orphans.count) callbacks run")
        }
    }
}
