import KernelRuntime
import SMBWire

/// A reply returned by `Session.sendReceive`.
struct ReplyBuffer: Sendable {
    /// The reply message, from `0xFF 'SMB'`.
    let bytes: [UInt8]
    /// Its decoded header.
    let header: SMBHeader
    /// The mid that carried the exchange.
    let mid: UInt16
    /// The reply's traced buffer as cifsd recorded it (only while tracing).
    var trace: TraceBuffer?
}

extension ServerInfo {
    /// Hands out the next MID not in flight, skipping 0xFFFF (used by oplock breaks). Mirrors
    /// the kernel's `cifs_get_next_mid`, which skips the MIDs on `pending_mid_q`; here every mid
    /// not yet freed is skipped (``allocatedMids``, which holds the pending ones), so that
    /// `mid[N]` names one mid in the state view even after the MIDs wrap.
    func getNextMid() -> UInt16 {
        runtime.withLock {
            var candidate = currentMid
            for _ in 0..<0x10000 {
                candidate = candidate &+ 1
                if candidate == 0xFFFF { continue }
                if !allocatedMids.contains(where: { $0.mid == candidate }) { break }
            }
            currentMid = candidate
            return candidate
        }
    }

    /// Blocks until a credit is free, then takes it. Mirrors the kernel's `wait_for_free_request`.
    func waitForFreeRequest() throws {
        try runtime.traced("wait_for_free_request", "a request needs a credit") { call in
            let (mustWait, limit) = runtime.withLock { (credits <= 0 && tcpStatus != .exiting, maxReq) }
            if mustWait {
                try call.event(.block, "all \(limit) credits in flight (MaxMpxCount); sleeping until one comes back")
            }
            var changes = StateChanges(tracing: call.isTracing)
            let (left, inFlightNow) = try runtime.withLock { () -> (Int, Int) in
                try waitForServer(on: requestQueue, awaiting: "a credit (all \(maxReq) requests in flight)") {
                    credits > 0 || tcpStatus == .exiting
                }
                if tcpStatus == .exiting { throw CIFSError.shuttingDown }
                changes.set(self, \.credits, credits - 1, path: "server.credits")
                changes.set(self, \.inFlight, inFlight + 1, path: "server.inFlight")
                maxInFlight = max(maxInFlight, inFlight)
                return (credits, inFlight)
            }
            call.returning("credit taken: \(left) left, \(inFlightNow) in flight", diff: changes.diffs)
        }
    }

    /// Returns `count` credits and wakes the senders waiting for one. Mirrors the kernel's
    /// `add_credits`.
    func addCredits(_ count: Int = 1) throws {
        try runtime.traced("add_credits", "\(count) credit\(count == 1 ? "" : "s") back") { call in
            var changes = StateChanges(tracing: call.isTracing)
            let available = runtime.withLock { () -> Int in
                changes.set(self, \.credits, credits + count, path: "server.credits")
                changes.set(self, \.inFlight, max(0, inFlight - count), path: "server.inFlight")
                runtime.wakeAll(requestQueue)
                return credits
            }
            call.returning("\(available) credits available; senders in wait_for_free_request woken", diff: changes.diffs)
        }
    }

    /// Frames `packet` with the 4-byte NBSS header and writes it to the socket. Call with
    /// ``srvMutex`` held. Mirrors the kernel's `smb_send`.
    /// - Parameter derivation: while tracing, how the packet was put together (signing says).
    func smbSend(_ packet: [UInt8], function: String, derivation: Derivation? = nil) throws {
        assert(runtime.withLock { srvMutex.holder == runtime.currentThreadID }, "smb_send without srv_mutex")
        try runtime.traced("smb_send", mid: SMBHeaderBits.mid(packet),
                           "\(function): \(packet.count) bytes and the 4-byte NBSS header") { call in
            guard let transport = runtime.withLock({ self.transport }) else {
                throw CIFSError.again("no socket (reconnecting)")
            }
            let framed = try NBSSFrame.encode(packet)
            if call.isTracing {
                try call.event(.send, SMBTrace.summary(packet), buffers: [SMBTrace.buffer(
                    "request", packet, traceableOn: runtime,
                    derivation: derivation ?? .given("the request as \(function) built it"))])
            }
            do {
                try transport.send(framed)
            } catch let error as TransportError {
                // A socket that failed mid-send is out of sync: have cifsd reconnect it.
                var changes = StateChanges(tracing: call.isTracing)
                runtime.withLock {
                    if tcpStatus == .good || tcpStatus == .needNegotiate {
                        changes.set(self, \.tcpStatus, .needReconnect, path: "server.tcpStatus")
                    }
                }
                transport.close()
                try call.note("send failed: \(error); socket closed for cifsd to reconnect", diff: changes.diffs)
                throw CIFSError.again("send failed: \(error)")
            }
            runtime.withLock { requestsSent += 1 }
            call.returning("\(framed.count) bytes sent")
        }
    }
}

extension ServerInfo {
    /// Frees `mid` once its reply (or its failure) has been handed over: it leaves
    /// ``allocatedMids``, so `mid[N]` disappears from the state view. Every allocated mid is
    /// freed here exactly once — by `SendReceive` for a synchronous request, by the mid's
    /// callback (`cifs_readv_callback`) for an asynchronous one, by the sender when the request
    /// could not be sent. A mid still on ``pendingMids`` (a send that failed) is unlinked first,
    /// as the kernel's `cifs_delete_mid` does before it calls `DeleteMidQEntry`. Mirrors the
    /// kernel's `DeleteMidQEntry`.
    func deleteMidQEntry(_ mid: Mid) throws {
        try runtime.traced("DeleteMidQEntry", mid: mid.mid, "mid \(mid.mid) \(mid.command.name)") { call in
            var changes = StateChanges(tracing: call.isTracing)
            let (freed, unlinked, state) = runtime.withLock { () -> (Bool, Bool, MidState) in
                let unlinked = pendingMids.contains { $0 === mid }
                if unlinked { changes.set(self, \.pendingMidQueue, MidQueue(pendingMids.filter { $0 !== mid }), path: "server.pendingMids") }
                guard let position = allocatedMids.firstIndex(where: { $0 === mid }) else { return (false, unlinked, mid.state) }
                changes.removed(mid.state, path: "mid[\(mid.mid)].state")
                allocatedMids.remove(at: position)
                return (true, unlinked, mid.state)
            }
            // Freeing a mid twice is a bug in the caller (the kernel would corrupt its mempool).
            assert(freed, "DeleteMidQEntry: mid \(mid.mid) was already freed")
            call.returning(
                freed ? "mid \(mid.mid) (\(state)) freed" + (unlinked ? ", first taken off pending_mid_q" : "")
                    : "mid \(mid.mid) was already freed",
                diff: changes.diffs)
        }
    }
}

extension Session {
    /// Sends one request and waits for its reply. Mirrors the kernel's `SendReceive`:
    /// `wait_for_free_request`, then under `srv_mutex` `allocate_mid`, `cifs_sign_smb` and
    /// `smb_send`; then `wait_for_response`, `cifs_sync_mid_result` and `cifs_check_receive`
    /// (signature check, status mapping); last `DeleteMidQEntry` and `add_credits` — on the
    /// error paths too.
    ///
    /// - Parameters:
    ///   - request: the request message (from `0xFF 'SMB'`) with its MID already set.
    ///   - function: the kernel function on whose behalf it is sent, for the trace.
    ///   - allowing: error statuses returned as a reply instead of thrown
    ///     (`MORE_PROCESSING_REQUIRED` during NTLMSSP).
    /// - Throws: ``CIFSError/status(_:command:)`` for an error status,
    ///   ``CIFSError/again(_:)`` when the connection was lost, ``CIFSError/malformedReply(command:reason:)``,
    ///   ``CIFSError/invalidArgument(_:)`` for a request shorter than an SMB header.
    func sendReceive(_ request: [UInt8], function: String, allowing: [NTStatus] = [],
                     trans2Request: Trans2RequestInfo? = nil) throws -> ReplyBuffer {
        let server = self.server
        let runtime = server.runtime
        guard request.count >= SMBHeader.size else {
            throw CIFSError.invalidArgument("request shorter than an SMB header")
        }
        return try runtime.traced("SendReceive", mid: SMBHeaderBits.mid(request),
                                  "\(function): \(Self.describeRequest(request))") { call in
            if runtime.withLock({ server.tcpStatus }) == .exiting { throw CIFSError.shuttingDown }

            try server.waitForFreeRequest()
            var creditHeld = true
            // An error gives the credit back; an abort (the run is torn down) may skip it.
            defer { if creditHeld { try? server.addCredits() } }

            // Sign and send in one order (srv_mutex).
            let mid = try runtime.withMutex(server.srvMutex) {
                try submitUnderSrvMutex(request, function: function, async: false, call: call) {
                    $0.trans2Request = trans2Request
                }
            }
            // An error frees the mid too, before the credit goes back (this defer runs first).
            var midHeld = true
            defer { if midHeld { try? server.deleteMidQEntry(mid) } }

            try waitForResponse(mid)
            let reply = try syncMidResult(mid)
            let result = try checkReceive(reply, mid: mid, allowing: allowing)
            midHeld = false
            try server.deleteMidQEntry(mid)
            creditHeld = false
            try server.addCredits()
            call.returning("mid \(mid.mid) \(mid.command.name) reply: \(result.header.status.name)")
            return result
        }
    }

    /// `READ_ANDX mid 12`, or the length of a request too short to say.
    static func describeRequest(_ request: [UInt8]) -> String {
        guard request.count >= SMBHeader.size else { return "\(request.count) bytes" }
        return "\(SMBCommand(request[4]).name) mid \(SMBHeaderBits.mid(request))"
    }

    /// Checks that a request may go out now and allocates its mid (recorded in
    /// ``ServerInfo/allocatedMids`` until ``ServerInfo/deleteMidQEntry(_:)``). A synchronous
    /// request's mid also goes on ``ServerInfo/pendingMids`` here, as in the kernel's
    /// `allocate_mid`; an asynchronous one is queued by `cifs_call_async` once it is signed and
    /// has its receive and callback (the kernel allocates it with `AllocMidQEntry` in
    /// `cifs_setup_async_request`). Mirrors the kernel's `allocate_mid`.
    func allocateMid(_ request: [UInt8], onPendingQueue: Bool) throws -> Mid {
        let server = self.server
        let runtime = server.runtime
        let command = SMBCommand(request[4])
        let number = SMBHeaderBits.mid(request)
        return try runtime.traced("allocate_mid", mid: number, "mid \(number) for \(command.name)") { call in
            var changes = StateChanges(tracing: call.isTracing)
            let mid: Mid = try runtime.withLock {
                switch server.tcpStatus {
                case .exiting: throw CIFSError.shuttingDown
                case .needReconnect: throw CIFSError.again("tcp session dead - return to caller to retry")
                default: break
                }
                if status != .good, command != .sessionSetupAndX, command != .negotiate {
                    throw CIFSError.again("session not set up")
                }
                let mid = Mid(mid: number, command: command, runtime: runtime)
                server.allocatedMids.append(mid)
                changes.created(mid.state, path: "mid[\(number)].state")
                if onPendingQueue {
                    changes.set(server, \.pendingMidQueue, MidQueue(server.pendingMids + [mid]), path: "server.pendingMids")
                }
                return mid
            }
            call.returning(
                onPendingQueue ? "mid \(number) queued on pending_mid_q" : "mid \(number) allocated", diff: changes.diffs)
            return mid
        }
    }

    /// Sleeps until cifsd has completed `mid`. Mirrors the kernel's `wait_for_response`.
    func waitForResponse(_ mid: Mid) throws {
        let runtime = server.runtime
        try runtime.traced("wait_for_response", mid: mid.mid, "mid \(mid.mid) \(mid.command.name)") { call in
            let done = runtime.withLock { mid.state != .submitted && mid.state != .allocated }
            if !done { try call.event(.block, "sleeping until cifsd completes mid \(mid.mid)") }
            let state = try runtime.withLock { () -> MidState in
                try server.waitForServer(on: mid.queue, awaiting: "the reply to \(mid.command.name) (mid \(mid.mid))") {
                    mid.state != .submitted && mid.state != .allocated
                }
                return mid.state
            }
            call.returning("mid \(mid.mid) completed: \(state)")
        }
    }

    /// Turns a completed mid into its reply or an error. Mirrors the kernel's
    /// `cifs_sync_mid_result` (whose unlink from `pending_mid_q` is left to `DeleteMidQEntry`
    /// here: cifsd has always dequeued a completed mid already).
    func syncMidResult(_ mid: Mid) throws -> [UInt8] {
        try server.runtime.withLock {
            switch mid.state {
            case .responseReceived:
                guard let response = mid.response else {
                    throw CIFSError.malformedReply(command: mid.command, reason: "no response buffer")
                }
                return response
            case .retryNeeded:
                throw CIFSError.again("connection lost while mid \(mid.mid) was in flight")
            case .responseMalformed:
                throw CIFSError.malformedReply(command: mid.command, reason: mid.malformedReason ?? "checkSMB failed")
            case .shutdown:
                throw CIFSError.shuttingDown
            case .allocated, .submitted:
                throw CIFSError.malformedReply(command: mid.command, reason: "invalid mid state \(mid.state)")
            }
        }
    }

    /// Verifies the reply's signature (recording, not failing, a mismatch) and maps its status
    /// to an error. Mirrors the kernel's `cifs_check_receive` and `map_smb_to_linux_error`.
    func checkReceive(_ reply: [UInt8], mid: Mid, allowing: [NTStatus]) throws -> ReplyBuffer {
        try server.checkReceiveSignature(reply, mid: mid)
        let header: SMBHeader
        do {
            header = try SMBHeader.peek(reply)
        } catch let error as WireError {
            throw CIFSError.malformedReply(command: mid.command, reason: error.description)
        }
        let status = header.status
        // Without FLAGS2_NT_STATUS the field holds a DOS class/code; both are reported as is.
        if status != .success, !allowing.contains(status) {
            throw CIFSError.status(status, command: mid.command)
        }
        return ReplyBuffer(bytes: reply, header: header, mid: mid.mid,
                           trace: server.runtime.isTracing ? server.runtime.withLock { mid.replyTrace } : nil)
    }
}

extension Session {
    /// Sends a request without waiting for its reply: the mid gets `receive` (which reads the
    /// reply frame off the socket on the cifsd thread; `nil` for `standard_receive3`) and
    /// `callback` (run on cifsd when the mid completes, is retried or shut down), and goes on
    /// `pending_mid_q` before the request is sent. The callback owns the mid and the credit
    /// taken here: it must free the mid with ``ServerInfo/deleteMidQEntry(_:)`` and return the
    /// credit with ``ServerInfo/addCredits(_:)``. Mirrors the kernel's `cifs_call_async`, on
    /// which the async read path (`cifs_async_readv`) is built.
    /// - Throws: ``CIFSError/invalidArgument(_:)`` for a request shorter than an SMB header;
    ///   what allocating or sending throws (the mid is then freed and the credit returned).
    func callAsync(_ request: [UInt8], function: String, receive: MidReceive?,
                   callback: @escaping MidCallback) throws -> Mid {
        let server = self.server
        let runtime = server.runtime
        guard request.count >= SMBHeader.size else {
            throw CIFSError.invalidArgument("request shorter than an SMB header")
        }
        return try runtime.traced("cifs_call_async", mid: SMBHeaderBits.mid(request),
                                  "\(function): \(Self.describeRequest(request))") { call in
            try server.waitForFreeRequest()
            do {
                let mid = try runtime.withMutex(server.srvMutex) {
                    try submitUnderSrvMutex(request, function: function, async: true, call: call) { mid in
                        mid.receive = receive
                        mid.callback = callback
                    }
                }
                call.returning("mid \(mid.mid) in flight; cifsd runs its receive and callback")
                return mid
            } catch {
                // An abort (the run is torn down) may skip giving the credit back.
                try? server.addCredits()
                throw error
            }
        }
    }

    /// Allocates the mid, signs and sends the request: the part of the kernel's `SendReceive`
    /// and `cifs_call_async` done under `srv_mutex`, which the caller holds, so that requests
    /// leave in sequence-number order. `async` says whose order it follows: `SendReceive`
    /// queues the mid on `pending_mid_q` as it allocates it, `cifs_call_async` once it is
    /// signed, submitted and has its receive and callback. A request that cannot be signed or
    /// sent gives its sequence numbers back and its mid is freed (`cifs_delete_mid`). Events go
    /// to `call`, the caller's frame.
    private func submitUnderSrvMutex(_ request: [UInt8], function: String, async: Bool, call: TracedCall,
                                     configure: (Mid) -> Void) throws -> Mid {
        let runtime = server.runtime
        assert(runtime.withLock { server.srvMutex.holder == runtime.currentThreadID }, "submit without srv_mutex")
        let mid = try allocateMid(request, onPendingQueue: !async)
        configure(mid)
        do {
            var packet = request
            let sentAs = try server.signSMB(&packet, mid: mid)
            var submitted = StateChanges(tracing: call.isTracing)
            runtime.withLock {
                submitted.set(mid, \.state, .submitted, path: "mid[\(mid.mid)].state")
                mid.whenSent = runtime.now
                if async {
                    submitted.set(server, \.pendingMidQueue, MidQueue(server.pendingMids + [mid]),
                                  path: "server.pendingMids")
                }
            }
            try call.note(async ? "mid \(mid.mid) submitted and put on pending_mid_q" : "mid \(mid.mid) submitted",
                          diff: submitted.diffs)
            try server.smbSend(packet, function: function, derivation: sentAs)
        } catch let abort as RuntimeAbort {
            // The run is torn down: nothing more is recorded; just forget the mid.
            runtime.withLock {
                server.pendingMids.removeAll { $0 === mid }
                server.allocatedMids.removeAll { $0 === mid }
            }
            throw abort
        } catch {
            var undo = StateChanges(tracing: call.isTracing)
            runtime.withLock {
                if mid.sequenceNumber != 0 {
                    undo.set(server, \.sequenceNumber, server.sequenceNumber &- 2, path: "server.sequenceNumber")
                }
            }
            try call.note("mid \(mid.mid) not sent: sequence numbers given back, mid freed", diff: undo.diffs)
            try server.deleteMidQEntry(mid)
            throw error
        }
        return mid
    }
}
