/// CreateDisposition of NT_CREATE_ANDX (MS-CIFS 2.2.4.64.1): what to do when the file exists
/// and when it does not. A struct, not an enum, so a value no constant names still decodes.
public struct NTCreateDisposition: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Replace the file if it exists, create it if not.
    public static let supersede = NTCreateDisposition(rawValue: 0)
    /// Open the file; fail if it does not exist.
    public static let open = NTCreateDisposition(rawValue: 1)
    /// Create the file; fail if it exists.
    public static let create = NTCreateDisposition(rawValue: 2)
    /// Open the file, or create it.
    public static let openIf = NTCreateDisposition(rawValue: 3)
    /// Open and truncate the file; fail if it does not exist.
    public static let overwrite = NTCreateDisposition(rawValue: 4)
    /// Open and truncate the file, or create it.
    public static let overwriteIf = NTCreateDisposition(rawValue: 5)

    /// Whether the disposition may create a file that does not exist.
    public var mayCreate: Bool { self != .open && self != .overwrite }

    public var description: String {
        switch self {
        case .supersede: return "FILE_SUPERSEDE"
        case .open: return "FILE_OPEN"
        case .create: return "FILE_CREATE"
        case .openIf: return "FILE_OPEN_IF"
        case .overwrite: return "FILE_OVERWRITE"
        case .overwriteIf: return "FILE_OVERWRITE_IF"
        default: return "disposition \(rawValue)"
        }
    }
}

/// CreateOptions of NT_CREATE_ANDX (MS-CIFS 2.2.4.64.1), the bits clients send.
public struct NTCreateOptions: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The name must be a directory.
    public static let directoryFile = NTCreateOptions(rawValue: 0x0000_0001)
    public static let writeThrough = NTCreateOptions(rawValue: 0x0000_0002)
    public static let sequentialOnly = NTCreateOptions(rawValue: 0x0000_0004)
    /// The name must not be a directory.
    public static let nonDirectoryFile = NTCreateOptions(rawValue: 0x0000_0040)
    public static let randomAccess = NTCreateOptions(rawValue: 0x0000_0800)
    /// Delete the file when the last handle closes.
    public static let deleteOnClose = NTCreateOptions(rawValue: 0x0000_1000)
    public static let openForBackupIntent = NTCreateOptions(rawValue: 0x0000_4000)
    public static let openReparsePoint = NTCreateOptions(rawValue: 0x0020_0000)
}

/// An ACCESS_MASK (MS-DTYP 2.4.3, with the file-specific rights of MS-SMB 2.2.1.4.1) as an
/// option set; ``AccessMask/describe(_:)`` names the bits of a raw value.
public struct FileAccessMask: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let readData = FileAccessMask(rawValue: 0x0000_0001)
    public static let writeData = FileAccessMask(rawValue: 0x0000_0002)
    public static let appendData = FileAccessMask(rawValue: 0x0000_0004)
    public static let readEA = FileAccessMask(rawValue: 0x0000_0008)
    public static let writeEA = FileAccessMask(rawValue: 0x0000_0010)
    public static let execute = FileAccessMask(rawValue: 0x0000_0020)
    public static let deleteChild = FileAccessMask(rawValue: 0x0000_0040)
    public static let readAttributes = FileAccessMask(rawValue: 0x0000_0080)
    public static let writeAttributes = FileAccessMask(rawValue: 0x0000_0100)
    public static let delete = FileAccessMask(rawValue: 0x0001_0000)
    public static let readControl = FileAccessMask(rawValue: 0x0002_0000)
    public static let writeDAC = FileAccessMask(rawValue: 0x0004_0000)
    public static let writeOwner = FileAccessMask(rawValue: 0x0008_0000)
    public static let synchronize = FileAccessMask(rawValue: 0x0010_0000)
    public static let maximumAllowed = FileAccessMask(rawValue: 0x0200_0000)
    public static let genericAll = FileAccessMask(rawValue: 0x1000_0000)
    public static let genericExecute = FileAccessMask(rawValue: 0x2000_0000)
    public static let genericWrite = FileAccessMask(rawValue: 0x4000_0000)
    public static let genericRead = FileAccessMask(rawValue: 0x8000_0000)

    /// Every right that would change the file, its attributes, its security or the directory
    /// it is in: what a read-only share refuses.
    public static let modifying: FileAccessMask = [
        .writeData, .appendData, .writeEA, .deleteChild, .writeAttributes, .delete, .writeDAC, .writeOwner,
        .genericAll, .genericWrite,
    ]
}

extension NTCreateAndXRequest {
    /// ``createDisposition`` typed.
    public var disposition: NTCreateDisposition { NTCreateDisposition(rawValue: createDisposition) }
    /// ``createOptions`` typed.
    public var options: NTCreateOptions { NTCreateOptions(rawValue: createOptions) }
    /// ``desiredAccess`` typed.
    public var access: FileAccessMask { FileAccessMask(rawValue: desiredAccess) }
}
