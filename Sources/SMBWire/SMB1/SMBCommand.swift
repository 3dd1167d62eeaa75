/// An SMB1 command code (the header's `Command` byte and every `AndXCommand`).
///
/// A struct rather than an enum so that codes this codec has no name for still round-trip.
public struct SMBCommand: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public init(_ rawValue: UInt8) { self.rawValue = rawValue }

    public static let createDirectory = SMBCommand(0x00)
    public static let deleteDirectory = SMBCommand(0x01)
    public static let open = SMBCommand(0x02)
    public static let create = SMBCommand(0x03)
    public static let close = SMBCommand(0x04)
    public static let flush = SMBCommand(0x05)
    public static let delete = SMBCommand(0x06)
    public static let rename = SMBCommand(0x07)
    public static let queryInformation = SMBCommand(0x08)
    public static let setInformation = SMBCommand(0x09)
    public static let read = SMBCommand(0x0A)
    public static let write = SMBCommand(0x0B)
    public static let lockByteRange = SMBCommand(0x0C)
    public static let unlockByteRange = SMBCommand(0x0D)
    public static let createTemporary = SMBCommand(0x0E)
    public static let createNew = SMBCommand(0x0F)
    public static let checkDirectory = SMBCommand(0x10)
    public static let processExit = SMBCommand(0x11)
    public static let seek = SMBCommand(0x12)
    public static let lockAndRead = SMBCommand(0x13)
    public static let writeAndUnlock = SMBCommand(0x14)
    public static let readRaw = SMBCommand(0x1A)
    public static let readMpx = SMBCommand(0x1B)
    public static let readMpxSecondary = SMBCommand(0x1C)
    public static let writeRaw = SMBCommand(0x1D)
    public static let writeMpx = SMBCommand(0x1E)
    public static let writeMpxSecondary = SMBCommand(0x1F)
    public static let writeComplete = SMBCommand(0x20)
    public static let queryServer = SMBCommand(0x21)
    public static let setInformation2 = SMBCommand(0x22)
    public static let queryInformation2 = SMBCommand(0x23)
    public static let lockingAndX = SMBCommand(0x24)
    public static let transaction = SMBCommand(0x25)
    public static let transactionSecondary = SMBCommand(0x26)
    public static let ioctl = SMBCommand(0x27)
    public static let ioctlSecondary = SMBCommand(0x28)
    public static let copy = SMBCommand(0x29)
    public static let move = SMBCommand(0x2A)
    public static let echo = SMBCommand(0x2B)
    public static let writeAndClose = SMBCommand(0x2C)
    public static let openAndX = SMBCommand(0x2D)
    public static let readAndX = SMBCommand(0x2E)
    public static let writeAndX = SMBCommand(0x2F)
    public static let newFileSize = SMBCommand(0x30)
    public static let closeAndTreeDisconnect = SMBCommand(0x31)
    public static let transaction2 = SMBCommand(0x32)
    public static let transaction2Secondary = SMBCommand(0x33)
    public static let findClose2 = SMBCommand(0x34)
    public static let findNotifyClose = SMBCommand(0x35)
    public static let treeConnect = SMBCommand(0x70)
    public static let treeDisconnect = SMBCommand(0x71)
    public static let negotiate = SMBCommand(0x72)
    public static let sessionSetupAndX = SMBCommand(0x73)
    public static let logoffAndX = SMBCommand(0x74)
    public static let treeConnectAndX = SMBCommand(0x75)
    public static let securityPackageAndX = SMBCommand(0x7E)
    public static let queryInformationDisk = SMBCommand(0x80)
    public static let search = SMBCommand(0x81)
    public static let find = SMBCommand(0x82)
    public static let findUnique = SMBCommand(0x83)
    public static let findClose = SMBCommand(0x84)
    public static let ntTransact = SMBCommand(0xA0)
    public static let ntTransactSecondary = SMBCommand(0xA1)
    public static let ntCreateAndX = SMBCommand(0xA2)
    public static let ntCancel = SMBCommand(0xA4)
    public static let ntRename = SMBCommand(0xA5)
    public static let openPrintFile = SMBCommand(0xC0)
    public static let writePrintFile = SMBCommand(0xC1)
    public static let closePrintFile = SMBCommand(0xC2)
    public static let getPrintQueue = SMBCommand(0xC3)
    public static let readBulk = SMBCommand(0xD8)
    public static let writeBulk = SMBCommand(0xD9)
    public static let writeBulkData = SMBCommand(0xDA)
    public static let invalid = SMBCommand(0xFE)
    /// `AndXCommand` value meaning "no further command in this packet".
    public static let noAndXCommand = SMBCommand(0xFF)

    private static let names: [UInt8: String] = [
        0x00: "CREATE_DIRECTORY", 0x01: "DELETE_DIRECTORY", 0x02: "OPEN", 0x03: "CREATE",
        0x04: "CLOSE", 0x05: "FLUSH", 0x06: "DELETE", 0x07: "RENAME",
        0x08: "QUERY_INFORMATION", 0x09: "SET_INFORMATION", 0x0A: "READ", 0x0B: "WRITE",
        0x0C: "LOCK_BYTE_RANGE", 0x0D: "UNLOCK_BYTE_RANGE", 0x0E: "CREATE_TEMPORARY",
        0x0F: "CREATE_NEW", 0x10: "CHECK_DIRECTORY", 0x11: "PROCESS_EXIT", 0x12: "SEEK",
        0x13: "LOCK_AND_READ", 0x14: "WRITE_AND_UNLOCK", 0x1A: "READ_RAW", 0x1B: "READ_MPX",
        0x1C: "READ_MPX_SECONDARY", 0x1D: "WRITE_RAW", 0x1E: "WRITE_MPX",
        0x1F: "WRITE_MPX_SECONDARY", 0x20: "WRITE_COMPLETE", 0x21: "QUERY_SERVER",
        0x22: "SET_INFORMATION2", 0x23: "QUERY_INFORMATION2", 0x24: "LOCKING_ANDX",
        0x25: "TRANSACTION", 0x26: "TRANSACTION_SECONDARY", 0x27: "IOCTL",
        0x28: "IOCTL_SECONDARY", 0x29: "COPY", 0x2A: "MOVE", 0x2B: "ECHO",
        0x2C: "WRITE_AND_CLOSE", 0x2D: "OPEN_ANDX", 0x2E: "READ_ANDX", 0x2F: "WRITE_ANDX",
        0x30: "NEW_FILE_SIZE", 0x31: "CLOSE_AND_TREE_DISC", 0x32: "TRANSACTION2",
        0x33: "TRANSACTION2_SECONDARY", 0x34: "FIND_CLOSE2", 0x35: "FIND_NOTIFY_CLOSE",
        0x70: "TREE_CONNECT", 0x71: "TREE_DISCONNECT", 0x72: "NEGOTIATE",
        0x73: "SESSION_SETUP_ANDX", 0x74: "LOGOFF_ANDX", 0x75: "TREE_CONNECT_ANDX",
        0x7E: "SECURITY_PACKAGE_ANDX", 0x80: "QUERY_INFORMATION_DISK", 0x81: "SEARCH",
        0x82: "FIND", 0x83: "FIND_UNIQUE", 0x84: "FIND_CLOSE", 0xA0: "NT_TRANSACT",
        0xA1: "NT_TRANSACT_SECONDARY", 0xA2: "NT_CREATE_ANDX", 0xA4: "NT_CANCEL",
        0xA5: "NT_RENAME", 0xC0: "OPEN_PRINT_FILE", 0xC1: "WRITE_PRINT_FILE",
        0xC2: "CLOSE_PRINT_FILE", 0xC3: "GET_PRINT_QUEUE", 0xD8: "READ_BULK",
        0xD9: "WRITE_BULK", 0xDA: "WRITE_BULK_DATA", 0xFE: "INVALID", 0xFF: "NO_ANDX_COMMAND",
    ]

    /// The MS-CIFS name without the `SMB_COM_` prefix (`"READ_ANDX"`), or `0xNN` for unknown codes.
    public var name: String { Self.names[rawValue] ?? "0x" + hex(UInt64(rawValue), width: 2) }
    public var description: String { "SMB_COM_" + name }

    /// Looks a command up by name, with or without the `SMB_COM_` prefix.
    public init?(name: String) {
        let bare = name.hasPrefix("SMB_COM_") ? String(name.dropFirst(8)) : name
        guard let hit = Self.names.first(where: { $0.value == bare }) else { return nil }
        self.rawValue = hit.key
    }

    /// Commands whose parameter words begin with the AndX header
    /// (AndXCommand, AndXReserved, AndXOffset), so another command may follow in the same packet.
    public var isAndX: Bool {
        switch rawValue {
        case 0x24, 0x2D, 0x2E, 0x2F, 0x73, 0x74, 0x75, 0x7E, 0xA2: return true
        default: return false
        }
    }
}
