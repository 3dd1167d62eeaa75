import KernelRuntime
import SMBWire

/// What the kernel's `cifs_open` asked for in a read-only NT_CREATE_ANDX. Access, disposition
/// and options are SMBWire's typed values, the ones the server checks them against; the rest
/// are fields nothing on either side interprets, so they stay plain numbers.
enum OpenConstants {
    static let access: FileAccessMask = .genericRead
    static let disposition: NTCreateDisposition = .open
    static let options: NTCreateOptions = .nonDirectoryFile
    /// FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE.
    static let fileShareAll: UInt32 = 0x0000_0007
    /// FILE_ATTRIBUTE_NORMAL.
    static let attributeNormal: UInt32 = 0x0000_0080
    /// SECURITY_IMPERSONATION.
    static let securityImpersonation: UInt32 = 2
    /// SECURITY_CONTEXT_TRACKING | SECURITY_EFFECTIVE_ONLY.
    static let securityFlags: UInt8 = 0x03
}

extension Session {
    /// Turns a share path (`dir/file.txt`, `/dir/file.txt`) into the form the kernel sent: a
    /// leading backslash, backslash separators.
    static func smbPath(_ path: String) throws -> String {
        let parts = path.split(whereSeparator: { $0 == "/" || $0 == "\\" }).map(String.init)
        guard !parts.isEmpty else { throw CIFSError.invalidArgument("empty path") }
        return "\\" + parts.joined(separator: "\\")
    }

    /// NT_CREATE_ANDX for reading: GENERIC_READ, share all, FILE_OPEN, not a directory; no
    /// oplock is requested (no oplock break handling here). Returns the FID and the end of
    /// file. Mirrors the kernel's `CIFSSMBOpen`.
    func openFile(_ path: String, tree: TreeConnection, function: String = "cifs_open") throws -> (fid: UInt16, endOfFile: UInt64, allocation: UInt64) {
        let runtime = server.runtime
        return try runtime.traced("CIFSSMBOpen", "opening \(path) for reading (for \(function))") { call in
            try reconnectTcon(tree, command: .ntCreateAndX)
            let header = headerAssemble(.ntCreateAndX, tree: tree)
            let body = NTCreateAndXRequest(
                flags: 0, rootDirectoryFID: 0, desiredAccess: OpenConstants.access.rawValue, allocationSize: 0,
                extFileAttributes: OpenConstants.attributeNormal, shareAccess: OpenConstants.fileShareAll,
                createDisposition: OpenConstants.disposition.rawValue, createOptions: OpenConstants.options.rawValue,
                impersonationLevel: OpenConstants.securityImpersonation, securityFlags: OpenConstants.securityFlags,
                fileName: path)
            let reply = try sendReceive(try encodeRequest(header, body), function: "CIFSSMBOpen")
            let packet = try decodeReply(NTCreateAndXResponse.self, reply)
            if packet.body.directory != 0 {
                throw CIFSError.status(.fileIsADirectory, command: .ntCreateAndX)
            }
            call.returning(
                "fid \(packet.body.fid), end of file \(packet.body.endOfFile), oplock level \(packet.body.oplockLevel)")
            return (packet.body.fid, packet.body.endOfFile, packet.body.allocationSize)
        }
    }

    /// TRANS2 QUERY_FILE_INFORMATION at SMB_QUERY_FILE_ALL_INFO, updating the file's size;
    /// retried after a reconnect (the kernel's `QFileInfoRetry`). Mirrors the kernel's
    /// `CIFSSMBQFileInfo`.
    func queryFileInfo(_ file: OpenFile) throws -> FileAllInfo {
        let runtime = server.runtime
        return try runtime.traced("CIFSSMBQFileInfo", "\(file.path): SMB_QUERY_FILE_ALL_INFO") { call in
            var attempts = 0
            while true {
                attempts += 1
                do {
                    if runtime.withLock({ file.invalidHandle }) { try reopenFile(file) }
                    var changes = StateChanges(tracing: call.isTracing)
                    let all = try queryFileInfoOnce(file, &changes)
                    call.returning(
                        "end of file \(all.endOfFile), allocation \(all.allocationSize)", diff: changes.diffs)
                    return all
                } catch CIFSError.again(let reason) {
                    // QFileInfoRetry: go round again once the tree is reconnected and the handle reopened.
                    guard attempts < CIFSMount.maxRetries else { throw CIFSError.again(reason) }
                    try call.note("-EAGAIN (\(reason)); retrying")
                }
            }
        }
    }

    /// One attempt of ``queryFileInfo(_:)``; the size it stores is recorded in `changes`.
    private func queryFileInfoOnce(_ file: OpenFile, _ changes: inout StateChanges) throws -> FileAllInfo {
        let runtime = server.runtime
        let tree = file.tree
        try reconnectTcon(tree, command: .transaction2)
        let fid = runtime.withLock { file.fid }
        let header = headerAssemble(.transaction2, tree: tree)
        let query = Trans2QueryFileInformationRequest(fid: fid, informationLevel: .queryFileAllInfo)
        // The kernel's layout: one pad byte before the parameters (ParameterOffset 66), no
        // data and DataOffset 0, MaxParameterCount 4, MaxDataCount CIFSMaxBufSize.
        let request = query.request(maxParameterCount: 4, maxDataCount: 16384,
                                    layout: Trans2Layout(parameterPad: [0], emptyDataOffset: 0))
        let info = request.info(unicode: header.isUnicode)
        let reply = try sendReceive(try encodeRequest(header, request), function: "CIFSSMBQFileInfo", trans2Request: info)
        let packet = try decodeReply(Trans2Response.self, reply, trans2Request: info)
        guard packet.body.data.count >= 40 else {
            throw CIFSError.malformedReply(command: .transaction2, reason: "\(packet.body.data.count) bytes of FILE_ALL_INFO, need at least 40")
        }
        let decoded: FileInformation
        do {
            decoded = try packet.body.queryInformation(level: .queryFileAllInfo, unicode: header.isUnicode)
        } catch let error as WireError {
            throw CIFSError.malformedReply(command: .transaction2, reason: error.description)
        }
        guard case let .all(all) = decoded else {
            throw CIFSError.malformedReply(command: .transaction2, reason: "not FILE_ALL_INFO")
        }
        runtime.withLock {
            changes.set(file, \.size, all.endOfFile, path: "file.size")
            file.allocationSize = all.allocationSize
        }
        return all
    }

    /// CLOSE; a handle lost with the connection counts as closed. Mirrors the kernel's
    /// `CIFSSMBClose`.
    func closeFile(_ file: OpenFile) throws {
        let runtime = server.runtime
        let tree = file.tree
        let (fid, invalid) = runtime.withLock { (file.fid, file.invalidHandle) }
        try runtime.traced("CIFSSMBClose", "closing fid \(fid)\(invalid ? " (handle already invalid)" : "")") { call in
            // Closed whatever the outcome, as the kernel drops its cifsFileInfo.
            defer {
                runtime.withLock {
                    file.closed = true
                    tree.openFiles.removeAll { $0 === file }
                }
            }
            var outcome = "fid \(fid) closed"
            if invalid {
                outcome = "nothing sent: the handle died with the connection"
            } else {
                do {
                    // Do not retry on a dead session: the server closed the file with it.
                    try reconnectTcon(tree, command: .close)
                    let header = headerAssemble(.close, tree: tree)
                    _ = try sendReceive(try encodeRequest(header, CloseRequest(fid: fid)), function: "CIFSSMBClose")
                } catch let error as CIFSError {
                    switch error {
                    case .again, .hostDown, .shuttingDown:
                        // Since the session is dead, the file is closed on the server already.
                        outcome = "the session is gone, and the file with it (\(error))"
                    default:
                        throw error
                    }
                }
            }
            var changes = StateChanges(tracing: call.isTracing)
            runtime.withLock { changes.set(file, \.closed, true, path: "file.closed") }
            call.returning(outcome, diff: changes.diffs)
        }
    }

    /// Opens `file`'s path again after a reconnect and takes the new FID. Mirrors the kernel's
    /// `cifs_reopen_file`.
    func reopenFile(_ file: OpenFile) throws {
        let runtime = server.runtime
        try runtime.traced("cifs_reopen_file", "reopening \(file.path)") { call in
            try runtime.withMutex(file.fhMutex) {
                guard runtime.withLock({ file.invalidHandle }) else {
                    call.returning("another thread reopened it already")
                    return
                }
                let result = try openFile(file.path, tree: file.tree, function: "cifs_reopen_file")
                var changes = StateChanges(tracing: call.isTracing)
                runtime.withLock {
                    changes.set(file, \.fid, result.fid, path: "file.fid")
                    changes.set(file, \.invalidHandle, false, path: "file.invalidHandle")
                    file.reopenCount += 1
                }
                call.returning("\(file.path) reopened as fid \(result.fid)", diff: changes.diffs)
            }
        }
    }
}
