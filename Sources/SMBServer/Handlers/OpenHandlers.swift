#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KernelRuntime
import SMBWire

extension ServerConnection {
    /// SMB_COM_NT_CREATE_ANDX: opens an existing file or directory for reading. Mirrors
    /// smbd's `reply_ntcreate_and_X`.
    func ntCreate(_ header: SMBHeader, _ message: [UInt8]) throws -> Outcome {
        let session = try requireSession(header)
        let tree = try requireTree(header)
        let request = try decode(NTCreateAndXRequest.self, header, message)
        return try runtime.traced("reply_ntcreate_and_X", Self.describe(request)) { call in
            guard let share = tree.share else { throw RequestError(.objectNameNotFound, "no pipes on IPC$") }
            guard request.rootDirectoryFID == 0 else { throw RequestError(.invalidParameter, "relative opens") }
            let entry = try lookupForOpen(share, request.fileName, disposition: request.disposition,
                                          writes: !request.access.isDisjoint(with: .modifying))
            if request.options.contains(.deleteOnClose) {
                throw RequestError(.accessDenied, "delete on close")
            }
            if request.options.contains(.directoryFile) && !entry.isDirectory {
                throw RequestError(.notADirectory)
            }
            if request.options.contains(.nonDirectoryFile) && entry.isDirectory {
                throw RequestError(.fileIsADirectory)
            }
            let open = try openEntry(share, entry, tid: tree.tid, uid: session.uid)
            let body = NTCreateAndXResponse(
                oplockLevel: 0, fid: open.fid, createDisposition: 1 /* FILE_OPENED */,
                creationTime: entry.creationTime, lastAccessTime: entry.lastAccessTime,
                lastWriteTime: entry.lastWriteTime, changeTime: entry.changeTime,
                extFileAttributes: entry.extFileAttributes, allocationSize: entry.allocationSize, endOfFile: entry.size,
                resourceType: 0, nmPipeStatus: 0, directory: entry.isDirectory ? 1 : 0)
            call.returning("FID 0x\(String(open.fid, radix: 16)): \(entry.smbPath), \(entry.size) bytes")
            return try reply(header, body)
        }
    }

    /// SMB_COM_OPEN_ANDX (what pysmb uses): the same, in the older form. Mirrors smbd's
    /// `reply_open_and_X`.
    func openAndX(_ header: SMBHeader, _ message: [UInt8]) throws -> Outcome {
        let session = try requireSession(header)
        let tree = try requireTree(header)
        let block = try SMBBlock.locate(in: message, at: SMBHeader.size, command: header.command, isResponse: false)
        let request = try OpenAndXRequest.decode(block, in: message, unicode: header.isUnicode)
        return try runtime.traced("reply_open_and_X", Self.describe(request)) { call in
            guard let share = tree.share else { throw RequestError(.objectNameNotFound, "no pipes on IPC$") }
            // OpenFunction: low two bits say what to do when the file exists (0 fail, 1 open,
            // 2 truncate); bit 4 creates a missing file.
            let disposition: NTCreateDisposition
            switch request.openFunction & 0x3 {
            case 0: disposition = .create
            case 1: disposition = request.openFunction & 0x10 != 0 ? .openIf : .open
            default: disposition = .overwrite
            }
            let access = request.accessMode & 0x7
            let entry = try lookupForOpen(share, request.fileName, disposition: disposition,
                                          writes: access == 1 || access == 2)
            if entry.isDirectory { throw RequestError(.fileIsADirectory) }
            let open = try openEntry(share, entry, tid: tree.tid, uid: session.uid)
            let body = OpenAndXResponse(
                fid: open.fid, fileAttributes: 0,
                lastWriteTime: UInt32(clamping: FileTime.unixSeconds(entry.lastWriteTime)),
                fileDataSize: UInt32(clamping: entry.size), accessRights: 0, openResults: 1)
            call.returning("FID 0x\(String(open.fid, radix: 16)): \(entry.smbPath), \(entry.size) bytes")
            return try reply(header, body)
        }
    }

    /// What an NT_CREATE_ANDX asks for, for its enter event.
    private static func describe(_ request: NTCreateAndXRequest) -> String {
        "\"\(request.fileName)\" access 0x\(String(request.desiredAccess, radix: 16))"
            + " disposition \(request.createDisposition)"
    }

    /// What an OPEN_ANDX asks for, for its enter event.
    private static func describe(_ request: OpenAndXRequest) -> String {
        "\"\(request.fileName)\" access mode 0x\(String(request.accessMode, radix: 16))"
            + " open 0x\(String(request.openFunction, radix: 16))"
    }

    /// Looks `name` up for an open with `disposition`; shares are read-only, so anything that
    /// would create, overwrite or write is ACCESS_DENIED.
    private func lookupForOpen(_ share: Share, _ name: String, disposition: NTCreateDisposition,
                               writes: Bool) throws -> ShareEntry {
        let entry: ShareEntry
        do {
            entry = try share.lookup(name)
        } catch let error {
            if disposition.mayCreate && (error == .nameNotFound) { throw RequestError(.accessDenied, "read-only share") }
            throw RequestError(error.status, "\(name)")
        }
        switch disposition {
        case .open, .openIf: break
        case .create: throw RequestError(.objectNameCollision)
        default: throw RequestError(.accessDenied, "read-only share")
        }
        if writes { throw RequestError(.accessDenied, "read-only share") }
        return entry
    }

    /// Opens `entry` and gives it a FID. Mirrors smbd's `fd_open` (with the FID allocation
    /// of `file_new` folded in).
    private func openEntry(_ share: Share, _ entry: ShareEntry, tid: UInt16, uid: UInt16) throws -> ServerOpenFile {
        try runtime.traced("fd_open", "\(entry.smbPath)") { call in
            try reserveOpenFile()
            var reserved = true
            defer { if reserved { server.release(.openFile) } }
            let file: ShareFile
            do throws(ShareError) {
                file = try share.open(entry)
            } catch let error {
                if case let .io(code) = error, code == EMFILE || code == ENFILE {
                    throw RequestError(.tooManyOpenedFiles, "no descriptor left")
                }
                throw RequestError(error.status)
            }
            guard let fid = fids.allocate(isInUse: { files[$0] != nil }) else {
                file.close()
                throw RequestError(.tooManyOpenedFiles)
            }
            reserved = false  // addFile takes it over; removeFile gives it back
            let open = ServerOpenFile(fid: fid, tid: tid, uid: uid, file: file,
                                      generation: server.currentHandleGeneration)
            var changes = StateChanges(runtime)
            addFile(open, &changes)
            call.returning("FID 0x\(String(fid, radix: 16)) = \(entry.smbPath) (\(entry.size) bytes)",
                           diff: changes.diffs)
            return open
        }
    }

    /// SMB_COM_CLOSE. Mirrors smbd's `reply_close`.
    func close(_ header: SMBHeader, _ message: [UInt8]) throws -> Outcome {
        _ = try requireSession(header)
        _ = try requireTree(header)
        let request = try decode(CloseRequest.self, header, message)
        return try runtime.traced("reply_close", "FID 0x\(String(request.fid, radix: 16))") { call in
            let open = try requireFile(request.fid, header, call)
            var changes = StateChanges(runtime)
            removeFile(open.fid, &changes)
            call.returning("FID 0x\(String(open.fid, radix: 16)) closed", diff: changes.diffs)
            return try reply(header, CloseResponse())
        }
    }
}

/// SMB_COM_OPEN_ANDX request (MS-CIFS 2.2.4.41.1), the parts the server uses. SMBWire does not
/// model this command (the kernel never sends it); pysmb does.
struct OpenAndXRequest: Equatable {
    var flags: UInt16
    var accessMode: UInt16
    var openFunction: UInt16
    var fileName: String

    static func decode(_ block: SMBBlock, in packet: [UInt8], unicode: Bool) throws -> OpenAndXRequest {
        guard block.wordCount == 15 else {
            throw WireError.wrongWordCount(command: "OpenAndXRequest", got: Int(block.wordCount), expected: [15])
        }
        var r = WireReader(packet, offset: block.parametersRange.lowerBound, limit: block.parametersRange.upperBound,
                           recordsSpans: false)
        try r.skip("AndX", count: 4)
        let flags = try r.u16("Flags")
        let accessMode = try r.u16("AccessMode")
        try r.skip("SearchAttrs+FileAttrs+CreationTime", count: 8)
        let openFunction = try r.u16("OpenMode")
        var start = block.dataRange.lowerBound
        if unicode && start % 2 == 1 { start += 1 }
        var bytes = Array(packet[min(start, block.dataRange.upperBound)..<block.dataRange.upperBound])
        // The name ends at its terminator (one zero code unit).
        let unit = unicode ? 2 : 1
        var end = 0
        while end + unit <= bytes.count, !bytes[end..<(end + unit)].allSatisfy({ $0 == 0 }) { end += unit }
        bytes.removeSubrange(min(end, bytes.count)...)
        return OpenAndXRequest(flags: flags, accessMode: accessMode, openFunction: openFunction,
                               fileName: SMBString.decode(bytes, unicode: unicode))
    }
}

/// SMB_COM_OPEN_ANDX response (MS-CIFS 2.2.4.41.2): 15 words, no bytes.
struct OpenAndXResponse: SMBEncodableBlock, Equatable {
    var fid: UInt16
    var fileAttributes: UInt16
    /// UTIME: seconds since 1970.
    var lastWriteTime: UInt32
    var fileDataSize: UInt32
    var accessRights: UInt16
    /// 1 = the file existed and was opened.
    var openResults: UInt16

    var blockCommand: SMBCommand { .openAndX }

    func encode(into e: inout SMBPacketEncoder) throws {
        let wc = e.beginParameters()
        e.andXHeader()
        e.u16(fid)
        e.u16(fileAttributes)
        e.u32(lastWriteTime)
        e.u32(fileDataSize)
        e.u16(accessRights)
        e.u16(0)  // ResourceType: disk file
        e.u16(0)  // NMPipeStatus
        e.u16(openResults)
        e.zeros(6)  // ServerFID (4) and Reserved (2)
        try e.endParameters(wc)
        try e.endData(e.beginData())
    }
}
