import KernelRuntime
import SMBWire

extension ServerConnection {
    /// SMB_COM_TRANSACTION2: QUERY_FILE_INFORMATION, QUERY_PATH_INFORMATION,
    /// QUERY_FS_INFORMATION, FIND_FIRST2/FIND_NEXT2, and GET_DFS_REFERRAL answered STATUS_NOT_FOUND (this server is
    /// not a DFS server; smbd answers the same). Other subcommands: STATUS_NOT_SUPPORTED.
    /// Mirrors smbd's `reply_trans2` and its `call_trans2q*info`.
    func trans2(_ header: SMBHeader, _ message: [UInt8]) throws -> Outcome {
        _ = try requireSession(header)
        let tree = try requireTree(header)
        let request = try decode(Trans2Request.self, header, message)
        guard let subcommand = request.subcommand else { throw RequestError(.invalidParameter, "no setup words") }
        try runtime.tracepoint("reply_trans2", .enter, "\(subcommand)")
        guard Int(request.totalParameterCount) == request.parameters.count,
              Int(request.totalDataCount) == request.data.count else {
            throw RequestError(.notSupported, "multi-part TRANS2")
        }
        let unicode = header.isUnicode
        let parameters: [UInt8]
        let data: [UInt8]
        switch subcommand {
        case .getDFSReferral:
            throw RequestError(.notFound, "not a DFS server")
        case .findFirst2:
            return try findFirst(header, tree, request)
        case .findNext2:
            return try findNext(header, tree, request)
        case .queryFileInformation:
            let query = try Trans2QueryFileInformationRequest(parameters: request.parameters)
            let open = try requireFile(query.fid, header)
            try runtime.tracepoint("call_trans2qfilepathinfo", .note,
                                   "FID 0x\(String(query.fid, radix: 16)) level \(query.informationLevel)")
            guard let bytes = FileInformationEncoding.data(for: open.file.entry, level: query.informationLevel,
                                                          unicode: unicode) else {
                throw RequestError(.invalidLevel, "\(query.informationLevel)")
            }
            (parameters, data) = (Trans2QueryInformationResponseParameters().encodeParameters(), bytes)
        case .queryPathInformation:
            let query = try Trans2QueryPathInformationRequest(parameters: request.parameters, unicode: unicode)
            try runtime.tracepoint("call_trans2qfilepathinfo", .note,
                                   "\"\(query.fileName)\" level \(query.informationLevel)")
            guard let share = tree.share else { throw RequestError(.objectNameNotFound, "IPC$") }
            let entry: ShareEntry
            do { entry = try share.lookup(query.fileName) } catch { throw RequestError(error.status, query.fileName) }
            guard let bytes = FileInformationEncoding.data(for: entry, level: query.informationLevel, unicode: unicode) else {
                throw RequestError(.invalidLevel, "\(query.informationLevel)")
            }
            (parameters, data) = (Trans2QueryInformationResponseParameters().encodeParameters(), bytes)
        case .queryFSInformation:
            guard request.parameters.count >= 2 else { throw RequestError(.invalidParameter, "no information level") }
            let level = UInt16(request.parameters[0]) | UInt16(request.parameters[1]) << 8
            try runtime.tracepoint("call_trans2qfsinfo", .note, "level 0x\(String(level, radix: 16))")
            guard let share = tree.share else { throw RequestError(.notSupported, "IPC$") }
            guard let bytes = FileInformationEncoding.fileSystemData(
                level: level, capacity: share.capacity(), volumeLabel: share.name,
                creationTime: server.startFileTime) else {
                throw RequestError(.invalidLevel, "level 0x\(String(level, radix: 16))")
            }
            (parameters, data) = ([], bytes)
        default:
            throw RequestError(.notSupported, "\(subcommand)")
        }
        guard data.count <= Int(request.maxDataCount), parameters.count <= Int(request.maxParameterCount) else {
            throw RequestError(.bufferTooSmall, "\(data.count) bytes, MaxDataCount \(request.maxDataCount)")
        }
        return try reply(header, Trans2Response(parameters: parameters, data: data))
    }
}
