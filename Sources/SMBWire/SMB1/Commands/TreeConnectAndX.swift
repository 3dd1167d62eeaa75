/// SMB_COM_TREE_CONNECT_ANDX request (MS-CIFS 2.2.4.55.1): connect to `\\SERVER\SHARE`.
public struct TreeConnectAndXRequest: SMBMessageBody {
    public static let command = SMBCommand.treeConnectAndX
    public static let isResponse = false
    public static let spanPrefix = "TreeConnectAndXRequest"

    /// Flags bit 0x0001: disconnect the TID in the header first.
    public static let flagDisconnectTID: UInt16 = 0x0001
    /// Flags bit 0x0004: return the extended (7-word) response.
    public static let flagExtendedSignatures: UInt16 = 0x0004
    /// Flags bit 0x0008: return the extended (7-word) response.
    public static let flagExtendedResponse: UInt16 = 0x0008

    public var andX: AndXTrailer
    public var flags: UInt16
    /// Share-level password; with user-level security a single zero byte.
    public var password: [UInt8]
    /// `\\SERVER\SHARE`, in the message's string encoding.
    public var path: String
    /// Service type, always OEM: `"?????"` (any), `"A:"` (disk), `"IPC"`.
    public var service: String
    public var layout: SMBStringLayout

    public init(andX: AndXTrailer = AndXTrailer(), flags: UInt16 = 0, password: [UInt8] = [0], path: String,
                service: String = "?????", layout: SMBStringLayout = SMBStringLayout()) {
        self.andX = andX
        self.flags = flags
        self.password = password
        self.path = path
        self.service = service
        self.layout = layout
    }

    static func specs(unicode: Bool) -> [SMBStringSpec] {
        [SMBStringSpec(name: "Path", unicode: unicode), SMBStringSpec(name: "Service", unicode: false)]
    }

    public func encode(into e: inout SMBPacketEncoder) throws {
        guard password.count <= Int(UInt16.max) else {
            throw WireError.tooLarge(field: "TreeConnectAndXRequest.Password", length: password.count, cap: Int(UInt16.max))
        }
        let wc = e.beginParameters()
        e.andXHeader(reserved: andX.reserved, terminalOffset: andX.terminalOffset)
        e.u16(flags)
        e.u16(UInt16(password.count))
        try e.endParameters(wc)
        let bc = e.beginData()
        e.append(password)
        e.stringRun([path, service], specs: Self.specs(unicode: e.unicode), layout: layout)
        try e.endData(bc)
    }

    public static func decode(_ block: SMBBlock, in packet: [UInt8], context: SMBDecodeContext) throws -> Annotated<Self> {
        var r = blockReader(block, in: packet, context: context)
        _ = try readWordCount(&r, allowed: [4])
        let andX = try readAndX(&r)
        let flags = try r.u16("Flags", meaning: flagsMeaning)
        let passwordLength = try r.u16("PasswordLength")
        _ = try readByteCount(&r)
        let password = try r.bytes("Password", count: Int(passwordLength))
        let (s, layout) = try r.stringRun(specs(unicode: context.unicode))
        guard let path = s[0] else {
            throw WireError.truncated(field: spanPrefix + ".Path", needed: context.unicode ? 2 : 1, available: r.remaining)
        }
        guard let service = s[1] else {
            throw WireError.truncated(field: spanPrefix + ".Service", needed: 1, available: r.remaining)
        }
        let value = TreeConnectAndXRequest(andX: AndXTrailer(andX), flags: flags, password: password, path: path,
                                           service: service, layout: layout)
        return Annotated(value: value, spans: r.spans)
    }

    static func flagsMeaning(_ v: UInt16) -> String {
        var parts: [String] = []
        if v & 0x0001 != 0 { parts.append("DISCONNECT_TID") }
        if v & 0x0004 != 0 { parts.append("EXTENDED_SIGNATURES") }
        if v & 0x0008 != 0 { parts.append("EXTENDED_RESPONSE") }
        if v & ~0x000D != 0 { parts.append("0x" + hex(UInt64(v & ~0x000D), width: 4)) }
        return parts.isEmpty ? "none" : parts.joined(separator: "|")
    }
}

/// SMB_COM_TREE_CONNECT_ANDX response: 3 words (MS-CIFS 2.2.4.55.2) or 7 words with the
/// maximal access rights (MS-SMB 2.2.4.7.2).
public struct TreeConnectAndXResponse: SMBMessageBody {
    public static let command = SMBCommand.treeConnectAndX
    public static let isResponse = true
    public static let spanPrefix = "TreeConnectAndXResponse"

    /// Access rights of the user and of guest, present in the 7-word form.
    public struct MaximalAccess: Equatable, Sendable {
        public var maximalShareAccessRights: UInt32
        public var guestMaximalShareAccessRights: UInt32
        public init(maximalShareAccessRights: UInt32, guestMaximalShareAccessRights: UInt32) {
            self.maximalShareAccessRights = maximalShareAccessRights
            self.guestMaximalShareAccessRights = guestMaximalShareAccessRights
        }
    }

    public var andX: AndXTrailer
    /// SMB_SUPPORT_SEARCH_BITS 0x1, SMB_SHARE_IS_IN_DFS 0x2, caching bits 0xC, SMB_UNIQUE_FILE_NAME 0x10,
    /// SMB_EXTENDED_SIGNATURES 0x20.
    public var optionalSupport: UInt16
    /// nil for the 3-word form.
    public var maximalAccess: MaximalAccess?
    /// Service type, OEM (`"A:"`, `"IPC"`).
    public var service: String?
    /// File system name (`"NTFS"`), in the message's string encoding.
    public var nativeFileSystem: String?
    public var layout: SMBStringLayout

    public init(andX: AndXTrailer = AndXTrailer(), optionalSupport: UInt16, maximalAccess: MaximalAccess? = nil,
                service: String?, nativeFileSystem: String?, layout: SMBStringLayout = SMBStringLayout()) {
        self.andX = andX
        self.optionalSupport = optionalSupport
        self.maximalAccess = maximalAccess
        self.service = service
        self.nativeFileSystem = nativeFileSystem
        self.layout = layout
    }

    static func specs(unicode: Bool) -> [SMBStringSpec] {
        [SMBStringSpec(name: "Service", unicode: false), SMBStringSpec(name: "NativeFileSystem", unicode: unicode)]
    }

    public func encode(into e: inout SMBPacketEncoder) throws {
        let wc = e.beginParameters()
        e.andXHeader(reserved: andX.reserved, terminalOffset: andX.terminalOffset)
        e.u16(optionalSupport)
        if let m = maximalAccess {
            e.u32(m.maximalShareAccessRights)
            e.u32(m.guestMaximalShareAccessRights)
        }
        try e.endParameters(wc)
        let bc = e.beginData()
        e.stringRun([service, nativeFileSystem], specs: Self.specs(unicode: e.unicode), layout: layout)
        try e.endData(bc)
    }

    public static func decode(_ block: SMBBlock, in packet: [UInt8], context: SMBDecodeContext) throws -> Annotated<Self> {
        var r = blockReader(block, in: packet, context: context)
        let wc = try readWordCount(&r, allowed: [3, 7])
        let andX = try readAndX(&r)
        let support = try r.u16("OptionalSupport", meaning: optionalSupportMeaning)
        var maximal: MaximalAccess?
        if wc == 7 {
            let user = try r.u32("MaximalShareAccessRights", meaning: AccessMask.describe)
            let guest = try r.u32("GuestMaximalShareAccessRights", meaning: AccessMask.describe)
            maximal = MaximalAccess(maximalShareAccessRights: user, guestMaximalShareAccessRights: guest)
        }
        _ = try readByteCount(&r)
        let (s, layout) = try r.stringRun(specs(unicode: context.unicode))
        let value = TreeConnectAndXResponse(andX: AndXTrailer(andX), optionalSupport: support, maximalAccess: maximal,
                                            service: s[0], nativeFileSystem: s[1], layout: layout)
        return Annotated(value: value, spans: r.spans)
    }

    static func optionalSupportMeaning(_ v: UInt16) -> String {
        var parts: [String] = []
        if v & 0x01 != 0 { parts.append("SUPPORT_SEARCH_BITS") }
        if v & 0x02 != 0 { parts.append("SHARE_IS_IN_DFS") }
        switch (v >> 2) & 3 {
        case 0: parts.append("CSC_CACHE_MANUAL_REINT")
        case 1: parts.append("CSC_CACHE_AUTO_REINT")
        case 2: parts.append("CSC_CACHE_VDO")
        default: parts.append("CSC_NO_CACHING")
        }
        if v & 0x10 != 0 { parts.append("UNIQUE_FILE_NAME") }
        if v & 0x20 != 0 { parts.append("EXTENDED_SIGNATURES") }
        if v & ~0x3F != 0 { parts.append("0x" + hex(UInt64(v & ~0x3F), width: 4)) }
        return parts.joined(separator: "|")
    }
}

/// Names for the bits of an ACCESS_MASK (MS-DTYP 2.4.3, file-specific rights from MS-SMB).
public enum AccessMask {
    static let names: [(UInt32, String)] = [
        (0x0000_0001, "FILE_READ_DATA"), (0x0000_0002, "FILE_WRITE_DATA"), (0x0000_0004, "FILE_APPEND_DATA"),
        (0x0000_0008, "FILE_READ_EA"), (0x0000_0010, "FILE_WRITE_EA"), (0x0000_0020, "FILE_EXECUTE"),
        (0x0000_0040, "FILE_DELETE_CHILD"), (0x0000_0080, "FILE_READ_ATTRIBUTES"),
        (0x0000_0100, "FILE_WRITE_ATTRIBUTES"), (0x0001_0000, "DELETE"), (0x0002_0000, "READ_CONTROL"),
        (0x0004_0000, "WRITE_DAC"), (0x0008_0000, "WRITE_OWNER"), (0x0010_0000, "SYNCHRONIZE"),
        (0x0100_0000, "ACCESS_SYSTEM_SECURITY"), (0x0200_0000, "MAXIMUM_ALLOWED"),
        (0x1000_0000, "GENERIC_ALL"), (0x2000_0000, "GENERIC_EXECUTE"), (0x4000_0000, "GENERIC_WRITE"),
        (0x8000_0000, "GENERIC_READ"),
    ]

    /// `"FILE_READ_DATA|…"`; `0x001f01ff` is shown as `FILE_ALL_ACCESS`.
    public static func describe(_ v: UInt32) -> String {
        if v == 0x001F_01FF { return "FILE_ALL_ACCESS" }
        if v == 0 { return "none" }
        var parts = names.filter { v & $0.0 != 0 }.map(\.1)
        let known = names.reduce(UInt32(0)) { $0 | $1.0 }
        if v & ~known != 0 { parts.append("0x" + hex(UInt64(v & ~known), width: 8)) }
        return parts.joined(separator: "|")
    }
}
