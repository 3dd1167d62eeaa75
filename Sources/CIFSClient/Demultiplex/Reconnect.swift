import KernelRuntime
import SMBWire

extension ServerInfo {
    /// Recovers from a lost or out-of-sync connection, on the cifsd thread: marks every
    /// session, tree and open file for reconnection, drops the socket and the signing state,
    /// fails in-flight mids with `retryNeeded` (their callbacks wake the waiters, who see
    /// -EAGAIN), then connects again through the transport factory. The reader's next request
    /// negotiates, sets up the session and reconnects the tree (``Session/reconnectTcon(_:command:)``).
    /// Mirrors the kernel's `cifs_reconnect`, except that it gives up after
    /// `reconnectAttempts` failed connects (the kernel retried forever) and then exits.
    func reconnect(reason: String) throws {
        let proceed = runtime.withLock { () -> Bool in
            if tcpStatus == .exiting { return false }
            tcpStatus = .needReconnect
            maxBuf = 0
            return true
        }
        guard proceed else { return }
        try runtime.tracepoint(
            "cifs_reconnect", .enter, "reconnecting to \(hostname): \(reason)",
            diff: [StateDiff("server.tcpStatus", "good", TCPStatus.needReconnect.rawValue)])

        // Mark the session (uid) and the trees (tid) bad so they are not used until reconnected.
        let marked = runtime.withLock { () -> [String] in
            var names: [String] = []
            for session in sessions {
                session.needReconnect = true
                names.append("session uid \(session.uid)")
                for tree in session.trees {
                    tree.needReconnect = true
                    names.append("tree \(tree.treeName) tid \(tree.tid)")
                }
            }
            return names
        }
        if !marked.isEmpty {
            try runtime.tracepoint("cifs_reconnect", .note, "need_reconnect set on " + marked.joined(separator: ", "))
        }

        // Do not send on a socket being freed: drop it and the signing state under srv_mutex.
        try runtime.withMutex(srvMutex) {
            let old = runtime.withLock { () -> (any Transport)? in
                let old = transport
                transport = nil
                sequenceNumber = 0
                sessionEstablished = false
                sessionKey = []
                return old
            }
            old?.close()
        }
        try runtime.tracepoint(
            "cifs_reconnect", .note, "socket closed; signing state cleared",
            diff: [StateDiff("server.sessionEstablished", true, false), StateDiff("server.sequenceNumber", "n", "0")])

        // Mark submitted mids for retry and run their callbacks.
        let retryList = runtime.withLock { () -> [(Mid, MidState)] in
            let mids = pendingMids
            pendingMids = []
            for mid in mids where mid.state == .submitted { mid.state = .retryNeeded }
            return mids.map { ($0, $0.state) }
        }
        for (mid, state) in retryList {
            try runtime.tracepoint(
                "cifs_reconnect", .note, "mid \(mid.mid) \(mid.command.name): \(state)",
                diff: [StateDiff("mid[\(mid.mid)].state", MidState.submitted, state)])
            try mid.callback(mid)
        }

        var attempt = 0
        while runtime.withLock({ tcpStatus }) == .needReconnect {
            attempt += 1
            do {
                let socket = try connectTransport()
                let kept = runtime.withLock { () -> Bool in
                    guard tcpStatus != .exiting else { return false }
                    transport = socket
                    tcpStatus = .needNegotiate
                    reconnectCount += 1
                    runtime.wakeAll(responseQueue)
                    return true
                }
                if !kept { socket.close() }
                try runtime.tracepoint(
                    "cifs_reconnect", .exit, kept ? "connected again (attempt \(attempt)); next request negotiates" : "mount exiting",
                    diff: [StateDiff("server.tcpStatus", TCPStatus.needReconnect, kept ? .needNegotiate : .exiting)])
            } catch is RuntimeAbort {
                throw RuntimeAbort()
            } catch {
                try runtime.tracepoint("cifs_reconnect", .note, "reconnect error (attempt \(attempt)): \(error)")
                if attempt >= reconnectAttempts {
                    runtime.withLock {
                        lastConnectError = "\(error)"
                        tcpStatus = .exiting
                        runtime.wakeAll(responseQueue)
                        runtime.wakeAll(requestQueue)
                    }
                    try runtime.tracepoint(
                        "cifs_reconnect", .exit, "giving up after \(attempt) attempts",
                        diff: [StateDiff("server.tcpStatus", TCPStatus.needReconnect, TCPStatus.exiting)])
                    return
                }
                try runtime.sleep(nanoseconds: reconnectDelay)
            }
        }
    }
}

extension Session {
    /// Before a request on `tree`: waits while cifsd reconnects the socket, then negotiates,
    /// sets up the session and reconnects the tree if the connection was lost, marking the
    /// tree's open files invalid. For handle-based commands (READ_ANDX, CLOSE…) it then throws
    /// ``CIFSError/again(_:)`` so the caller reopens its handle first. Mirrors the kernel's
    /// `cifs_reconnect_tcon`.
    func reconnectTcon(_ tree: TreeConnection?, command: SMBCommand) throws {
        guard let tree else { return }
        let server = self.server
        let runtime = server.runtime
        // Give cifsd up to 10 seconds to reconnect the socket (a "soft" mount waits once).
        let waitedOut = try runtime.withLock { () -> Bool in
            guard server.tcpStatus == .needReconnect else { return false }
            let done = try runtime.wait(on: server.responseQueue, timeout: 10_000_000_000) {
                server.tcpStatus != .needReconnect
            }
            return !done
        }
        let status = runtime.withLock { server.tcpStatus }
        if waitedOut { throw CIFSError.hostDown("gave up waiting on reconnect in smb_init") }
        if status == .exiting {
            if let reason = runtime.withLock({ server.lastConnectError }) { throw CIFSError.hostDown(reason) }
            throw CIFSError.shuttingDown
        }
        let (sessionNeeds, treeNeeds) = runtime.withLock { (needReconnect, tree.needReconnect) }
        guard sessionNeeds || treeNeeds else { return }

        try runtime.tracepoint(
            "cifs_reconnect_tcon", .enter,
            "reconnecting \(sessionNeeds ? "session and " : "")tree \(tree.treeName) before \(command.name)")
        try runtime.withMutex(sessionMutex) {
            try negotiateProtocol()
            if runtime.withLock({ needReconnect }) { try setupSession() }
            if runtime.withLock({ tree.needReconnect }) {
                markOpenFilesInvalid(tree)
                try treeConnect(tree)
            }
        }
        let tid = runtime.withLock { tree.tid }
        try runtime.tracepoint("cifs_reconnect_tcon", .exit, "tree \(tree.treeName) reconnected, tid \(tid)")
        switch command {
        case .readAndX, .writeAndX, .close, .findClose2, .lockingAndX:
            throw CIFSError.again("handle-based \(command.name) after reconnect: reopen the file first")
        default:
            return
        }
    }

    /// Marks every open file of `tree` invalid: the server forgot their handles with the
    /// connection. Mirrors the kernel's `cifs_mark_open_files_invalid`.
    func markOpenFilesInvalid(_ tree: TreeConnection) {
        server.runtime.withLock {
            for file in tree.openFiles { file.invalidHandle = true }
        }
    }

    /// Negotiates on a fresh connection (once per connect): credits back to 1, NEGOTIATE, then
    /// tcpStatus `good`. Mirrors the kernel's `cifs_negotiate_protocol`.
    func negotiateProtocol() throws {
        let server = self.server
        let runtime = server.runtime
        let needed = runtime.withLock { () -> Bool in
            guard server.tcpStatus == .needNegotiate else { return false }
            server.credits = 1
            return true
        }
        guard needed else { return }
        try negotiate()
        try runtime.withLock {
            guard server.tcpStatus == .needNegotiate else { throw CIFSError.hostDown("connection lost during negotiate") }
            server.tcpStatus = .good
        }
        try runtime.tracepoint(
            "cifs_negotiate_protocol", .note, "negotiated",
            diff: [StateDiff("server.tcpStatus", TCPStatus.needNegotiate, TCPStatus.good)])
    }
}
