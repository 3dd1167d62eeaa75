import KernelRuntime
import SMBWire

extension ServerConnection {
    /// SMB_COM_TRANSACTION2: QUERY_FILE_INFORMATION, QUERY_PATH_INFORMATION,
    /// QUERY_FS_INFORMATION, FIND_FIRST2/FIND_NEXT2, and GET_DFS_REFERRAL answered STATUS_NOT_FOUND (this server is
    /// not a DFS server; smbd answers the same). Other subcommands: STATUS_NOT_SUPPORTED.
    /// Mirrors smbd's `reply_trans2`.
    func trans2(_ header: SMBHeader, _ message: [UInt8]) throws -> Outcome {
        _ = try requireSession(header)
        let tree = try requireTree(header)
        let request = try decode(Trans2Request.self, header, message)
        guard let subcommand = request.subcommand else { throw RequestError(.invalidParameter, "no setup words") }
        return try runtime.traced("reply_trans2", "\(subcommand)") { call in
            guard Int(request.totalParameterCount) == request.parameters.count,
                  Int(request.totalDataCount) == request.data.count else {
                throw RequestError(.notSupported, "multi-part TRANS2")
            }
            let parameters: [UInt8]
            let data: [UInt8]
            switch subcommand {
            case .getDFSReferral:
                throw RequestError(.notFound, "not a DFS server")
            case .findFirst2:
                call.returning("\(subcommand) answered")
                return try findFirst(header, tree, request)
            case .findNext2:
                call.returning("\(subcommand) answered")
                return try findNext(header, tree, request)
            case .queryFileInformation, .queryPathInformation:
                (parameters, data) = try queryFilePathInformation(header, tree, request, subcommand)
            case .queryFSInformation:
                (parameters, data) = try queryFSInformation(tree, request)
            default:
                throw RequestError(.notSupported, "\(subcommand)")
            }
            guard data.count <= Int(request.maxDataCount), parameters.count <= Int(request.maxParameterCount) else {
                throw RequestError(.bufferTooSmall, "\(data.count) bytes, MaxDataCount \(request.maxDataCount)")
            }
            call.returning("\(subcommand): \(parameters.count) parameter and \(data.count) data bytes")
            return try reply(header, Trans2Response(parameters: parameters, data: data))
        }
    }

    /// What a QUERY_FILE_INFORMATION or QUERY_PATH_INFORMATION names.
    private enum InformationTarget: CustomStringConvertible {
        case file(fid: UInt16)
        case path(String)

        var description: String {
            switch self {
            case let .file(fid): return "FID 0x\(String(fid, radix: 16))"
            case let .path(name): return "\"\(name)\""
            }
        }
    }

    /// TRANS2_QUERY_FILE_INFORMATION and TRANS2_QUERY_PATH_INFORMATION: one information level
    /// of an open file or of a path. Mirrors smbd's `call_trans2qfilepathinfo` (which serves
    /// both).
    private func queryFilePathInformation(_ header: SMBHeader, _ tree: ServerTree, _ request: Trans2Request,
                                          _ subcommand: Trans2Subcommand) throws -> (parameters: [UInt8], data: [UInt8]) {
        let unicode = header.isUnicode
        let target: InformationTarget
        let level: QueryInformationLevel
        if subcommand == .queryFileInformation {
            let query = try Trans2QueryFileInformationRequest(parameters: request.parameters)
            (target, level) = (.file(fid: query.fid), query.informationLevel)
        } else {
            let query = try Trans2QueryPathInformationRequest(parameters: request.parameters, unicode: unicode)
            (target, level) = (.path(query.fileName), query.informationLevel)
        }
        return try runtime.traced("call_trans2qfilepathinfo", "\(target) level \(level)") { call in
            let entry: ShareEntry
            switch target {
            case let .file(fid):
                entry = try requireFile(fid, header, call).file.entry
            case let .path(name):
                guard let share = tree.share else { throw RequestError(.objectNameNotFound, "IPC$") }
                do throws(ShareError) { entry = try share.lookup(name) } catch { throw RequestError(error.status, name) }
            }
            guard let bytes = FileInformationEncoding.data(for: entry, level: level, unicode: unicode) else {
                throw RequestError(.invalidLevel, "\(level)")
            }
            call.returning("\(entry.smbPath): \(bytes.count) bytes of level \(level)")
            return (Trans2QueryInformationResponseParameters().encodeParameters(), bytes)
        }
    }

    /// TRANS2_QUERY_FS_INFORMATION: one information level of the share's file system. Mirrors
    /// smbd's `call_trans2qfsinfo`.
    private func queryFSInformation(_ tree: ServerTree, _ request: Trans2Request)
        throws -> (parameters: [UInt8], data: [UInt8]) {
        guard request.parameters.count >= 2 else { throw RequestError(.invalidParameter, "no information level") }
        let level = UInt16(request.parameters[0]) | UInt16(request.parameters[1]) << 8
        return try runtime.traced("call_trans2qfsinfo", "level 0x\(String(level, radix: 16))") { call in
            guard let share = tree.share else { throw RequestError(.notSupported, "IPC$") }
            guard let bytes = FileInformationEncoding.fileSystemData(
                level: level, capacity: share.capacity(), volumeLabel: share.name,
                creationTime: server.startFileTime) else {
                throw RequestError(.invalidLevel, "level 0x\(String(level, radix: 16))")
            }
            call.returning("\(share.name): \(bytes.count) bytes")
            return ([], bytes)
        }
    }
}
