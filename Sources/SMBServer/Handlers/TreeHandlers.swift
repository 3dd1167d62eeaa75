import KernelRuntime
import SMBWire

extension ServerConnection {
    /// SMB_COM_TREE_CONNECT_ANDX: `\\server\share` → a TID. `IPC$` is accepted (smbclient
    /// connects there first to ask for a DFS referral) unless configured otherwise. Mirrors
    /// smbd's `reply_tcon_and_X`.
    func treeConnect(_ header: SMBHeader, _ message: [UInt8]) throws -> Outcome {
        let session = try requireSession(header)
        let request = try decode(TreeConnectAndXRequest.self, header, message)
        let shareName = request.path.split(whereSeparator: { $0 == "\\" || $0 == "/" }).last.map(String.init) ?? ""
        try runtime.tracepoint("reply_tcon_and_X", .enter, "\(request.path) service \(request.service)")
        let share: Share?
        if shareName.uppercased() == "IPC$" {
            guard configuration.acceptsIPC else { return try refuseTree(header, request.path, .badNetworkName) }
            guard request.service == "?????" || request.service.uppercased() == "IPC" else {
                return try refuseTree(header, request.path, .badDeviceType)
            }
            share = nil
        } else {
            guard let found = server.share(named: shareName) else {
                return try refuseTree(header, request.path, .badNetworkName)
            }
            guard request.service == "?????" || request.service.uppercased() == "A:" else {
                return try refuseTree(header, request.path, .badDeviceType)
            }
            share = found
        }
        guard let tid = tids.allocate(isInUse: { trees[$0] != nil }) else {
            throw RequestError(.insufficientResources, "no free TID")
        }
        trees[tid] = ServerTree(tid: tid, uid: session.uid, share: share)
        server.log(.treeConnected(connection: id, share: share?.name ?? "IPC$", tid: tid))
        let extended = request.flags & TreeConnectAndXRequest.flagExtendedResponse != 0
        // SMB_SUPPORT_SEARCH_BITS only: not in DFS, no extended signatures (which would change
        // the signing key), no client-side caching.
        let body = TreeConnectAndXResponse(
            optionalSupport: 0x0001,
            maximalAccess: extended
                ? TreeConnectAndXResponse.MaximalAccess(maximalShareAccessRights: share == nil ? 0x0000_01FF : 0x0012_00A9,
                                                        guestMaximalShareAccessRights: 0)
                : nil,
            service: share == nil ? "IPC" : "A:", nativeFileSystem: share == nil ? "" : "NTFS")
        return try reply(header, body, tid: tid)
    }

    private func refuseTree(_ header: SMBHeader, _ path: String, _ status: NTStatus) throws -> Outcome {
        server.log(.treeRefused(connection: id, path: path, status: status))
        return .reply(try errorReply(header, status))
    }

    /// SMB_COM_TREE_DISCONNECT: forgets the tree and closes its files. Mirrors `reply_tdis`.
    func treeDisconnect(_ header: SMBHeader, _ message: [UInt8]) throws -> Outcome {
        _ = try requireSession(header)
        let tree = try requireTree(header)
        _ = try decode(TreeDisconnectRequest.self, header, message)
        try runtime.tracepoint("reply_tdis", .enter, "TID \(tree.tid)")
        dropTree(tree.tid)
        return try reply(header, TreeDisconnectResponse())
    }

    /// SMB_COM_LOGOFF_ANDX: ends the session, its trees and files. Mirrors `reply_ulogoffX`.
    func logoff(_ header: SMBHeader, _ message: [UInt8]) throws -> Outcome {
        let session = try requireSession(header)
        _ = try decode(LogoffAndXRequest.self, header, message)
        try runtime.tracepoint("reply_ulogoffX", .enter, "UID \(session.uid) (\(session.user))")
        sessions.removeValue(forKey: session.uid)
        for tid in trees.keys.sorted() where trees[tid]?.uid == session.uid { dropTree(tid) }
        return try reply(header, LogoffAndXResponse())
    }

    private func dropTree(_ tid: UInt16) {
        trees.removeValue(forKey: tid)
        for sid in searches.keys.sorted() where searches[sid]?.tid == tid { searches.removeValue(forKey: sid) }
        for fid in files.keys.sorted() where files[fid]?.tid == tid {
            files.removeValue(forKey: fid)?.file.close()
        }
    }

    /// SMB_COM_ECHO: one reply carrying the request's data (an EchoCount of 0 gets none;
    /// more than 1 still gets one, as this server does not repeat replies). Mirrors `reply_echo`.
    func echo(_ header: SMBHeader, _ message: [UInt8]) throws -> Outcome {
        let request = try decode(EchoRequest.self, header, message)
        try runtime.tracepoint("reply_echo", .enter, "count \(request.echoCount), \(request.data.count) bytes")
        guard request.echoCount > 0 else { return .noReply }
        return try reply(header, EchoResponse(sequenceNumber: 1, data: request.data))
    }
}
