import KernelRuntime
import SMBWire

/// One directory search between FIND_FIRST2 and its end (smbd's `dptr`).
///
/// It keeps where it is, not what it found: each FIND_NEXT2 lists the directory again and
/// goes on from ``position`` (as smbd goes on from a directory offset), so an open search
/// costs a few dozen bytes however large the directory.
struct ServerSearch: Sendable, CustomStringConvertible {
    var sid: UInt16
    var tid: UInt16
    /// The user that started it: no other UID may continue or close it.
    var uid: UInt16
    var level: UInt16
    /// The directory searched and the pattern matched.
    var directory: ShareEntry
    var pattern: String
    /// Entries the first page saw (for the description).
    var total: Int
    /// Entries returned so far.
    var position = 0

    var description: String { "SID \(sid) on TID \(tid): \(total) entries" }
}

/// TRANS2_FIND_FIRST2 / FIND_NEXT2 flags (MS-CIFS 2.2.6.2.1).
enum FindFlags {
    static let closeAfterRequest: UInt16 = 0x0001
    static let closeAtEndOfSearch: UInt16 = 0x0002
}

extension ServerConnection {
    /// TRANS2_FIND_FIRST2: lists a directory of a share (what `smbclient -c ls` and the kernel's
    /// readdir send). Every result fits in the first reply unless SearchCount or MaxDataCount
    /// say otherwise; FIND_NEXT2 continues. Mirrors smbd's `call_trans2findfirst`.
    func findFirst(_ header: SMBHeader, _ tree: ServerTree, _ request: Trans2Request) throws -> Outcome {
        var r = WireReader(request.parameters, recordsSpans: false)
        _ = try r.u16("SearchAttributes")
        let searchCount = try r.u16("SearchCount")
        let flags = try r.u16("Flags")
        let level = try r.u16("InformationLevel")
        _ = try r.u32("SearchStorageType")
        let name = Self.parameterString(Array(request.parameters[min(r.offset, request.parameters.count)...]),
                                        unicode: header.isUnicode)
        return try runtime.traced("call_trans2findfirst", "\"\(name)\" level 0x\(String(level, radix: 16))") { call in
            guard let share = tree.share else { throw RequestError(.objectNameNotFound, "IPC$") }
            guard FindEntryEncoding.supports(level) else { throw RequestError(.invalidLevel, "find level \(level)") }
            // The pattern is the last component; everything before it names the directory.
            let separator = name.lastIndex(where: { $0 == "\\" || $0 == "/" })
            let directoryName = separator.map { String(name[..<$0]) } ?? ""
            let pattern = separator.map { String(name[name.index(after: $0)...]) } ?? name
            let directory: ShareEntry
            do throws(ShareError) {
                directory = try share.lookup(directoryName)
            } catch {
                throw RequestError(error.status, directoryName)
            }
            guard directory.isDirectory else { throw RequestError(.objectPathNotFound, directoryName) }
            let results = try Self.listing(share, directory, pattern)
            guard !results.isEmpty else { throw RequestError(.noSuchFile, name) }
            guard let sid = searchIDs.allocate(isInUse: { searches[$0] != nil }) else {
                throw RequestError(.insufficientResources, "no free search id")
            }
            var search = ServerSearch(sid: sid, tid: tree.tid, uid: header.uid, level: level, directory: directory,
                                      pattern: pattern, total: results.count)
            let page = try nextPage(&search, results, maxCount: searchCount, maxData: Int(request.maxDataCount),
                                    unicode: header.isUnicode)
            let end = search.position >= results.count
            var changes = StateChanges(runtime)
            if !(flags & FindFlags.closeAfterRequest != 0 || (end && flags & FindFlags.closeAtEndOfSearch != 0)) {
                try reserveSearch()
                storeSearch(search, &changes)
            }
            var w = WireWriter()
            w.u16(sid)
            w.u16(UInt16(page.count))
            w.u16(end ? 1 : 0)
            w.u16(0)  // EaErrorOffset
            w.u16(UInt16(truncatingIfNeeded: page.lastNameOffset))
            call.returning("SID \(sid): \(page.count) of \(results.count) entries" + (end ? ", end of search" : ""),
                           diff: changes.diffs)
            return try reply(header, Trans2Response(parameters: w.bytes, data: page.data))
        }
    }

    /// TRANS2_FIND_NEXT2: the next page of a search. Mirrors smbd's `call_trans2findnext`.
    func findNext(_ header: SMBHeader, _ tree: ServerTree, _ request: Trans2Request) throws -> Outcome {
        var r = WireReader(request.parameters, recordsSpans: false)
        let sid = try r.u16("SID")
        let searchCount = try r.u16("SearchCount")
        _ = try r.u16("InformationLevel")
        _ = try r.u32("ResumeKey")
        let flags = try r.u16("Flags")
        return try runtime.traced("call_trans2findnext", "SID \(sid)") { call in
            guard var search = searches[sid], search.tid == tree.tid, search.uid == header.uid else {
                throw RequestError(.invalidHandle, "SID \(sid)")
            }
            guard let share = tree.share else { throw RequestError(.invalidHandle, "SID \(sid)") }
            let results = try Self.listing(share, search.directory, search.pattern)
            let page = try nextPage(&search, results, maxCount: searchCount, maxData: Int(request.maxDataCount),
                                    unicode: header.isUnicode)
            let end = search.position >= results.count
            var changes = StateChanges(runtime)
            if flags & FindFlags.closeAfterRequest != 0 || (end && flags & FindFlags.closeAtEndOfSearch != 0) {
                removeSearch(sid, &changes)
            } else {
                storeSearch(search, &changes)
            }
            var w = WireWriter()
            w.u16(UInt16(page.count))
            w.u16(end ? 1 : 0)
            w.u16(0)
            w.u16(UInt16(truncatingIfNeeded: page.lastNameOffset))
            call.returning("\(page.count) more entries" + (end ? ", end of search" : ""), diff: changes.diffs)
            return try reply(header, Trans2Response(parameters: w.bytes, data: page.data))
        }
    }

    /// SMB_COM_FIND_CLOSE2. Mirrors smbd's `reply_findclose`.
    func findClose(_ header: SMBHeader, _ message: [UInt8]) throws -> Outcome {
        _ = try requireSession(header)
        _ = try requireTree(header)
        let block = try SMBBlock.locate(in: message, at: SMBHeader.size, command: header.command, isResponse: false)
        guard block.wordCount == 1 else {
            throw WireError.wrongWordCount(command: "FindClose2Request", got: Int(block.wordCount), expected: [1])
        }
        let at = block.parametersRange.lowerBound
        let sid = UInt16(message[at]) | UInt16(message[at + 1]) << 8
        return try runtime.traced("reply_findclose", "SID \(sid)") { call in
            guard let search = searches[sid], search.uid == header.uid else {
                throw RequestError(.invalidHandle, "SID \(sid)")
            }
            var changes = StateChanges(runtime)
            removeSearch(sid, &changes)
            call.returning("SID \(sid) closed", diff: changes.diffs)
            return try reply(header, SMBRawBlock(command: .findClose2, wordCount: 0, parameters: [], byteCount: 0, data: []))
        }
    }

    /// Encodes entries from the search's position while they fit in `maxData` bytes and
    /// `maxCount` entries. Entries start on 8-byte boundaries and are linked by NextEntryOffset;
    /// the last one has 0 and no padding. Throws when not even one entry fits.
    private func nextPage(_ search: inout ServerSearch, _ results: [(name: String, entry: ShareEntry)],
                          maxCount: UInt16, maxData: Int, unicode: Bool)
        throws -> (data: [UInt8], count: Int, lastNameOffset: Int) {
        var data: [UInt8] = []
        var count = 0
        var lastNameOffset = 0
        var previousStart: Int?
        while search.position < results.count && count < Int(max(1, maxCount)) {
            let (name, entry) = results[search.position]
            let encoded = FindEntryEncoding.entry(entry, name: name, level: search.level, unicode: unicode)
            let start = previousStart == nil ? 0 : (data.count + 7) / 8 * 8
            guard start + encoded.bytes.count <= maxData else { break }
            if let previous = previousStart {
                data += [UInt8](repeating: 0, count: start - data.count)
                let offset = UInt32(start - previous)
                for i in 0..<4 { data[previous + i] = UInt8(truncatingIfNeeded: offset >> (8 * UInt32(i))) }
            }
            previousStart = start
            lastNameOffset = start + encoded.nameOffset
            data += encoded.bytes
            count += 1
            search.position += 1
        }
        if count == 0 && search.position < results.count {
            throw RequestError(.bufferTooSmall, "MaxDataCount \(maxData) holds no entry")
        }
        return (data, count, lastNameOffset)
    }

    /// What a search of `directory` for `pattern` finds, in listing order: `.` and `..` when
    /// they match, then the matching entries by name (display name and entry).
    private static func listing(_ share: Share, _ directory: ShareEntry, _ pattern: String) throws
        -> [(name: String, entry: ShareEntry)] {
        var results: [(name: String, entry: ShareEntry)] = []
        if WildcardPattern.matches(".", pattern) { results.append((".", directory)) }
        if WildcardPattern.matches("..", pattern) {
            let parent = (try? share.lookup(directory.components.dropLast().joined(separator: "\\"))) ?? directory
            results.append(("..", parent))
        }
        do throws(ShareError) {
            results += try share.list(directory, matching: pattern).map { ($0.name, $0) }
        } catch {
            throw RequestError(error.status, directory.smbPath)
        }
        return results
    }

    /// A string parameter: UTF-16LE or OEM, up to its terminator.
    static func parameterString(_ bytes: [UInt8], unicode: Bool) -> String {
        let unit = unicode ? 2 : 1
        var end = 0
        while end + unit <= bytes.count, !bytes[end..<(end + unit)].allSatisfy({ $0 == 0 }) { end += unit }
        return SMBString.decode(bytes[0..<min(end, bytes.count)], unicode: unicode)
    }
}

/// The FIND_FIRST2 information levels (MS-CIFS 2.2.8.1): one directory entry each.
enum FindEntryEncoding {
    static let directoryInfo: UInt16 = 0x0101
    static let fullDirectoryInfo: UInt16 = 0x0102
    static let bothDirectoryInfo: UInt16 = 0x0104
    static let idFullDirectoryInfo: UInt16 = 0x0105
    static let idBothDirectoryInfo: UInt16 = 0x0106

    static func supports(_ level: UInt16) -> Bool {
        [directoryInfo, fullDirectoryInfo, bothDirectoryInfo, idFullDirectoryInfo, idBothDirectoryInfo].contains(level)
    }

    /// One entry with NextEntryOffset 0, and where its FileName starts.
    static func entry(_ entry: ShareEntry, name: String, level: UInt16, unicode: Bool) -> (bytes: [UInt8], nameOffset: Int) {
        let encodedName = SMBString.encode(name, unicode: unicode, terminated: !unicode)
        var w = WireWriter()
        w.u32(0)  // NextEntryOffset, linked by the caller
        w.u32(UInt32(truncatingIfNeeded: entry.fileIndex))
        w.u64(entry.creationTime)
        w.u64(entry.lastAccessTime)
        w.u64(entry.lastWriteTime)
        w.u64(entry.changeTime)
        w.u64(entry.size)
        w.u64(entry.allocationSize)
        w.u32(entry.extFileAttributes)
        w.u32(UInt32(encodedName.count))
        if level != directoryInfo { w.u32(0) }  // EaSize
        if level == bothDirectoryInfo || level == idBothDirectoryInfo {
            w.u8(0)  // ShortNameLength: no 8.3 names
            w.u8(0)
            w.zeros(24)
        }
        if level == idBothDirectoryInfo { w.u16(0) }
        if level == idFullDirectoryInfo { w.u32(0) }
        if level == idFullDirectoryInfo || level == idBothDirectoryInfo { w.u64(entry.fileIndex) }
        let nameOffset = w.count
        w.append(encodedName)
        return (w.bytes, nameOffset)
    }
}
