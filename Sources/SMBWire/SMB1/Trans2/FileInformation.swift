/// An information level for TRANS2_QUERY_{PATH,FILE}_INFORMATION: the SMB levels
/// (MS-CIFS 2.2.2.3.3) and, with CAP_INFOLEVEL_PASSTHRU, 1000 + an NT FileInformationClass.
public struct QueryInformationLevel: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let infoStandard = QueryInformationLevel(0x0001)
    public static let infoQueryEASize = QueryInformationLevel(0x0002)
    public static let infoQueryEAsFromList = QueryInformationLevel(0x0003)
    public static let infoQueryAllEAs = QueryInformationLevel(0x0004)
    public static let infoIsNameValid = QueryInformationLevel(0x0006)
    public static let queryFileBasicInfo = QueryInformationLevel(0x0101)
    public static let queryFileStandardInfo = QueryInformationLevel(0x0102)
    public static let queryFileEAInfo = QueryInformationLevel(0x0103)
    public static let queryFileNameInfo = QueryInformationLevel(0x0104)
    public static let queryFileAllInfo = QueryInformationLevel(0x0107)
    public static let queryFileAltNameInfo = QueryInformationLevel(0x0108)
    public static let queryFileStreamInfo = QueryInformationLevel(0x0109)
    public static let queryFileCompressionInfo = QueryInformationLevel(0x010B)
    public static let queryFileUnixBasic = QueryInformationLevel(0x0200)
    public static let queryFileUnixLink = QueryInformationLevel(0x0201)
    /// Pass-through levels: 1000 + FileInformationClass (MS-FSCC 2.4).
    public static let fileBasicInformation = QueryInformationLevel(1004)
    public static let fileStandardInformation = QueryInformationLevel(1005)
    public static let fileInternalInformation = QueryInformationLevel(1006)
    public static let fileEaInformation = QueryInformationLevel(1007)
    public static let fileNetworkOpenInformation = QueryInformationLevel(1034)
    public static let fileAttributeTagInformation = QueryInformationLevel(1035)

    private static let names: [UInt16: String] = [
        0x0001: "SMB_INFO_STANDARD", 0x0002: "SMB_INFO_QUERY_EA_SIZE", 0x0003: "SMB_INFO_QUERY_EAS_FROM_LIST",
        0x0004: "SMB_INFO_QUERY_ALL_EAS", 0x0006: "SMB_INFO_IS_NAME_VALID",
        0x0101: "SMB_QUERY_FILE_BASIC_INFO", 0x0102: "SMB_QUERY_FILE_STANDARD_INFO",
        0x0103: "SMB_QUERY_FILE_EA_INFO", 0x0104: "SMB_QUERY_FILE_NAME_INFO",
        0x0107: "SMB_QUERY_FILE_ALL_INFO", 0x0108: "SMB_QUERY_FILE_ALT_NAME_INFO",
        0x0109: "SMB_QUERY_FILE_STREAM_INFO", 0x010B: "SMB_QUERY_FILE_COMPRESSION_INFO",
        0x0200: "SMB_QUERY_FILE_UNIX_BASIC", 0x0201: "SMB_QUERY_FILE_UNIX_LINK",
        1004: "FileBasicInformation (pass-through)", 1005: "FileStandardInformation (pass-through)",
        1006: "FileInternalInformation (pass-through)", 1007: "FileEaInformation (pass-through)",
        1008: "FileAccessInformation (pass-through)", 1009: "FileNameInformation (pass-through)",
        1014: "FilePositionInformation (pass-through)", 1016: "FileModeInformation (pass-through)",
        1017: "FileAlignmentInformation (pass-through)", 1018: "FileAllInformation (pass-through)",
        1021: "FileAlternateNameInformation (pass-through)", 1022: "FileStreamInformation (pass-through)",
        1028: "FileCompressionInformation (pass-through)", 1034: "FileNetworkOpenInformation (pass-through)",
        1035: "FileAttributeTagInformation (pass-through)",
    ]

    public var name: String { Self.names[rawValue] ?? "level 0x" + hex(UInt64(rawValue), width: 4) }
    public var description: String { name }

    /// The structure name used in span names (`FileAllInfo`).
    var structureName: String {
        switch self {
        case .queryFileBasicInfo, .fileBasicInformation: return "FileBasicInfo"
        case .queryFileStandardInfo, .fileStandardInformation: return "FileStandardInfo"
        case .queryFileAllInfo: return "FileAllInfo"
        case .queryFileEAInfo, .fileEaInformation: return "FileEaInfo"
        case .fileInternalInformation: return "FileInternalInfo"
        case .fileNetworkOpenInformation: return "FileNetworkOpenInfo"
        case .fileAttributeTagInformation: return "FileAttributeTagInfo"
        default: return "Level\(rawValue)"
        }
    }
}

/// FILE_BASIC_INFO: the four times and the attributes (SMB_QUERY_FILE_BASIC_INFO, 1004).
public struct FileBasicInfo: Equatable, Sendable {
    public var creationTime: UInt64
    public var lastAccessTime: UInt64
    public var lastWriteTime: UInt64
    public var changeTime: UInt64
    public var extFileAttributes: UInt32
    /// The trailing 4 reserved bytes; nil when a server sends the 36-byte form.
    public var reserved: UInt32?

    public init(creationTime: UInt64, lastAccessTime: UInt64, lastWriteTime: UInt64, changeTime: UInt64,
                extFileAttributes: UInt32, reserved: UInt32? = 0) {
        self.creationTime = creationTime
        self.lastAccessTime = lastAccessTime
        self.lastWriteTime = lastWriteTime
        self.changeTime = changeTime
        self.extFileAttributes = extFileAttributes
        self.reserved = reserved
    }

    func encode(into w: inout WireWriter) {
        w.u64(creationTime); w.u64(lastAccessTime); w.u64(lastWriteTime); w.u64(changeTime)
        w.u32(extFileAttributes)
        if let reserved { w.u32(reserved) }
    }

    static func decode(_ r: inout WireReader) throws -> FileBasicInfo {
        let c = try r.fileTime("CreationTime"), a = try r.fileTime("LastAccessTime")
        let w = try r.fileTime("LastWriteTime"), ch = try r.fileTime("ChangeTime")
        let attributes = try r.u32("ExtFileAttributes", meaning: FileAttributes.describe)
        let reserved: UInt32? = r.remaining >= 4 ? try r.u32("Reserved") : nil
        return FileBasicInfo(creationTime: c, lastAccessTime: a, lastWriteTime: w, changeTime: ch,
                             extFileAttributes: attributes, reserved: reserved)
    }
}

/// FILE_STANDARD_INFO: sizes, link count, flags (SMB_QUERY_FILE_STANDARD_INFO, 1005).
public struct FileStandardInfo: Equatable, Sendable {
    public var allocationSize: UInt64
    public var endOfFile: UInt64
    public var numberOfLinks: UInt32
    public var deletePending: UInt8
    public var directory: UInt8
    /// The 2 reserved bytes of the 24-byte form; nil for the 22-byte form.
    public var reserved: UInt16?

    public init(allocationSize: UInt64, endOfFile: UInt64, numberOfLinks: UInt32, deletePending: UInt8 = 0,
                directory: UInt8 = 0, reserved: UInt16? = 0) {
        self.allocationSize = allocationSize
        self.endOfFile = endOfFile
        self.numberOfLinks = numberOfLinks
        self.deletePending = deletePending
        self.directory = directory
        self.reserved = reserved
    }

    func encode(into w: inout WireWriter) {
        w.u64(allocationSize); w.u64(endOfFile); w.u32(numberOfLinks); w.u8(deletePending); w.u8(directory)
        if let reserved { w.u16(reserved) }
    }

    static func decode(_ r: inout WireReader) throws -> FileStandardInfo {
        let allocation = try r.u64("AllocationSize"), eof = try r.u64("EndOfFile", meaning: { "\($0) bytes" })
        let links = try r.u32("NumberOfLinks")
        let pending = try r.u8("DeletePending"), directory = try r.u8("Directory", meaning: { $0 == 0 ? "file" : "directory" })
        let reserved: UInt16? = r.remaining >= 2 ? try r.u16("Reserved") : nil
        return FileStandardInfo(allocationSize: allocation, endOfFile: eof, numberOfLinks: links,
                                deletePending: pending, directory: directory, reserved: reserved)
    }
}

/// SMB_QUERY_FILE_ALL_INFO (MS-CIFS 2.2.8.3.8): basic + standard + EA size + name.
public struct FileAllInfo: Equatable, Sendable {
    public var creationTime: UInt64
    public var lastAccessTime: UInt64
    public var lastWriteTime: UInt64
    public var changeTime: UInt64
    public var extFileAttributes: UInt32
    public var reserved1: UInt32
    public var allocationSize: UInt64
    public var endOfFile: UInt64
    public var numberOfLinks: UInt32
    public var deletePending: UInt8
    public var directory: UInt8
    public var reserved2: UInt16
    public var eaSize: UInt32
    /// In the message's string encoding, FileNameLength bytes, no terminator.
    public var fileName: String

    public init(creationTime: UInt64, lastAccessTime: UInt64, lastWriteTime: UInt64, changeTime: UInt64,
                extFileAttributes: UInt32, reserved1: UInt32 = 0, allocationSize: UInt64, endOfFile: UInt64,
                numberOfLinks: UInt32, deletePending: UInt8 = 0, directory: UInt8 = 0, reserved2: UInt16 = 0,
                eaSize: UInt32 = 0, fileName: String) {
        self.creationTime = creationTime
        self.lastAccessTime = lastAccessTime
        self.lastWriteTime = lastWriteTime
        self.changeTime = changeTime
        self.extFileAttributes = extFileAttributes
        self.reserved1 = reserved1
        self.allocationSize = allocationSize
        self.endOfFile = endOfFile
        self.numberOfLinks = numberOfLinks
        self.deletePending = deletePending
        self.directory = directory
        self.reserved2 = reserved2
        self.eaSize = eaSize
        self.fileName = fileName
    }

    func encode(into w: inout WireWriter, unicode: Bool) {
        w.u64(creationTime); w.u64(lastAccessTime); w.u64(lastWriteTime); w.u64(changeTime)
        w.u32(extFileAttributes); w.u32(reserved1)
        w.u64(allocationSize); w.u64(endOfFile); w.u32(numberOfLinks); w.u8(deletePending); w.u8(directory)
        w.u16(reserved2); w.u32(eaSize)
        let name = SMBString.encode(fileName, unicode: unicode, terminated: false)
        w.u32(UInt32(truncatingIfNeeded: name.count))
        w.append(name)
    }

    static func decode(_ r: inout WireReader, unicode: Bool) throws -> FileAllInfo {
        let c = try r.fileTime("CreationTime"), a = try r.fileTime("LastAccessTime")
        let w = try r.fileTime("LastWriteTime"), ch = try r.fileTime("ChangeTime")
        let attributes = try r.u32("ExtFileAttributes", meaning: FileAttributes.describe)
        let reserved1 = try r.u32("Reserved1")
        let allocation = try r.u64("AllocationSize"), eof = try r.u64("EndOfFile", meaning: { "\($0) bytes" })
        let links = try r.u32("NumberOfLinks")
        let pending = try r.u8("DeletePending"), directory = try r.u8("Directory", meaning: { $0 == 0 ? "file" : "directory" })
        let reserved2 = try r.u16("Reserved2")
        let eaSize = try r.u32("EaSize")
        let nameLength = try r.u32("FileNameLength")
        guard nameLength <= UInt32(r.remaining), !unicode || nameLength % 2 == 0 else {
            throw WireError.outOfRange(field: r.prefix + "FileName", offset: r.offset, length: Int(nameLength), limit: r.limit)
        }
        let start = r.offset
        let raw = try r.slice("FileName", at: start, count: Int(nameLength))
        let name = SMBString.decode(raw, unicode: unicode)
        try r.skipSilently(Int(nameLength))
        r.record("FileName", from: start, value: "\"\(name)\"")
        return FileAllInfo(creationTime: c, lastAccessTime: a, lastWriteTime: w, changeTime: ch, extFileAttributes: attributes,
                           reserved1: reserved1, allocationSize: allocation, endOfFile: eof, numberOfLinks: links,
                           deletePending: pending, directory: directory, reserved2: reserved2, eaSize: eaSize, fileName: name)
    }
}

/// FILE_NETWORK_OPEN_INFORMATION (pass-through 1034, MS-FSCC 2.4.29).
public struct FileNetworkOpenInfo: Equatable, Sendable {
    public var creationTime: UInt64
    public var lastAccessTime: UInt64
    public var lastWriteTime: UInt64
    public var changeTime: UInt64
    public var allocationSize: UInt64
    public var endOfFile: UInt64
    public var fileAttributes: UInt32
    public var reserved: UInt32

    public init(creationTime: UInt64, lastAccessTime: UInt64, lastWriteTime: UInt64, changeTime: UInt64,
                allocationSize: UInt64, endOfFile: UInt64, fileAttributes: UInt32, reserved: UInt32 = 0) {
        self.creationTime = creationTime
        self.lastAccessTime = lastAccessTime
        self.lastWriteTime = lastWriteTime
        self.changeTime = changeTime
        self.allocationSize = allocationSize
        self.endOfFile = endOfFile
        self.fileAttributes = fileAttributes
        self.reserved = reserved
    }

    func encode(into w: inout WireWriter) {
        w.u64(creationTime); w.u64(lastAccessTime); w.u64(lastWriteTime); w.u64(changeTime)
        w.u64(allocationSize); w.u64(endOfFile); w.u32(fileAttributes); w.u32(reserved)
    }

    static func decode(_ r: inout WireReader) throws -> FileNetworkOpenInfo {
        let c = try r.fileTime("CreationTime"), a = try r.fileTime("LastAccessTime")
        let w = try r.fileTime("LastWriteTime"), ch = try r.fileTime("ChangeTime")
        let allocation = try r.u64("AllocationSize"), eof = try r.u64("EndOfFile", meaning: { "\($0) bytes" })
        let attributes = try r.u32("FileAttributes", meaning: FileAttributes.describe)
        let reserved = try r.u32("Reserved")
        return FileNetworkOpenInfo(creationTime: c, lastAccessTime: a, lastWriteTime: w, changeTime: ch,
                                   allocationSize: allocation, endOfFile: eof, fileAttributes: attributes, reserved: reserved)
    }
}

/// The data of a QUERY_*_INFORMATION response, typed by information level.
public enum FileInformation: Equatable, Sendable {
    case basic(FileBasicInfo)
    case standard(FileStandardInfo)
    case all(FileAllInfo)
    case networkOpen(FileNetworkOpenInfo)
    /// FileInternalInformation: the server's file index number.
    case internalInfo(indexNumber: UInt64)
    /// SMB_QUERY_FILE_EA_INFO / FileEaInformation.
    case eaSize(UInt32)
    /// FileAttributeTagInformation.
    case attributeTag(fileAttributes: UInt32, reparseTag: UInt32)
    /// A level this codec does not decode.
    case raw([UInt8])

    /// Decodes `level` from the reader's remaining bytes; bytes left over are an error.
    public static func decode(level: QueryInformationLevel, _ r: inout WireReader, unicode: Bool) throws -> FileInformation {
        let value: FileInformation
        switch level {
        case .queryFileBasicInfo, .fileBasicInformation: value = .basic(try FileBasicInfo.decode(&r))
        case .queryFileStandardInfo, .fileStandardInformation: value = .standard(try FileStandardInfo.decode(&r))
        case .queryFileAllInfo: value = .all(try FileAllInfo.decode(&r, unicode: unicode))
        case .fileNetworkOpenInformation: value = .networkOpen(try FileNetworkOpenInfo.decode(&r))
        case .fileInternalInformation: value = .internalInfo(indexNumber: try r.u64("IndexNumber"))
        case .queryFileEAInfo, .fileEaInformation: value = .eaSize(try r.u32("EaSize"))
        case .fileAttributeTagInformation:
            let attributes = try r.u32("FileAttributes", meaning: FileAttributes.describe)
            value = .attributeTag(fileAttributes: attributes, reparseTag: try r.u32("ReparseTag"))
        default:
            return .raw(try r.rest("Data"))
        }
        guard r.isAtEnd else {
            throw WireError.invalidValue(field: r.prefix + "Data", reason: "\(r.remaining) bytes after \(level.name)")
        }
        return value
    }

    public func encode(unicode: Bool) -> [UInt8] {
        var w = WireWriter()
        switch self {
        case let .basic(v): v.encode(into: &w)
        case let .standard(v): v.encode(into: &w)
        case let .all(v): v.encode(into: &w, unicode: unicode)
        case let .networkOpen(v): v.encode(into: &w)
        case let .internalInfo(n): w.u64(n)
        case let .eaSize(n): w.u32(n)
        case let .attributeTag(attributes, tag): w.u32(attributes); w.u32(tag)
        case let .raw(bytes): w.append(bytes)
        }
        return w.bytes
    }
}
