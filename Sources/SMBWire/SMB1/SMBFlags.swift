/// Option sets whose bits have protocol names, so spans can say which flags are set.
/// Their `description` is ``summary`` (what a state diff shows).
public protocol NamedBits: OptionSet, Sendable, CustomStringConvertible where RawValue: FixedWidthInteger {
    /// Every defined bit with its protocol name, lowest bit first.
    static var bitNames: [(Self, String)] { get }
}

extension NamedBits {
    /// Names of the set bits, lowest first; undefined bits appear as `0x…`.
    public var names: [String] {
        var out: [String] = []
        var known: RawValue = 0
        for (bit, name) in Self.bitNames {
            known |= bit.rawValue
            if rawValue & bit.rawValue == bit.rawValue && bit.rawValue != 0 { out.append(name) }
        }
        let unknown = rawValue & ~known
        if unknown != 0 { out.append("0x" + hex(UInt64(unknown), width: 2)) }
        return out
    }

    /// `"REPLY|CASE_INSENSITIVE"`, or `"none"` when no bit is set.
    public var summary: String { names.isEmpty ? "none" : names.joined(separator: "|") }

    /// ``summary``.
    public var description: String { summary }

    /// Builds a value from bit names (as listed in ``bitNames``); nil if a name is unknown.
    public init?(names: [String]) {
        var raw: RawValue = 0
        for name in names {
            guard let bit = Self.bitNames.first(where: { $0.1 == name }) else { return nil }
            raw |= bit.0.rawValue
        }
        self.init(rawValue: raw)
    }
}

/// The header's `Flags` byte (MS-CIFS 2.2.3.1).
public struct SMBFlags: NamedBits, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let lockAndReadOK = SMBFlags(rawValue: 0x01)
    /// Obsolete "send no ack" / buffer available bit.
    public static let bufAvail = SMBFlags(rawValue: 0x02)
    public static let reserved04 = SMBFlags(rawValue: 0x04)
    public static let caseInsensitive = SMBFlags(rawValue: 0x08)
    public static let canonicalizedPaths = SMBFlags(rawValue: 0x10)
    public static let oplock = SMBFlags(rawValue: 0x20)
    public static let opbatch = SMBFlags(rawValue: 0x40)
    /// Set on every message from server to client.
    public static let reply = SMBFlags(rawValue: 0x80)

    public static let bitNames: [(SMBFlags, String)] = [
        (.lockAndReadOK, "LOCK_AND_READ_OK"), (.bufAvail, "BUF_AVAIL"), (.reserved04, "RESERVED_04"),
        (.caseInsensitive, "CASE_INSENSITIVE"), (.canonicalizedPaths, "CANONICALIZED_PATHS"),
        (.oplock, "OPLOCK"), (.opbatch, "OPBATCH"), (.reply, "REPLY"),
    ]
}

/// The header's `Flags2` word (MS-CIFS 2.2.3.1, MS-SMB 2.2.3.1).
public struct SMBFlags2: NamedBits, Hashable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let longNames = SMBFlags2(rawValue: 0x0001)
    public static let eas = SMBFlags2(rawValue: 0x0002)
    public static let securitySignature = SMBFlags2(rawValue: 0x0004)
    public static let compressed = SMBFlags2(rawValue: 0x0008)
    public static let securitySignatureRequired = SMBFlags2(rawValue: 0x0010)
    public static let isLongName = SMBFlags2(rawValue: 0x0040)
    public static let reparsePath = SMBFlags2(rawValue: 0x0400)
    public static let extendedSecurity = SMBFlags2(rawValue: 0x0800)
    public static let dfs = SMBFlags2(rawValue: 0x1000)
    public static let pagingIO = SMBFlags2(rawValue: 0x2000)
    /// The Status field holds a 32-bit NT status (otherwise a DOS error class/code).
    public static let ntStatus = SMBFlags2(rawValue: 0x4000)
    /// Strings are UTF-16LE, aligned to 2 bytes from the header start.
    public static let unicode = SMBFlags2(rawValue: 0x8000)

    public static let bitNames: [(SMBFlags2, String)] = [
        (.longNames, "LONG_NAMES"), (.eas, "EAS"), (.securitySignature, "SMB_SECURITY_SIGNATURE"),
        (.compressed, "COMPRESSED"), (.securitySignatureRequired, "SMB_SECURITY_SIGNATURE_REQUIRED"),
        (.isLongName, "IS_LONG_NAME"), (.reparsePath, "REPARSE_PATH"),
        (.extendedSecurity, "EXTENDED_SECURITY"), (.dfs, "DFS"), (.pagingIO, "PAGING_IO"),
        (.ntStatus, "NT_STATUS"), (.unicode, "UNICODE"),
    ]
}

/// Capabilities in NEGOTIATE and SESSION_SETUP_ANDX (MS-CIFS 2.2.4.52.2, MS-SMB 2.2.4.5.2).
public struct SMBCapabilities: NamedBits, Hashable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let rawMode = SMBCapabilities(rawValue: 0x0000_0001)
    public static let mpxMode = SMBCapabilities(rawValue: 0x0000_0002)
    public static let unicode = SMBCapabilities(rawValue: 0x0000_0004)
    public static let largeFiles = SMBCapabilities(rawValue: 0x0000_0008)
    public static let ntSMBs = SMBCapabilities(rawValue: 0x0000_0010)
    public static let rpcRemoteAPIs = SMBCapabilities(rawValue: 0x0000_0020)
    public static let status32 = SMBCapabilities(rawValue: 0x0000_0040)
    public static let levelIIOplocks = SMBCapabilities(rawValue: 0x0000_0080)
    public static let lockAndRead = SMBCapabilities(rawValue: 0x0000_0100)
    public static let ntFind = SMBCapabilities(rawValue: 0x0000_0200)
    public static let dfs = SMBCapabilities(rawValue: 0x0000_1000)
    public static let infoLevelPassthru = SMBCapabilities(rawValue: 0x0000_2000)
    public static let largeReadX = SMBCapabilities(rawValue: 0x0000_4000)
    public static let largeWriteX = SMBCapabilities(rawValue: 0x0000_8000)
    public static let lwio = SMBCapabilities(rawValue: 0x0001_0000)
    public static let unix = SMBCapabilities(rawValue: 0x0080_0000)
    public static let compressedData = SMBCapabilities(rawValue: 0x0200_0000)
    public static let dynamicReauth = SMBCapabilities(rawValue: 0x2000_0000)
    public static let persistentHandles = SMBCapabilities(rawValue: 0x4000_0000)
    public static let extendedSecurity = SMBCapabilities(rawValue: 0x8000_0000)

    public static let bitNames: [(SMBCapabilities, String)] = [
        (.rawMode, "RAW_MODE"), (.mpxMode, "MPX_MODE"), (.unicode, "UNICODE"),
        (.largeFiles, "LARGE_FILES"), (.ntSMBs, "NT_SMBS"), (.rpcRemoteAPIs, "RPC_REMOTE_APIS"),
        (.status32, "STATUS32"), (.levelIIOplocks, "LEVEL_II_OPLOCKS"), (.lockAndRead, "LOCK_AND_READ"),
        (.ntFind, "NT_FIND"), (.dfs, "DFS"), (.infoLevelPassthru, "INFOLEVEL_PASSTHRU"),
        (.largeReadX, "LARGE_READX"), (.largeWriteX, "LARGE_WRITEX"), (.lwio, "LWIO"),
        (.unix, "UNIX"), (.compressedData, "COMPRESSED_DATA"), (.dynamicReauth, "DYNAMIC_REAUTH"),
        (.persistentHandles, "PERSISTENT_HANDLES"), (.extendedSecurity, "EXTENDED_SECURITY"),
    ]
}

/// NEGOTIATE response `SecurityMode` (MS-CIFS 2.2.4.52.2).
public struct SMBSecurityMode: NamedBits, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// User-level (not share-level) security.
    public static let userSecurity = SMBSecurityMode(rawValue: 0x01)
    /// Challenge/response authentication (no plaintext passwords).
    public static let encryptPasswords = SMBSecurityMode(rawValue: 0x02)
    public static let signaturesEnabled = SMBSecurityMode(rawValue: 0x04)
    public static let signaturesRequired = SMBSecurityMode(rawValue: 0x08)

    public static let bitNames: [(SMBSecurityMode, String)] = [
        (.userSecurity, "USER_SECURITY"), (.encryptPasswords, "ENCRYPT_PASSWORDS"),
        (.signaturesEnabled, "SECURITY_SIGNATURES_ENABLED"),
        (.signaturesRequired, "SECURITY_SIGNATURES_REQUIRED"),
    ]
}
