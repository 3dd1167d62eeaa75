import KernelRuntime
import SMBWire

extension Session {
    /// TREE_CONNECT_ANDX to `tree.treeName` with a one-byte null password (user-level
    /// security) and service `?????`; stores the TID and marks the tree good. Mirrors the
    /// kernel's `CIFSTCon`.
    func treeConnect(_ tree: TreeConnection) throws {
        let server = self.server
        let runtime = server.runtime
        try runtime.tracepoint("CIFSTCon", .enter, "connecting \(tree.treeName)")
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
        let before = runtime.withLock { tree.tid }
        runtime.withLock {
            tree.tid = reply.header.tid
            tree.status = .good
            tree.needReconnect = false
            tree.isInDFS = packet.body.optionalSupport & 0x0002 != 0  // SMB_SHARE_IS_IN_DFS
            tree.service = packet.body.service
            tree.nativeFileSystem = packet.body.nativeFileSystem
            if !trees.contains(where: { $0 === tree }) { trees.append(tree) }
        }
        try runtime.tracepoint(
            "CIFSTCon", .exit,
            "tid \(reply.header.tid), service \(packet.body.service ?? "?"), file system \(packet.body.nativeFileSystem ?? "?")",
            diff: [StateDiff("tcon.tid", before, reply.header.tid), StateDiff("tcon.tidStatus", TreeStatus.new, TreeStatus.good)])
    }

    /// TREE_DISCONNECT; nothing to do when the connection already dropped the TID. Mirrors the
    /// kernel's `CIFSSMBTDis`.
    func treeDisconnect(_ tree: TreeConnection) throws {
        let runtime = server.runtime
        let dead = runtime.withLock { tree.needReconnect || needReconnect }
        try runtime.tracepoint("CIFSSMBTDis", .enter, "disconnecting \(tree.treeName)\(dead ? " (already gone with the connection)" : "")")
        defer { runtime.withLock { tree.status = .exiting } }
        guard !dead else { return }
        do {
            try reconnectTcon(tree, command: .treeDisconnect)
            let header = headerAssemble(.treeDisconnect, tree: tree)
            _ = try sendReceive(try encodeRequest(header, TreeDisconnectRequest()), function: "CIFSSMBTDis")
        } catch CIFSError.again {
            // The TID went with the connection: nothing left to disconnect.
        }
        try runtime.tracepoint("CIFSSMBTDis", .exit, "tree disconnected")
    }

    /// LOGOFF_ANDX, unless the connection already lost the UID. Mirrors the kernel's
    /// `CIFSSMBLogoff`.
    func logoff() throws {
        let server = self.server
        let runtime = server.runtime
        try runtime.withMutex(sessionMutex) {
            let (dead, sessionUID) = runtime.withLock { (needReconnect, uid) }
            try runtime.tracepoint("CIFSSMBLogoff", .enter, "logging off uid \(sessionUID)"
                                    + (dead ? " (session already gone with the connection)" : ""))
            defer { runtime.withLock { status = .exiting } }
            guard !dead else { return }
            // small_smb_init without a tree: no Unicode or NT-status flags, as the kernel sent it.
            var header = headerAssemble(.logoffAndX, tree: nil)
            header.mid = server.getNextMid()
            if server.signingEnabled { header.flags2.insert(.securitySignature) }
            header.uid = runtime.withLock { uid }
            do {
                _ = try sendReceive(try encodeRequest(header, LogoffAndXRequest()), function: "CIFSSMBLogoff")
            } catch CIFSError.again {
                // The session went with the connection: no point reporting it.
            }
            try runtime.tracepoint("CIFSSMBLogoff", .exit, "logged off")
        }
    }
}
