import KernelRuntime
import SMBWire

extension Session {
    /// The header every request starts from: case-sensitive, long names, the caller's PID,
    /// and — on a tree — its TID, the session's UID, a fresh MID, Unicode / NT status / DFS as
    /// negotiated, and the signature flag when signing is on. Mirrors the kernel's
    /// `header_assemble`.
    func headerAssemble(_ command: SMBCommand, tree: TreeConnection?) -> SMBHeader {
        let server = self.server
        var header = SMBHeader(command: command, flags: [], flags2: [.longNames])
        header.pid = server.runtime.withLock { server.processID }
        guard let tree else { return header }
        let (tid, inDFS, caps, uid) = server.runtime.withLock { (tree.tid, tree.isInDFS, capabilities, self.uid) }
        header.tid = tid
        if caps.contains(.unicode) { header.flags2.insert(.unicode) }
        if caps.contains(.status32) { header.flags2.insert(.ntStatus) }
        header.uid = uid
        header.mid = server.getNextMid()
        if inDFS { header.flags2.insert(.dfs) }
        if server.signingEnabled { header.flags2.insert(.securitySignature) }
        return header
    }

    /// A header for the requests that have no tree yet (SESSION_SETUP_ANDX, LOGOFF_ANDX):
    /// ``headerAssemble(_:tree:)`` plus a MID, and Unicode / NT status as the session's
    /// capabilities allow. Mirrors the kernel's `small_smb_init_no_tc`.
    func headerNoTree(_ command: SMBCommand) -> SMBHeader {
        var header = headerAssemble(command, tree: nil)
        header.mid = server.getNextMid()
        let caps = server.runtime.withLock { capabilities }
        if caps.contains(.unicode) { header.flags2.insert(.unicode) }
        if caps.contains(.status32) { header.flags2.insert(.ntStatus) }
        return header
    }
}

/// Encodes one request body after a header.
func encodeRequest(_ header: SMBHeader, _ body: some SMBEncodableBlock) throws -> [UInt8] {
    var encoder = try SMBPacketEncoder(header: header)
    try encoder.append(body)
    return encoder.bytes
}

/// Decodes a reply as `Body`, turning a decode failure into ``CIFSError/malformedReply(command:reason:)``.
func decodeReply<Body: SMBMessageBody>(_ type: Body.Type, _ reply: ReplyBuffer,
                                      trans2Request: Trans2RequestInfo? = nil) throws -> SMBPacket<Body> {
    do {
        return try Body.decodePacket(reply.bytes, recordsSpans: false, trans2Request: trans2Request).value
    } catch let error as WireError {
        throw CIFSError.malformedReply(command: Body.command, reason: error.description)
    }
}
