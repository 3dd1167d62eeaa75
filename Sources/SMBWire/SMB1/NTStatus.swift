/// A 32-bit NT status code (MS-ERREF 2.3), as carried in the SMB1 header's `Status` field
/// when `FLAGS2_NT_STATUS` is set.
public struct NTStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    /// Severity is the top two bits: 0 success, 1 informational, 2 warning, 3 error.
    public var severity: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 30) }
    /// True for error severity (0xC…). Warnings such as `BUFFER_OVERFLOW` are not errors.
    public var isError: Bool { severity == 3 }
    public var isSuccess: Bool { self == .success }

    /// `"STATUS_LOGON_FAILURE"`, or `"0xc00000ff"` for codes this table does not know.
    public var name: String { Self.table[rawValue] ?? "0x" + hex(UInt64(rawValue), width: 8) }
    public var description: String { name }

    /// Looks a status up by name, with or without the `STATUS_` prefix.
    public init?(name: String) {
        let full = name.hasPrefix("STATUS_") ? name : "STATUS_" + name
        guard let raw = Self.byName[full] else { return nil }
        self.rawValue = raw
    }

    /// Every code with a name, sorted by value.
    public static var allKnown: [NTStatus] { table.keys.sorted().map(NTStatus.init(rawValue:)) }

    public static let success = NTStatus(0x0000_0000)
    public static let pending = NTStatus(0x0000_0103)
    public static let notifyEnumDir = NTStatus(0x0000_010C)
    public static let objectNameExists = NTStatus(0x4000_0000)
    public static let bufferOverflow = NTStatus(0x8000_0005)
    public static let noMoreFiles = NTStatus(0x8000_0006)
    public static let eaListInconsistent = NTStatus(0x8000_0014)
    public static let stoppedOnSymlink = NTStatus(0x8000_002D)
    public static let unsuccessful = NTStatus(0xC000_0001)
    public static let notImplemented = NTStatus(0xC000_0002)
    public static let invalidInfoClass = NTStatus(0xC000_0003)
    public static let infoLengthMismatch = NTStatus(0xC000_0004)
    public static let invalidHandle = NTStatus(0xC000_0008)
    public static let invalidParameter = NTStatus(0xC000_000D)
    public static let noSuchDevice = NTStatus(0xC000_000E)
    public static let noSuchFile = NTStatus(0xC000_000F)
    public static let invalidDeviceRequest = NTStatus(0xC000_0010)
    public static let endOfFile = NTStatus(0xC000_0011)
    public static let moreProcessingRequired = NTStatus(0xC000_0016)
    public static let noMemory = NTStatus(0xC000_0017)
    public static let accessDenied = NTStatus(0xC000_0022)
    public static let bufferTooSmall = NTStatus(0xC000_0023)
    public static let objectTypeMismatch = NTStatus(0xC000_0024)
    public static let objectNameInvalid = NTStatus(0xC000_0033)
    public static let objectNameNotFound = NTStatus(0xC000_0034)
    public static let objectNameCollision = NTStatus(0xC000_0035)
    public static let objectPathInvalid = NTStatus(0xC000_0039)
    public static let objectPathNotFound = NTStatus(0xC000_003A)
    public static let objectPathSyntaxBad = NTStatus(0xC000_003B)
    public static let sharingViolation = NTStatus(0xC000_0043)
    public static let easNotSupported = NTStatus(0xC000_004F)
    public static let fileLockConflict = NTStatus(0xC000_0054)
    public static let lockNotGranted = NTStatus(0xC000_0055)
    public static let deletePending = NTStatus(0xC000_0056)
    public static let privilegeNotHeld = NTStatus(0xC000_0061)
    public static let noSuchUser = NTStatus(0xC000_0064)
    public static let wrongPassword = NTStatus(0xC000_006A)
    public static let logonFailure = NTStatus(0xC000_006D)
    public static let accountRestriction = NTStatus(0xC000_006E)
    public static let invalidLogonHours = NTStatus(0xC000_006F)
    public static let invalidWorkstation = NTStatus(0xC000_0070)
    public static let passwordExpired = NTStatus(0xC000_0071)
    public static let accountDisabled = NTStatus(0xC000_0072)
    public static let rangeNotLocked = NTStatus(0xC000_007E)
    public static let diskFull = NTStatus(0xC000_007F)
    public static let insufficientResources = NTStatus(0xC000_009A)
    public static let mediaWriteProtected = NTStatus(0xC000_00A2)
    public static let ioTimeout = NTStatus(0xC000_00B5)
    public static let fileForcedClosed = NTStatus(0xC000_00B6)
    public static let fileIsADirectory = NTStatus(0xC000_00BA)
    public static let notSupported = NTStatus(0xC000_00BB)
    public static let invalidNetworkResponse = NTStatus(0xC000_00C3)
    public static let networkNameDeleted = NTStatus(0xC000_00C9)
    public static let networkAccessDenied = NTStatus(0xC000_00CA)
    public static let badDeviceType = NTStatus(0xC000_00CB)
    public static let badNetworkName = NTStatus(0xC000_00CC)
    public static let requestNotAccepted = NTStatus(0xC000_00D0)
    public static let internalError = NTStatus(0xC000_00E5)
    public static let unexpectedIOError = NTStatus(0xC000_00E9)
    public static let directoryNotEmpty = NTStatus(0xC000_0101)
    public static let notADirectory = NTStatus(0xC000_0103)
    public static let tooManyOpenedFiles = NTStatus(0xC000_011F)
    public static let cancelled = NTStatus(0xC000_0120)
    public static let cannotDelete = NTStatus(0xC000_0121)
    public static let fileClosed = NTStatus(0xC000_0128)
    public static let invalidLevel = NTStatus(0xC000_0148)
    public static let logonTypeNotGranted = NTStatus(0xC000_015B)
    public static let invalidDeviceState = NTStatus(0xC000_0184)
    public static let accountExpired = NTStatus(0xC000_0193)
    public static let userSessionDeleted = NTStatus(0xC000_0203)
    public static let insufficientServerResources = NTStatus(0xC000_0205)
    public static let connectionDisconnected = NTStatus(0xC000_020C)
    public static let passwordMustChange = NTStatus(0xC000_0224)
    public static let notFound = NTStatus(0xC000_0225)
    public static let accountLockedOut = NTStatus(0xC000_0234)
    public static let networkUnreachable = NTStatus(0xC000_023C)
    public static let pathNotCovered = NTStatus(0xC000_0257)
    public static let networkSessionExpired = NTStatus(0xC000_035C)
    // SMB-specific codes from MS-CIFS 2.2.2.4 / MS-SMB 2.2.2.4: DOS class and code packed
    // as code << 16 | class, kept so old-style errors still have names.
    public static let invalidSMB = NTStatus(0x0001_0002)
    public static let smbBadTID = NTStatus(0x0005_0002)
    public static let smbBadFID = NTStatus(0x0006_0001)
    public static let smbBadCommand = NTStatus(0x0016_0002)
    public static let smbBadUID = NTStatus(0x005B_0002)
    public static let smbUseStandard = NTStatus(0x00FB_0002)

    private static let table: [UInt32: String] = [
        0x0000_0000: "STATUS_SUCCESS", 0x0000_0103: "STATUS_PENDING",
        0x0000_010C: "STATUS_NOTIFY_ENUM_DIR", 0x4000_0000: "STATUS_OBJECT_NAME_EXISTS",
        0x8000_0005: "STATUS_BUFFER_OVERFLOW", 0x8000_0006: "STATUS_NO_MORE_FILES",
        0x8000_0014: "STATUS_EA_LIST_INCONSISTENT", 0x8000_002D: "STATUS_STOPPED_ON_SYMLINK",
        0xC000_0001: "STATUS_UNSUCCESSFUL", 0xC000_0002: "STATUS_NOT_IMPLEMENTED",
        0xC000_0003: "STATUS_INVALID_INFO_CLASS", 0xC000_0004: "STATUS_INFO_LENGTH_MISMATCH",
        0xC000_0008: "STATUS_INVALID_HANDLE", 0xC000_000D: "STATUS_INVALID_PARAMETER",
        0xC000_000E: "STATUS_NO_SUCH_DEVICE", 0xC000_000F: "STATUS_NO_SUCH_FILE",
        0xC000_0010: "STATUS_INVALID_DEVICE_REQUEST", 0xC000_0011: "STATUS_END_OF_FILE",
        0xC000_0016: "STATUS_MORE_PROCESSING_REQUIRED", 0xC000_0017: "STATUS_NO_MEMORY",
        0xC000_0022: "STATUS_ACCESS_DENIED", 0xC000_0023: "STATUS_BUFFER_TOO_SMALL",
        0xC000_0024: "STATUS_OBJECT_TYPE_MISMATCH", 0xC000_0033: "STATUS_OBJECT_NAME_INVALID",
        0xC000_0034: "STATUS_OBJECT_NAME_NOT_FOUND", 0xC000_0035: "STATUS_OBJECT_NAME_COLLISION",
        0xC000_0039: "STATUS_OBJECT_PATH_INVALID", 0xC000_003A: "STATUS_OBJECT_PATH_NOT_FOUND",
        0xC000_003B: "STATUS_OBJECT_PATH_SYNTAX_BAD", 0xC000_0043: "STATUS_SHARING_VIOLATION",
        0xC000_004F: "STATUS_EAS_NOT_SUPPORTED", 0xC000_0054: "STATUS_FILE_LOCK_CONFLICT",
        0xC000_0055: "STATUS_LOCK_NOT_GRANTED", 0xC000_0056: "STATUS_DELETE_PENDING",
        0xC000_0061: "STATUS_PRIVILEGE_NOT_HELD", 0xC000_0064: "STATUS_NO_SUCH_USER",
        0xC000_006A: "STATUS_WRONG_PASSWORD", 0xC000_006D: "STATUS_LOGON_FAILURE",
        0xC000_006E: "STATUS_ACCOUNT_RESTRICTION", 0xC000_006F: "STATUS_INVALID_LOGON_HOURS",
        0xC000_0070: "STATUS_INVALID_WORKSTATION", 0xC000_0071: "STATUS_PASSWORD_EXPIRED",
        0xC000_0072: "STATUS_ACCOUNT_DISABLED", 0xC000_007E: "STATUS_RANGE_NOT_LOCKED",
        0xC000_007F: "STATUS_DISK_FULL", 0xC000_009A: "STATUS_INSUFFICIENT_RESOURCES",
        0xC000_00A2: "STATUS_MEDIA_WRITE_PROTECTED", 0xC000_00B5: "STATUS_IO_TIMEOUT",
        0xC000_00B6: "STATUS_FILE_FORCED_CLOSED", 0xC000_00BA: "STATUS_FILE_IS_A_DIRECTORY",
        0xC000_00BB: "STATUS_NOT_SUPPORTED", 0xC000_00C3: "STATUS_INVALID_NETWORK_RESPONSE",
        0xC000_00C9: "STATUS_NETWORK_NAME_DELETED", 0xC000_00CA: "STATUS_NETWORK_ACCESS_DENIED",
        0xC000_00CB: "STATUS_BAD_DEVICE_TYPE", 0xC000_00CC: "STATUS_BAD_NETWORK_NAME",
        0xC000_00D0: "STATUS_REQUEST_NOT_ACCEPTED", 0xC000_00E5: "STATUS_INTERNAL_ERROR",
        0xC000_00E9: "STATUS_UNEXPECTED_IO_ERROR",
        0xC000_0101: "STATUS_DIRECTORY_NOT_EMPTY", 0xC000_0103: "STATUS_NOT_A_DIRECTORY",
        0xC000_011F: "STATUS_TOO_MANY_OPENED_FILES", 0xC000_0120: "STATUS_CANCELLED",
        0xC000_0121: "STATUS_CANNOT_DELETE", 0xC000_0128: "STATUS_FILE_CLOSED",
        0xC000_0148: "STATUS_INVALID_LEVEL", 0xC000_015B: "STATUS_LOGON_TYPE_NOT_GRANTED",
        0xC000_0184: "STATUS_INVALID_DEVICE_STATE", 0xC000_0193: "STATUS_ACCOUNT_EXPIRED",
        0xC000_0203: "STATUS_USER_SESSION_DELETED", 0xC000_0205: "STATUS_INSUFF_SERVER_RESOURCES",
        0xC000_020C: "STATUS_CONNECTION_DISCONNECTED", 0xC000_0224: "STATUS_PASSWORD_MUST_CHANGE",
        0xC000_0225: "STATUS_NOT_FOUND", 0xC000_0234: "STATUS_ACCOUNT_LOCKED_OUT",
        0xC000_023C: "STATUS_NETWORK_UNREACHABLE", 0xC000_0257: "STATUS_PATH_NOT_COVERED",
        0xC000_035C: "STATUS_NETWORK_SESSION_EXPIRED",
        0x0001_0002: "STATUS_INVALID_SMB", 0x0005_0002: "STATUS_SMB_BAD_TID",
        0x0006_0001: "STATUS_SMB_BAD_FID", 0x0016_0002: "STATUS_SMB_BAD_COMMAND",
        0x005B_0002: "STATUS_SMB_BAD_UID", 0x00FB_0002: "STATUS_SMB_USE_STANDARD",
    ]

    private static let byName: [String: UInt32] = {
        var out: [String: UInt32] = [:]
        for (raw, name) in table { out[name] = raw }
        return out
    }()
}
