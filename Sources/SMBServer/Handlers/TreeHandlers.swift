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
        return try runtime.traced("reply_tcon_and_X", "\(request.path) service \(request.service)") { call in
            let share: Share?
            if shareName.uppercased() == "IPC$" {
                guard configuration.acceptsIPC else { return try refuseTree(header, request.path, .badNetworkName, &call) }
                guard request.service == "?????" || request.service.uppercased() == "IPC" else {
                    return try refuseTree(header, request.path, .badDeviceType, &call)
                }
                share = nil
            } else {
                guard let found = server.share(named: shareName) else {
                    return try refuseTree(header, request.path, .badNetworkName, &call)
                }
                guard request.service == "?????" || request.service.uppercased() == "A:" else {
                    return try refuseTree(header, request.path, .badDeviceType, &call)
                }
                share = found
            }
            guard trees.count < limits.maxTreesPerConnection else {
                throw RequestError(.insufficientResources, "\(trees.count) trees already on this connection")
            }
            guard let tid = tids.allocate(isInUse: { trees[$0] != nil }) else {
                throw RequestError(.insufficientResources, "no free TID")
            }
            var changes = StateChanges(runtime)
            addTree(ServerTree(tid: tid, uid: session.uid, share: share), &changes)
            server.log(.treeConnected(connection: id, share: share?.name ?? "IPC$", tid: tid))
            let extended = request.flags & TreeConnectAndXRequest.flagExtendedResponse != 0
            // SMB_SUPPORT_SEARCH_BITS only: not in DFS, no extended signatures (which would change
            // the signing key), no client-side caching.
            let body = TreeConnectAndXResponse(
                optionalSupport: 0x0001,
                maximalAccess: extended
                    ? TreeConnectAndXResponse.MaximalAccess(
                        maximalShareAccessRights: share == nil ? 0x0000_01FF : 0x0012_00A9,
                        guestMaximalShareAccessRights: 0)
                    : nil,
                service: share == nil ? "IPC" : "A:", nativeFileSystem: share == nil ? "" : "NTFS")
            call.returning("TID \(tid) = \(share?.name ?? "IPC$")", diff: changes.diffs)
            return try reply(header, body, tid: tid)
        }
    }

    private func refuseTree(_ header: SMBHeader, _ path: String, _ status: NTStatus,
                            _ call: inout TracedCall) throws -> Outcome {
        server.log(.treeRefused(connection: id, path: path, status: status))
        call.returning("refused: \(status.name)")
        return .reply(try errorReply(header, status))
    }

    /// SMB_COM_TREE_DISCONNECT: forgets the tree and closes its files. Mirrors `reply_tdis`.
    func treeDisconnect(_ header: SMBHeader, _ message: [UInt8]) throws -> Outcome {
        _ = try requireSession(header)
        let tree = try requireTree(header)
        _ = try decode(TreeDisconnectRequest.self, header, message)
        return try runtime.traced("reply_tdis", "TID \(tree.tid)") { call in
            var changes = StateChanges(runtime)
            removeTree(tree.tid, &changes)
            call.returning("TID \(tree.tid) disconnected", diff: changes.diffs)
            return try reply(header, TreeDisconnectResponse())
        }
    }

    /// SMB_COM_LOGOFF_ANDX: ends the session, its trees and files. Mirrors `reply_ulogoffX`.
    func logoff(_ header: SMBHeader, _ message: [UInt8]) throws -> Outcome {
        let session = try requireSession(header)
        _ = try decode(LogoffAndXRequest.self, header, message)
        return try runtime.traced("reply_ulogoffX", "UID \(session.uid) (\(session.user))") { call in
            var changes = StateChanges(runtime)
            removeSession(session.uid, &changes)
            for tid in trees.keys.sorted() where trees[tid]?.uid == session.uid { removeTree(tid, &changes) }
            // Its files and searches on trees other users connected go too: they were its alone.
            for fid in files.keys.sorted() where files[fid]?.uid == session.uid { removeFile(fid, &changes) }
            for sid in searches.keys.sorted() where searches[sid]?.uid == session.uid { removeSearch(sid, &changes) }
            settleState(&changes)
            call.returning("UID \(session.uid) logged off", diff: changes.diffs)
            return try reply(header, LogoffAndXResponse())
        }
    }

    /// SMB_COM_ECHO: one reply carrying the request's data (an EchoCount of 0 gets none;
    /// more than 1 still gets one, as this server does not repeat replies). Mirrors `reply_echo`.
    func echo(_ header: SMBHeader, _ message: [UInt8]) throws -> Outcome {
        let request = try decode(EchoRequest.self, header, message)
        return try runtime.traced("reply_echo", "count \(request.echoCount), \(request.data.count) bytes") { call in
            guard request.echoCount > 0 else {
                call.returning("count 0: no reply")
                return .noReply
            }
            call.returning("echoing \(request.data.count) bytes")
            return try reply(header, EchoResponse(sequenceNumber: 1, data: request.data))
        }
    }
}
