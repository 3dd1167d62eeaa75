import KernelRuntime
import SMBWire

extension Session {
    /// TREE_CONNECT_ANDX to `tree.treeName` with a one-byte null password (user-level
    /// security) and service `?????`; stores the TID and marks the tree good. Mirrors the
    /// kernel's `CIFSTCon`.
    func treeConnect(_ tree: TreeConnection) throws {
        let server = self.server
        let runtime = server.runtime
        try runtime.traced("CIFSTCon", "connecting \(tree.treeName)") { call in
            var header = headerAssemble(.treeConnectAndX, tree: nil)
            header.mid = server.getNextMid()
            let (sessionUID, caps) = runtime.withLock { (uid, capabilities) }
            header.uid = sessionUID
            if server.signingEnabled { header.flags2.insert(.securitySignature) }
            if caps.contains(.status32) { header.flags2.insert(.ntStatus) }
            if caps.contains(.dfs) { header.flags2.insert(.dfs) }
            if caps.contains(.unicode) { header.flags2.insert(.unicode) }
            // TCON_EXTENDED_SECINFO asks for the 7-word reply.
            let body = TreeConnectAndXRequest(flags: TreeConnectAndXRequest.flagExtendedResponse, password: [0],
                                              path: tree.treeName, service: "?????")
            let reply = try sendReceive(try encodeRequest(header, body), function: "CIFSTCon")
            let packet = try decodeReply(TreeConnectAndXResponse.self, reply)
            var changes = StateChanges(tracing: call.isTracing)
            runtime.withLock {
                changes.set(tree, \.tid, reply.header.tid, path: "tcon.tid")
                changes.set(tree, \.tidStatus, .good, path: "tcon.tidStatus")
                changes.set(tree, \.needReconnect, false, path: "tcon.needReconnect")
                tree.isInDFS = packet.body.optionalSupport & 0x0002 != 0  // SMB_SHARE_IS_IN_DFS
                tree.service = packet.body.service
                tree.nativeFileSystem = packet.body.nativeFileSystem
                if !trees.contains(where: { $0 === tree }) { trees.append(tree) }
            }
            call.returning(
                "tid \(reply.header.tid), service \(packet.body.service ?? "?"), "
                    + "file system \(packet.body.nativeFileSystem ?? "?")",
                diff: changes.diffs)
        }
    }

    /// TREE_DISCONNECT; nothing to do when the connection already dropped the TID. Mirrors the
    /// kernel's `CIFSSMBTDis`.
    func treeDisconnect(_ tree: TreeConnection) throws {
        let runtime = server.runtime
        try runtime.traced("CIFSSMBTDis", "disconnecting \(tree.treeName)") { call in
            var exiting = StateChanges(tracing: call.isTracing)
            // Whatever happens the tree is on its way out (the kernel's tidStatus CifsExiting).
            defer { runtime.withLock { tree.tidStatus = .exiting } }
            let dead = runtime.withLock { tree.needReconnect || needReconnect }
            var outcome = "tree disconnected"
            if dead {
                outcome = "nothing sent: the tid went with the connection"
            } else {
                do {
                    try reconnectTcon(tree, command: .treeDisconnect)
                    let header = headerAssemble(.treeDisconnect, tree: tree)
                    _ = try sendReceive(try encodeRequest(header, TreeDisconnectRequest()), function: "CIFSSMBTDis")
                } catch CIFSError.again {
                    // The TID went with the connection: nothing left to disconnect.
                    outcome = "the tid went with the connection (-EAGAIN)"
                }
            }
            runtime.withLock { exiting.set(tree, \.tidStatus, .exiting, path: "tcon.tidStatus") }
            call.returning(outcome, diff: exiting.diffs)
        }
    }

    /// LOGOFF_ANDX, unless the connection already lost the UID. Mirrors the kernel's
    /// `CIFSSMBLogoff`.
    func logoff() throws {
        let server = self.server
        let runtime = server.runtime
        try runtime.traced("CIFSSMBLogoff", "logging off \(user)") { call in
            try runtime.withMutex(sessionMutex) {
                var exiting = StateChanges(tracing: call.isTracing)
                // Whatever happens the session is on its way out (the kernel's CifsExiting).
                defer { runtime.withLock { status = .exiting } }
                let (dead, sessionUID) = runtime.withLock { (needReconnect, uid) }
                var outcome = "uid \(sessionUID) logged off"
                if dead {
                    outcome = "nothing sent: uid \(sessionUID) went with the connection"
                } else {
                    // small_smb_init without a tree: no Unicode or NT-status flags, as the kernel sent it.
                    var header = headerAssemble(.logoffAndX, tree: nil)
                    header.mid = server.getNextMid()
                    if server.signingEnabled { header.flags2.insert(.securitySignature) }
                    header.uid = sessionUID
                    do {
                        _ = try sendReceive(try encodeRequest(header, LogoffAndXRequest()), function: "CIFSSMBLogoff")
                    } catch CIFSError.again {
                        // The session went with the connection: no point reporting it.
                        outcome = "uid \(sessionUID) went with the connection (-EAGAIN)"
                    }
                }
                runtime.withLock { exiting.set(self, \.status, .exiting, path: "ses.status") }
                call.returning(outcome, diff: exiting.diffs)
            }
        }
    }
}
