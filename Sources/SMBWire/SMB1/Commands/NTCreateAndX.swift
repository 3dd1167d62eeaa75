/// SMB_COM_NT_CREATE_ANDX request (MS-CIFS 2.2.4.64.1): open or create a file by name.
public struct NTCreateAndXRequest: SMBMessageBody {
    public static let command = SMBCommand.ntCreateAndX
    public static let isResponse = false
    public static let spanPrefix = "NTCreateAndXRequest"

    /// Flags: request an exclusive oplock.
    public static let flagRequestOplock: UInt32 = 0x02
    /// Flags: request a batch oplock.
    public static let flagRequestBatchOplock: UInt32 = 0x04
    /// Flags: the target must be a directory.
    public static let flagOpenTargetDirectory: UInt32 = 0x08
    /// Flags: ask for the 42-word extended response (MS-SMB).
    public static let flagExtendedResponse: UInt32 = 0x10

    public var andX: AndXTrailer
    public var reserved: UInt8
    public var flags: UInt32
    public var rootDirectoryFID: UInt32
    /// ACCESS_MASK (`FILE_READ_DATA`, `GENERIC_READ`, …).
    public var desiredAccess: UInt32
    public var allocationSize: UInt64
    public var extFileAttributes: UInt32
    /// FILE_SHARE_READ 1, FILE_SHARE_WRITE 2, FILE_SHARE_DELETE 4.
    public var shareAccess: UInt32
    /// FILE_SUPERSEDE 0, FILE_OPEN 1, FILE_CREATE 2, FILE_OPEN_IF 3, FILE_OVERWRITE 4, FILE_OVERWRITE_IF 5.
    public var createDisposition: UInt32
    public var createOptions: UInt32
    public var impersonationLevel: UInt32
    public var securityFlags: UInt8
    /// Path relative to the share root, e.g. `\hello.txt`.
    public var fileName: String
    public var nameLayout: NameLayout

    /// How the name was laid out, for exact re-encoding.
    public struct NameLayout: Equatable, Sendable {
        /// Pad byte(s) before the name where they differ from the usual one Unicode pad byte.
        public var pad: [UInt8]?
        /// NameLength counts the terminator (the kernel and smbclient do; Windows does not).
        public var lengthIncludesTerminator: Bool
        /// Bytes after the NameLength bytes (smbclient adds an extra null terminator).
        public var trailing: [UInt8]

        public init(pad: [UInt8]? = nil, lengthIncludesTerminator: Bool = true, trailing: [UInt8] = []) {
            self.pad = pad
            self.lengthIncludesTerminator = lengthIncludesTerminator
            self.trailing = trailing
        }
    }

    public init(andX: AndXTrailer = AndXTrailer(), reserved: UInt8 = 0, flags: UInt32 = 0, rootDirectoryFID: UInt32 = 0,
                desiredAccess: UInt32, allocationSize: UInt64 = 0, extFileAttributes: UInt32 = 0,
                shareAccess: UInt32, createDisposition: UInt32, createOptions: UInt32,
                impersonationLevel: UInt32 = 2, securityFlags: UInt8 = 0, fileName: String,
                nameLayout: NameLayout = NameLayout()) {
        self.andX = andX
        self.reserved = reserved
        self.flags = flags
        self.rootDirectoryFID = rootDirectoryFID
        self.desiredAccess = desiredAccess
        self.allocationSize = allocationSize
        self.extFileAttributes = extFileAttributes
        self.shareAccess = shareAccess
        self.createDisposition = createDisposition
        self.createOptions = createOptions
        self.impersonationLevel = impersonationLevel
        self.securityFlags = securityFlags
        self.fileName = fileName
        self.nameLayout = nameLayout
    }

    public func encode(into e: inout SMBPacketEncoder) throws {
        let name = SMBString.encode(fileName, unicode: e.unicode, terminated: nameLayout.lengthIncludesTerminator)
        guard name.count <= Int(UInt16.max) else {
            throw WireError.tooLarge(field: "NTCreateAndXRequest.NameLength", length: name.count, cap: Int(UInt16.max))
        }
        let wc = e.beginParameters()
        e.andXHeader(reserved: andX.reserved, terminalOffset: andX.terminalOffset)
        e.u8(reserved)
        e.u16(UInt16(name.count))
        e.u32(flags)
        e.u32(rootDirectoryFID)
        e.u32(desiredAccess)
        e.u64(allocationSize)
        e.u32(extFileAttributes)
        e.u32(shareAccess)
        e.u32(createDisposition)
        e.u32(createOptions)
        e.u32(impersonationLevel)
        e.u8(securityFlags)
        try e.endParameters(wc)
        let bc = e.beginData()
        if let pad = nameLayout.pad {
            e.append(pad)
        } else if e.unicode && e.position % 2 == 1 {
            e.u8(0)
        }
        e.append(name)
        e.append(nameLayout.trailing)
        try e.endData(bc)
    }

    public static func decode(_ block: SMBBlock, in packet: [UInt8], context: SMBDecodeContext) throws -> Annotated<Self> {
        var r = blockReader(block, in: packet, context: context)
        _ = try readWordCount(&r, allowed: [24])
        let andX = try readAndX(&r)
        let reserved = try r.u8("Reserved")
        let nameLength = try r.u16("NameLength", meaning: { "\($0) bytes of name" })
        let flags = try r.u32("Flags", meaning: flagsMeaning)
        let root = try r.u32("RootDirectoryFID")
        let access = try r.u32("DesiredAccess", meaning: AccessMask.describe)
        let allocation = try r.u64("AllocationSize")
        let attributes = try r.u32("ExtFileAttributes", meaning: FileAttributes.describe)
        let share = try r.u32("ShareAccess", meaning: shareMeaning)
        let disposition = try r.u32("CreateDisposition", meaning: dispositionMeaning)
        let options = try r.u32("CreateOptions", meaning: createOptionsMeaning)
        let impersonation = try r.u32("ImpersonationLevel", meaning: impersonationMeaning)
        let securityFlags = try r.u8("SecurityFlags")
        _ = try readByteCount(&r)
        var layout = NameLayout()
        if context.unicode && r.offset % 2 == 1 {
            if r.remaining > 0 {
                let pad = try r.bytes("Pad", count: 1, meaning: "align name to 2 bytes")
                if pad != [0] { layout.pad = pad }
            } else {
                layout.pad = [] // no data at all, not even the pad
            }
        }
        let unit = context.unicode ? 2 : 1
        guard Int(nameLength) % unit == 0 else {
            throw WireError.invalidValue(field: spanPrefix + ".NameLength", reason: "\(nameLength) is not a whole number of UTF-16 units")
        }
        let nameStart = r.offset
        let nameBytes = try r.slice("FileName", at: nameStart, count: Int(nameLength))
        var textBytes = nameBytes
        let endsWithTerminator = nameBytes.count >= unit && nameBytes.suffix(unit).allSatisfy { $0 == 0 }
        if endsWithTerminator { textBytes = nameBytes.dropLast(unit) }
        layout.lengthIncludesTerminator = endsWithTerminator
        let name = SMBString.decode(textBytes, unicode: context.unicode)
        try r.skipSilently(Int(nameLength))
        r.record("FileName", from: nameStart, value: "\"\(name)\"",
                 meaning: context.unicode ? "UTF-16LE" : "OEM")
        if r.remaining > 0 {
            layout.trailing = try r.bytes("Trailing", count: r.remaining, meaning: "bytes after NameLength")
        }
        let value = NTCreateAndXRequest(andX: AndXTrailer(andX), reserved: reserved, flags: flags, rootDirectoryFID: root,
                                        desiredAccess: access, allocationSize: allocation, extFileAttributes: attributes,
                                        shareAccess: share, createDisposition: disposition, createOptions: options,
                                        impersonationLevel: impersonation, securityFlags: securityFlags, fileName: name,
                                        nameLayout: layout)
        return Annotated(value: value, spans: r.spans)
    }

    static func flagsMeaning(_ v: UInt32) -> String {
        let names: [(UInt32, String)] = [(0x02, "REQUEST_OPLOCK"), (0x04, "REQUEST_OPBATCH"),
                                         (0x08, "OPEN_TARGET_DIR"), (0x10, "REQUEST_EXTENDED_RESPONSE")]
        return bitList(v, names)
    }

    static func shareMeaning(_ v: UInt32) -> String {
        bitList(v, [(1, "FILE_SHARE_READ"), (2, "FILE_SHARE_WRITE"), (4, "FILE_SHARE_DELETE")])
    }

    static func dispositionMeaning(_ v: UInt32) -> String {
        let names = ["FILE_SUPERSEDE", "FILE_OPEN", "FILE_CREATE", "FILE_OPEN_IF", "FILE_OVERWRITE", "FILE_OVERWRITE_IF"]
        return v < names.count ? names[Int(v)] : "unknown"
    }

    static func createOptionsMeaning(_ v: UInt32) -> String {
        bitList(v, [(0x1, "FILE_DIRECTORY_FILE"), (0x2, "FILE_WRITE_THROUGH"), (0x4, "FILE_SEQUENTIAL_ONLY"),
                    (0x8, "FILE_NO_INTERMEDIATE_BUFFERING"), (0x10, "FILE_SYNCHRONOUS_IO_ALERT"),
                    (0x20, "FILE_SYNCHRONOUS_IO_NONALERT"), (0x40, "FILE_NON_DIRECTORY_FILE"),
                    (0x100, "FILE_COMPLETE_IF_OPLOCKED"), (0x200, "FILE_NO_EA_KNOWLEDGE"),
                    (0x800, "FILE_RANDOM_ACCESS"), (0x1000, "FILE_DELETE_ON_CLOSE"),
                    (0x2000, "FILE_OPEN_BY_FILE_ID"), (0x4000, "FILE_OPEN_FOR_BACKUP_INTENT"),
                    (0x200000, "FILE_OPEN_REPARSE_POINT"), (0x800000, "FILE_OPEN_FOR_FREE_SPACE_QUERY")])
    }

    static func impersonationMeaning(_ v: UInt32) -> String {
        let names = ["SECURITY_ANONYMOUS", "SECURITY_IDENTIFICATION", "SECURITY_IMPERSONATION", "SECURITY_DELEGATION"]
        return v < names.count ? names[Int(v)] : "unknown"
    }
}

/// `"A|B|0x…"` for the set bits of `v`, `"none"` when zero.
func bitList(_ v: UInt32, _ names: [(UInt32, String)]) -> String {
    if v == 0 { return "none" }
    var parts = names.filter { v & $0.0 != 0 }.map(\.1)
    let known = names.reduce(UInt32(0)) { $0 | $1.0 }
    if v & ~known != 0 { parts.append("0x" + hex(UInt64(v & ~known), width: 8)) }
    return parts.joined(separator: "|")
}

/// SMB_EXT_FILE_ATTR names (MS-CIFS 2.2.1.2.3).
public enum FileAttributes {
    public static let readOnly: UInt32 = 0x01
    public static let hidden: UInt32 = 0x02
    public static let system: UInt32 = 0x04
    public static let directory: UInt32 = 0x10
    public static let archive: UInt32 = 0x20
    public static let normal: UInt32 = 0x80

    public static func describe(_ v: UInt32) -> String {
        bitList(v, [(0x1, "READONLY"), (0x2, "HIDDEN"), (0x4, "SYSTEM"), (0x10, "DIRECTORY"), (0x20, "ARCHIVE"),
                    (0x80, "NORMAL"), (0x100, "TEMPORARY"), (0x200, "SPARSE"), (0x400, "REPARSE_POINT"),
                    (0x800, "COMPRESSED"), (0x1000, "OFFLINE"), (0x2000, "NOT_CONTENT_INDEXED"),
                    (0x4000, "ENCRYPTED")])
    }
}

/// SMB_COM_NT_CREATE_ANDX response: 34 words (MS-CIFS 2.2.4.64.2), or the extended form
/// (MS-SMB 2.2.4.9.2) whose WordCount says 42 while 50 words of parameters follow.
public struct NTCreateAndXResponse: SMBMessageBody {
    public static let command = SMBCommand.ntCreateAndX
    public static let isResponse = true
    public static let spanPrefix = "NTCreateAndXResponse"

    /// The WordCount servers put on the extended response.
    public static let extendedWordCount: UInt8 = 42
    /// The parameter bytes that actually follow it (50 words).
    public static let extendedParameterBytes = 100

    /// The fields only the extended response carries.
    public struct Extended: Equatable, Sendable {
        public var volumeGUID: [UInt8]
        public var fileId: UInt64
        public var maximalAccessRights: UInt32
        public var guestMaximalAccessRights: UInt32
        public init(volumeGUID: [UInt8], fileId: UInt64, maximalAccessRights: UInt32, guestMaximalAccessRights: UInt32) {
            self.volumeGUID = volumeGUID
            self.fileId = fileId
            self.maximalAccessRights = maximalAccessRights
            self.guestMaximalAccessRights = guestMaximalAccessRights
        }
    }

    public var andX: AndXTrailer
    public var oplockLevel: UInt8
    public var fid: UInt16
    /// What the server did: FILE_SUPERSEDED 0, FILE_OPENED 1, FILE_CREATED 2, FILE_OVERWRITTEN 3.
    public var createDisposition: UInt32
    public var creationTime: UInt64
    public var lastAccessTime: UInt64
    public var lastWriteTime: UInt64
    public var changeTime: UInt64
    public var extFileAttributes: UInt32
    public var allocationSize: UInt64
    public var endOfFile: UInt64
    public var resourceType: UInt16
    public var nmPipeStatus: UInt16
    public var directory: UInt8
    public var extended: Extended?
    /// Data bytes (ByteCount is 0 in practice).
    public var data: [UInt8]

    public init(andX: AndXTrailer = AndXTrailer(), oplockLevel: UInt8 = 0, fid: UInt16, createDisposition: UInt32,
                creationTime: UInt64, lastAccessTime: UInt64, lastWriteTime: UInt64, changeTime: UInt64,
                extFileAttributes: UInt32, allocationSize: UInt64, endOfFile: UInt64, resourceType: UInt16 = 0,
                nmPipeStatus: UInt16 = 0, directory: UInt8 = 0, extended: Extended? = nil, data: [UInt8] = []) {
        self.andX = andX
        self.oplockLevel = oplockLevel
        self.fid = fid
        self.createDisposition = createDisposition
        self.creationTime = creationTime
        self.lastAccessTime = lastAccessTime
        self.lastWriteTime = lastWriteTime
        self.changeTime = changeTime
        self.extFileAttributes = extFileAttributes
        self.allocationSize = allocationSize
        self.endOfFile = endOfFile
        self.resourceType = resourceType
        self.nmPipeStatus = nmPipeStatus
        self.directory = directory
        self.extended = extended
        self.data = data
    }

    public func encode(into e: inout SMBPacketEncoder) throws {
        if let x = extended, x.volumeGUID.count != 16 {
            throw WireError.invalidValue(field: "NTCreateAndXResponse.VolumeGUID", reason: "must be 16 bytes, got \(x.volumeGUID.count)")
        }
        let wc = e.beginParameters()
        e.andXHeader(reserved: andX.reserved, terminalOffset: andX.terminalOffset)
        e.u8(oplockLevel)
        e.u16(fid)
        e.u32(createDisposition)
        e.u64(creationTime)
        e.u64(lastAccessTime)
        e.u64(lastWriteTime)
        e.u64(changeTime)
        e.u32(extFileAttributes)
        e.u64(allocationSize)
        e.u64(endOfFile)
        e.u16(resourceType)
        e.u16(nmPipeStatus)
        e.u8(directory)
        if let x = extended {
            e.append(x.volumeGUID)
            e.u64(x.fileId)
            e.u32(x.maximalAccessRights)
            e.u32(x.guestMaximalAccessRights)
            // 68 + 32 = 100 bytes: 50 words, declared as 42 as Windows and Samba do.
            try e.endParameters(wc, declaredWordCount: Self.extendedWordCount)
        } else {
            try e.endParameters(wc)
        }
        let bc = e.beginData()
        e.append(data)
        try e.endData(bc)
    }

    public static func decode(_ block: SMBBlock, in packet: [UInt8], context: SMBDecodeContext) throws -> Annotated<Self> {
        var r = blockReader(block, in: packet, context: context)
        let wc = try r.u8("WordCount", meaning: {
            $0 == extendedWordCount ? "42 declared, 50 words follow (extended response)" : "\($0) parameter words"
        })
        guard wc == 34 || wc == extendedWordCount else {
            throw WireError.wrongWordCount(command: spanPrefix, got: Int(wc), expected: [34, Int(extendedWordCount)])
        }
        let andX = try readAndX(&r)
        let oplock = try r.u8("OplockLevel", meaning: { ["none", "exclusive", "batch", "level II"][Int(min($0, 3))] })
        let fid = try r.u16("FID")
        let disposition = try r.u32("CreateDisposition", meaning: {
            $0 < 4 ? ["FILE_SUPERSEDED", "FILE_OPENED", "FILE_CREATED", "FILE_OVERWRITTEN"][Int($0)] : "unknown"
        })
        let created = try r.fileTime("CreationTime")
        let accessed = try r.fileTime("LastAccessTime")
        let written = try r.fileTime("LastWriteTime")
        let changed = try r.fileTime("ChangeTime")
        let attributes = try r.u32("ExtFileAttributes", meaning: FileAttributes.describe)
        let allocation = try r.u64("AllocationSize")
        let eof = try r.u64("EndOfFile", meaning: { "\($0) bytes" })
        let resource = try r.u16("ResourceType", meaning: { $0 == 0 ? "FileTypeDisk" : nil })
        let pipe = try r.u16("NMPipeStatus")
        let directory = try r.u8("Directory", meaning: { $0 == 0 ? "file" : "directory" })
        var extended: Extended?
        if wc == extendedWordCount {
            let guid = try r.guid("VolumeGUID")
            let fileId = try r.u64("FileId")
            let maximal = try r.u32("MaximalAccessRights", meaning: AccessMask.describe)
            let guest = try r.u32("GuestMaximalAccessRights", meaning: AccessMask.describe)
            extended = Extended(volumeGUID: guid, fileId: fileId, maximalAccessRights: maximal, guestMaximalAccessRights: guest)
        }
        _ = try readByteCount(&r)
        let data = try r.rest("Data")
        let value = NTCreateAndXResponse(andX: AndXTrailer(andX), oplockLevel: oplock, fid: fid, createDisposition: disposition,
                                         creationTime: created, lastAccessTime: accessed, lastWriteTime: written,
                                         changeTime: changed, extFileAttributes: attributes, allocationSize: allocation,
                                         endOfFile: eof, resourceType: resource, nmPipeStatus: pipe, directory: directory,
                                         extended: extended, data: data)
        return Annotated(value: value, spans: r.spans)
    }
}
