/// The 32-byte SMB1 header (MS-CIFS 2.2.3.1) that starts every message: `\xFFSMB`,
/// command, status, flags, flags2, PIDHigh, security features (the signature), reserved,
/// TID, PIDLow, UID, MID.
public struct SMBHeader: Equatable, Sendable {
    /// Size of the header on the wire.
    public static let size = 32
    /// `0xFF 'S' 'M' 'B'`.
    public static let protocolID: [UInt8] = [0xFF, 0x53, 0x4D, 0x42]
    /// Where the 8-byte `SecuritySignature` sits, packet-relative (what signing overwrites).
    public static let signatureRange = 14..<22

    public var command: SMBCommand
    /// NT status, or the DOS error class/code packed as class | reserved << 8 | code << 16
    /// when ``SMBFlags2/ntStatus`` is clear.
    public var status: NTStatus
    public var flags: SMBFlags
    public var flags2: SMBFlags2
    public var pidHigh: UInt16
    /// `SecurityFeatures`: the MAC when signing is active, else usually zeros. Always 8 bytes.
    public var signature: [UInt8]
    public var reserved: UInt16
    public var tid: UInt16
    public var pidLow: UInt16
    public var uid: UInt16
    public var mid: UInt16

    public init(command: SMBCommand, status: NTStatus = .success, flags: SMBFlags = [],
                flags2: SMBFlags2 = [], pidHigh: UInt16 = 0,
                signature: [UInt8] = [UInt8](repeating: 0, count: 8), reserved: UInt16 = 0,
                tid: UInt16 = 0, pidLow: UInt16 = 0, uid: UInt16 = 0, mid: UInt16 = 0) {
        self.command = command
        self.status = status
        self.flags = flags
        self.flags2 = flags2
        self.pidHigh = pidHigh
        self.signature = signature
        self.reserved = reserved
        self.tid = tid
        self.pidLow = pidLow
        self.uid = uid
        self.mid = mid
    }

    /// True for server-to-client messages (``SMBFlags/reply``).
    public var isResponse: Bool { flags.contains(.reply) }
    /// Strings in this message are UTF-16LE (``SMBFlags2/unicode``).
    public var isUnicode: Bool { flags2.contains(.unicode) }
    /// The 32-bit process id, PIDHigh:PIDLow.
    public var pid: UInt32 {
        get { UInt32(pidHigh) << 16 | UInt32(pidLow) }
        set { pidHigh = UInt16(truncatingIfNeeded: newValue >> 16); pidLow = UInt16(truncatingIfNeeded: newValue) }
    }

    /// Appends the 32 header bytes.
    public func encode(into w: inout WireWriter) throws {
        guard signature.count == 8 else {
            throw WireError.invalidValue(field: "header.SecurityFeatures",
                                         reason: "must be 8 bytes, got \(signature.count)")
        }
        w.append(Self.protocolID)
        w.u8(command.rawValue)
        w.u32(status.rawValue)
        w.u8(flags.rawValue)
        w.u16(flags2.rawValue)
        w.u16(pidHigh)
        w.append(signature)
        w.u16(reserved)
        w.u16(tid)
        w.u16(pidLow)
        w.u16(uid)
        w.u16(mid)
    }

    public func encode() throws -> [UInt8] {
        var w = WireWriter(capacity: Self.size)
        try encode(into: &w)
        return w.bytes
    }

    /// Decodes the header at the reader's position (normally 0), recording a span per field
    /// under `header.`.
    public static func decode(_ r: inout WireReader) throws -> SMBHeader {
        let savedPrefix = r.prefix
        r.prefix = "header."
        defer { r.prefix = savedPrefix }
        let magic = try r.bytes("Protocol", count: 4, meaning: "\\xFFSMB")
        guard magic == protocolID else {
            throw WireError.invalidValue(field: "header.Protocol",
                                         reason: "expected ff534d42, got \(Hex.encode(magic))")
        }
        let command = SMBCommand(try r.u8("Command", meaning: { SMBCommand($0).description }))
        let statusStart = r.offset
        let statusRaw = try r.u32("Status", meaning: { _ in nil })
        let flags = SMBFlags(rawValue: try r.u8("Flags", meaning: { SMBFlags(rawValue: $0).summary }))
        let flags2 = SMBFlags2(rawValue: try r.u16("Flags2", meaning: { SMBFlags2(rawValue: $0).summary }))
        let pidHigh = try r.u16("PIDHigh")
        let signature = try r.bytes("SecuritySignature", count: 8)
        let reserved = try r.u16("Reserved")
        let tid = try r.u16("TID", meaning: { $0 == 0xFFFF ? "no tree yet" : nil })
        let pidLow = try r.u16("PIDLow")
        let uid = try r.u16("UID")
        let mid = try r.u16("MID")
        let status = NTStatus(rawValue: statusRaw)
        // The status meaning depends on Flags2, read after it: patch the span afterwards.
        if r.recordsSpans {
            let meaning = flags2.contains(.ntStatus) ? status.name : dosErrorMeaning(statusRaw)
            r.replaceMeaning(ofSpanStartingAt: statusStart, with: meaning)
        }
        return SMBHeader(command: command, status: status, flags: flags, flags2: flags2,
                         pidHigh: pidHigh, signature: signature, reserved: reserved, tid: tid,
                         pidLow: pidLow, uid: uid, mid: mid)
    }

    /// Decodes the header of `packet` without recording spans (peeking before dispatch).
    public static func peek(_ packet: [UInt8]) throws -> SMBHeader {
        var r = WireReader(packet, recordsSpans: false)
        return try decode(&r)
    }

    private static func dosErrorMeaning(_ raw: UInt32) -> String {
        if raw == 0 { return "SUCCESS" }
        let errorClass = UInt8(truncatingIfNeeded: raw)
        let code = UInt16(truncatingIfNeeded: raw >> 16)
        let className: String
        switch errorClass {
        case 0x01: className = "ERRDOS"
        case 0x02: className = "ERRSRV"
        case 0x03: className = "ERRHRD"
        case 0xFF: className = "ERRCMD"
        default: className = "class 0x" + hex(UInt64(errorClass), width: 2)
        }
        let known = NTStatus(rawValue: raw)
        let name = known.name.hasPrefix("0x") ? "" : " = " + known.name
        return "DOS error \(className) code \(code)\(name)"
    }
}
