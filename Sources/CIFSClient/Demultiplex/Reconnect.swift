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
        try runtime.traced("cifs_reconnect", "reconnecting to \(hostname): \(reason)") { call in
            var marked = StateChanges(tracing: call.isTracing)
            let proceed = runtime.withLock { () -> Bool in
                if tcpStatus == .exiting { return false }
                marked.set(self, \.tcpStatus, .needReconnect, path: "server.tcpStatus")
                marked.set(self, \.maxBuf, 0, path: "server.maxBuf")
                // Mark the session (uid) and the trees (tid) bad so they are not used until
                // reconnected.
                for session in sessions {
                    marked.set(session, \.needReconnect, true, path: "ses.needReconnect")
                    for tree in session.trees {
                        marked.set(tree, \.needReconnect, true, path: "tcon.needReconnect")
                    }
                }
                return true
            }
            guard proceed else {
                call.returning("the mount is exiting: nothing to reconnect")
                return
            }
            try call.note("connection marked for reconnect, with its session and trees", diff: marked.diffs)

            // Do not send on a socket being freed: drop it and the signing state under srv_mutex.
            var cleared = StateChanges(tracing: call.isTracing)
            try runtime.withMutex(srvMutex) {
                let old = runtime.withLock { () -> (any Transport)? in
                    let old = transport
                    transport = nil
                    cleared.set(self, \.sequenceNumber, 0, path: "server.sequenceNumber")
                    cleared.set(self, \.sessionEstablished, false, path: "server.sessionEstablished")
                    cleared.set(self, \.sessionKey, [], path: "server.sessionKey")
                    return old
                }
                old?.close()
            }
            try call.note("socket closed; signing state cleared", diff: cleared.diffs)

            // Mark submitted mids for retry and run their callbacks.
            var retried = StateChanges(tracing: call.isTracing)
            let retryList = runtime.withLock { () -> [Mid] in
                let mids = pendingMids
                retried.set(self, \.pendingMidQueue, MidQueue([]), path: "server.pendingMids")
                for mid in mids where mid.state == .submitted {
                    retried.set(mid, \.state, .retryNeeded, path: "mid[\(mid.mid)].state")
                }
                return mids
            }
            if !retryList.isEmpty {
                try call.note(
                    "\(retryList.count) mids off pending_mid_q: " + retryList.map(\.description).joined(separator: ", "),
                    diff: retried.diffs)
            }
            for mid in retryList { try mid.callback(mid) }

            call.returning("the mount is exiting")
            var attempt = 0
            while runtime.withLock({ tcpStatus }) == .needReconnect {
                attempt += 1
                do {
                    let socket = try connectTransport()
                    var connected = StateChanges(tracing: call.isTracing)
                    let kept = runtime.withLock { () -> Bool in
                        guard tcpStatus != .exiting else { return false }
                        transport = socket
                        connected.set(self, \.tcpStatus, .needNegotiate, path: "server.tcpStatus")
                        connected.set(self, \.reconnectCount, reconnectCount + 1, path: "server.reconnectCount")
                        runtime.wakeAll(responseQueue)
                        return true
                    }
                    if !kept { socket.close() }
                    call.returning(
                        kept ? "connected again (attempt \(attempt)); the next request negotiates" : "the mount is exiting",
                        diff: connected.diffs)
                } catch is RuntimeAbort {
                    throw RuntimeAbort()
                } catch {
                    try call.note("reconnect error (attempt \(attempt)): \(error)")
                    if attempt >= reconnectAttempts {
                        var gaveUp = StateChanges(tracing: call.isTracing)
                        runtime.withLock {
                            lastConnectError = "\(error)"
                            gaveUp.set(self, \.tcpStatus, .exiting, path: "server.tcpStatus")
                            runtime.wakeAll(responseQueue)
                            runtime.wakeAll(requestQueue)
                        }
                        call.returning("giving up after \(attempt) attempts", diff: gaveUp.diffs)
                        return
                    }
                    try runtime.sleep(nanoseconds: reconnectDelay)
                }
            }
        }
    }
}

extension Session {
    /// Before a request on `tree`: waits while cifsd reconnects the socket, then negotiates,
    /// sets up the session and reconnects the tree if the connection was lost, marking the
    /// tree's open files invalid. For handle-based commands (READ_ANDX, CLOSE…) it then throws
    /// ``CIFSError/again(_:)`` so the caller reopens its handle first. Mirrors the kernel's
    /// `cifs_reconnect_tcon`, called from `smb_init` before every request; its first test —
    /// connection up, nothing marked for reconnect, the common case — runs before the frame, so
    /// it costs one lock and records no step.
    func reconnectTcon(_ tree: TreeConnection?, command: SMBCommand) throws {
        guard let tree else { return }
        let server = self.server
        let runtime = server.runtime
        let nothingToDo = runtime.withLock {
            server.tcpStatus != .needReconnect && server.tcpStatus != .exiting && !needReconnect && !tree.needReconnect
        }
        if nothingToDo { return }
        try runtime.traced("cifs_reconnect_tcon", "before \(command.name) on \(tree.treeName)") { call in
            // Give cifsd up to 10 seconds to reconnect the socket (a "soft" mount waits once).
            let mustWait = runtime.withLock { server.tcpStatus == .needReconnect }
            if mustWait { try call.event(.block, "cifsd is reconnecting the socket: waiting up to 10 s") }
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
            guard sessionNeeds || treeNeeds else {
                call.returning("the socket is back; session and tree were not lost")
                return
            }
            try runtime.withMutex(sessionMutex) {
                try negotiateProtocol()
                if runtime.withLock({ needReconnect }) { try setupSession() }
                if runtime.withLock({ tree.needReconnect }) {
                    var invalidated = StateChanges(tracing: call.isTracing)
                    let count = markOpenFilesInvalid(tree, &invalidated)
                    if count > 0 {
                        try call.note("\(count) open files of \(tree.treeName) need reopening", diff: invalidated.diffs)
                    }
                    try treeConnect(tree)
                }
            }
            let tid = runtime.withLock { tree.tid }
            switch command {
            case .readAndX, .writeAndX, .close, .findClose2, .lockingAndX:
                try call.note("tree \(tree.treeName) reconnected, tid \(tid)")
                throw CIFSError.again("handle-based \(command.name) after reconnect: reopen the file first")
            default:
                call.returning("tree \(tree.treeName) reconnected, tid \(tid)")
            }
        }
    }

    /// Marks every open file of `tree` invalid: the server forgot their handles with the
    /// connection. Returns how many files were marked. Mirrors the kernel's
    /// `cifs_mark_open_files_invalid`.
    func markOpenFilesInvalid(_ tree: TreeConnection, _ changes: inout StateChanges) -> Int {
        server.runtime.withLock {
            for file in tree.openFiles {
                changes.set(file, \.invalidHandle, true, path: "file.invalidHandle")
            }
            return tree.openFiles.count
        }
    }

    /// Negotiates on a fresh connection (once per connect): credits back to 1, NEGOTIATE, then
    /// tcpStatus `good`. Mirrors the kernel's `cifs_negotiate_protocol`.
    func negotiateProtocol() throws {
        let server = self.server
        let runtime = server.runtime
        try runtime.traced("cifs_negotiate_protocol") { call in
            var reset = StateChanges(tracing: call.isTracing)
            let needed = runtime.withLock { () -> Bool in
                guard server.tcpStatus == .needNegotiate else { return false }
                reset.set(server, \.credits, 1, path: "server.credits")
                return true
            }
            guard needed else {
                call.returning("nothing to do: tcpStatus \(runtime.withLock { server.tcpStatus })")
                return
            }
            if !reset.diffs.isEmpty { try call.note("one credit until NEGOTIATE says more", diff: reset.diffs) }
            try negotiate()
            var changes = StateChanges(tracing: call.isTracing)
            try runtime.withLock {
                guard server.tcpStatus == .needNegotiate else {
                    throw CIFSError.hostDown("connection lost during negotiate")
                }
                changes.set(server, \.tcpStatus, .good, path: "server.tcpStatus")
            }
            call.returning("negotiated", diff: changes.diffs)
        }
    }
}
