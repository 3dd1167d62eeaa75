/// What a share knows about one file or directory: what the info levels report.
struct ShareEntry: Equatable, Sendable {
    enum Kind: Equatable, Sendable { case file, directory }

    var kind: Kind
    /// Components under the share root (empty for the root itself).
    var components: [String]
    var size: UInt64
    /// FILETIMEs (100 ns since 1601).
    var creationTime: UInt64
    var lastAccessTime: UInt64
    var lastWriteTime: UInt64
    var changeTime: UInt64
    /// A stable number for FileInternalInformation (the inode for directory shares).
    var fileIndex: UInt64
    var linkCount: UInt32

    var isDirectory: Bool { kind == .directory }

    /// The last component, or empty for the root.
    var name: String { components.last ?? "" }

    /// The SMB form of the path, `\dir\file` (`\` for the root).
    var smbPath: String { "\\" + components.joined(separator: "\\") }

    /// AllocationSize as smbd reports it: the size rounded up to 4 KiB blocks.
    var allocationSize: UInt64 {
        kind == .directory ? 0 : (size &+ 4095) / 4096 &* 4096
    }

    /// SMB_EXT_FILE_ATTR: DIRECTORY (0x10) or NORMAL (0x80). Shares are read-only, but smbd
    /// reports NORMAL for files on them, and clients treat READONLY as a property of the file.
    var extFileAttributes: UInt32 { kind == .directory ? 0x10 : 0x80 }
}

/// FILETIME helpers.
enum FileTimeConversion {
    /// 100 ns intervals between 1601-01-01 and 1970-01-01.
    static let unixEpochOffset: UInt64 = 116_444_736_000_000_000

    static func fileTime(unixNanoseconds: UInt64) -> UInt64 {
        unixNanoseconds / 100 &+ unixEpochOffset
    }

    static func fileTime(seconds: Int, nanoseconds: Int) -> UInt64 {
        guard seconds >= 0 else { return unixEpochOffset }
        return UInt64(seconds) &* 10_000_000 &+ UInt64(max(0, nanoseconds) / 100) &+ unixEpochOffset
    }
}
