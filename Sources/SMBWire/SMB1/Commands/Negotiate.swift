/// SMB_COM_NEGOTIATE request (MS-CIFS 2.2.4.52.1): WordCount 0, then a list of dialect
/// strings, each preceded by BufferFormat 0x02.
public struct NegotiateRequest: SMBMessageBody {
    public static let command = SMBCommand.negotiate
    public static let isResponse = false
    public static let spanPrefix = "NegotiateRequest"

    /// The dialect the kernel and smbclient want for SMB1.
    public static let ntLM012 = "NT LM 0.12"

    public var dialects: [String]

    public init(dialects: [String] = [NegotiateRequest.ntLM012]) {
        self.dialects = dialects
    }

    public func encode(into e: inout SMBPacketEncoder) throws {
        let wc = e.beginParameters()
        try e.endParameters(wc)
        let bc = e.beginData()
        for dialect in dialects {
            e.u8(0x02)
            e.string(dialect, unicode: false)
        }
        try e.endData(bc)
    }

    public static func decode(_ block: SMBBlock, in packet: [UInt8], context: SMBDecodeContext) throws -> Annotated<Self> {
        var r = blockReader(block, in: packet, context: context)
        _ = try readWordCount(&r, allowed: [0])
        _ = try readByteCount(&r)
        var dialects: [String] = []
        while !r.isAtEnd {
            let i = dialects.count
            let format = try r.u8("Dialects[\(i)].BufferFormat", meaning: { $0 == 2 ? "dialect string" : nil })
            guard format == 0x02 else {
                throw WireError.invalidValue(field: spanPrefix + ".Dialects[\(i)].BufferFormat",
                                             reason: "expected 0x02, got 0x\(hex(UInt64(format), width: 2))")
            }
            let (name, terminated) = try r.smbString("Dialects[\(i)].Name", unicode: false)
            guard terminated else {
                throw WireError.truncated(field: spanPrefix + ".Dialects[\(i)].Name", needed: 1, available: 0)
            }
            dialects.append(name)
        }
        return Annotated(value: NegotiateRequest(dialects: dialects), spans: r.spans)
    }
}

/// SMB_COM_NEGOTIATE response.
///
/// Either the one-word form (DialectIndex only; 0xFFFF = none of the client's dialects is
/// acceptable) or the 17-word NT LM 0.12 form.
public enum NegotiateResponse: SMBMessageBody {
    public static let command = SMBCommand.negotiate
    public static let isResponse = true
    public static let spanPrefix = "NegotiateResponse"

    /// WordCount 1: just the index of the chosen dialect (core protocol), or 0xFFFF.
    case dialectIndexOnly(UInt16)
    /// WordCount 17: the NT LM 0.12 response.
    case ntLM012(NTLM012NegotiateResponse)

    /// The refusal a server sends when it accepts none of the offered dialects.
    public static let noCommonDialect = NegotiateResponse.dialectIndexOnly(0xFFFF)

    public var dialectIndex: UInt16 {
        switch self {
        case let .dialectIndexOnly(i): return i
        case let .ntLM012(r): return r.dialectIndex
        }
    }

    public func encode(into e: inout SMBPacketEncoder) throws {
        switch self {
        case let .dialectIndexOnly(index):
            let wc = e.beginParameters()
            e.u16(index)
            try e.endParameters(wc)
            let bc = e.beginData()
            try e.endData(bc)
        case let .ntLM012(r):
            try r.encode(into: &e)
        }
    }

    public static func decode(_ block: SMBBlock, in packet: [UInt8], context: SMBDecodeContext) throws -> Annotated<Self> {
        var r = blockReader(block, in: packet, context: context)
        let wc = try readWordCount(&r, allowed: [1, 17])
        if wc == 1 {
            let index = try r.u16("DialectIndex", meaning: { $0 == 0xFFFF ? "no dialect acceptable" : "dialect #\($0)" })
            let bc = try readByteCount(&r)
            guard bc == 0 else {
                throw WireError.invalidValue(field: spanPrefix + ".ByteCount", reason: "must be 0 in the one-word form, got \(bc)")
            }
            return Annotated(value: .dialectIndexOnly(index), spans: r.spans)
        }
        let value = try NTLM012NegotiateResponse.decode(&r, context: context)
        return Annotated(value: .ntLM012(value), spans: r.spans)
    }
}

/// The 17-word NT LM 0.12 NEGOTIATE response (MS-CIFS 2.2.4.52.2, MS-SMB 2.2.4.5.2).
public struct NTLM012NegotiateResponse: Equatable, Sendable {
    /// Which authentication material follows the words.
    public enum Security: Equatable, Sendable {
        /// Non-extended security: an 8-byte challenge (EncryptionKey) and the domain and
        /// server names, unaligned, in the client's string encoding.
        case challenge(NegotiateChallenge)
        /// CAP_EXTENDED_SECURITY: a 16-byte server GUID and a GSS (SPNEGO) token.
        case extended(serverGUID: [UInt8], securityBlob: [UInt8])
    }

    public var dialectIndex: UInt16
    public var securityMode: SMBSecurityMode
    public var maxMpxCount: UInt16
    public var maxNumberVcs: UInt16
    public var maxBufferSize: UInt32
    public var maxRawSize: UInt32
    public var sessionKey: UInt32
    public var capabilities: SMBCapabilities
    /// Server time as FILETIME.
    public var systemTime: UInt64
    /// Minutes west of UTC.
    public var serverTimeZone: Int16
    public var security: Security

    public init(dialectIndex: UInt16, securityMode: SMBSecurityMode, maxMpxCount: UInt16, maxNumberVcs: UInt16,
                maxBufferSize: UInt32, maxRawSize: UInt32, sessionKey: UInt32, capabilities: SMBCapabilities,
                systemTime: UInt64, serverTimeZone: Int16, security: Security) {
        self.dialectIndex = dialectIndex
        self.securityMode = securityMode
        self.maxMpxCount = maxMpxCount
        self.maxNumberVcs = maxNumberVcs
        self.maxBufferSize = maxBufferSize
        self.maxRawSize = maxRawSize
        self.sessionKey = sessionKey
        self.capabilities = capabilities
        self.systemTime = systemTime
        self.serverTimeZone = serverTimeZone
        self.security = security
    }

    func encode(into e: inout SMBPacketEncoder) throws {
        var challengeLength: UInt8 = 0
        switch security {
        case let .challenge(c):
            guard !capabilities.contains(.extendedSecurity) else {
                throw WireError.invalidValue(field: "NegotiateResponse.Capabilities",
                                             reason: "EXTENDED_SECURITY set but the response carries a challenge")
            }
            guard c.challenge.count <= Int(UInt8.max) else {
                throw WireError.tooLarge(field: "NegotiateResponse.ChallengeLength", length: c.challenge.count, cap: 255)
            }
            challengeLength = UInt8(c.challenge.count)
        case let .extended(guid, _):
            guard capabilities.contains(.extendedSecurity) else {
                throw WireError.invalidValue(field: "NegotiateResponse.Capabilities",
                                             reason: "EXTENDED_SECURITY clear but the response carries a security blob")
            }
            guard guid.count == 16 else {
                throw WireError.invalidValue(field: "NegotiateResponse.ServerGUID", reason: "must be 16 bytes, got \(guid.count)")
            }
        }
        let wc = e.beginParameters()
        e.u16(dialectIndex)
        e.u8(securityMode.rawValue)
        e.u16(maxMpxCount)
        e.u16(maxNumberVcs)
        e.u32(maxBufferSize)
        e.u32(maxRawSize)
        e.u32(sessionKey)
        e.u32(capabilities.rawValue)
        e.u64(systemTime)
        e.u16(UInt16(bitPattern: serverTimeZone))
        e.u8(challengeLength)
        try e.endParameters(wc)
        let bc = e.beginData()
        switch security {
        case let .challenge(c):
            e.append(c.challenge)
            e.stringRun([c.domainName, c.serverName], specs: NegotiateChallenge.specs(unicode: e.unicode), layout: c.layout)
        case let .extended(guid, blob):
            e.append(guid)
            e.append(blob)
        }
        try e.endData(bc)
    }

    static func decode(_ r: inout WireReader, context: SMBDecodeContext) throws -> NTLM012NegotiateResponse {
        let dialectIndex = try r.u16("DialectIndex", meaning: { "dialect #\($0)" })
        let securityMode = SMBSecurityMode(rawValue: try r.u8("SecurityMode", meaning: { SMBSecurityMode(rawValue: $0).summary }))
        let maxMpxCount = try r.u16("MaxMpxCount", meaning: { "\($0) outstanding requests" })
        let maxNumberVcs = try r.u16("MaxNumberVcs")
        let maxBufferSize = try r.u32("MaxBufferSize", meaning: { "largest message the server accepts: \($0) bytes" })
        let maxRawSize = try r.u32("MaxRawSize")
        let sessionKey = try r.u32("SessionKey")
        let capabilities = SMBCapabilities(rawValue: try r.u32("Capabilities", meaning: { SMBCapabilities(rawValue: $0).summary }))
        let systemTime = try r.fileTime("SystemTime")
        let timeZone = Int16(bitPattern: try r.u16("ServerTimeZone", meaning: { "\(Int16(bitPattern: $0)) minutes west of UTC" }))
        let challengeLength = try r.u8("ChallengeLength")
        _ = try NegotiateResponse.readByteCount(&r)
        let security: Security
        if capabilities.contains(.extendedSecurity) {
            guard challengeLength == 0 else {
                throw WireError.invalidValue(field: "NegotiateResponse.ChallengeLength",
                                             reason: "must be 0 with extended security, got \(challengeLength)")
            }
            let guid = try r.guid("ServerGUID")
            let blob = try r.rest("SecurityBlob")
            security = .extended(serverGUID: guid, securityBlob: blob)
        } else {
            let challenge = try r.bytes("Challenge", count: Int(challengeLength), meaning: "server challenge (EncryptionKey)")
            let (strings, layout) = try r.stringRun(NegotiateChallenge.specs(unicode: context.unicode))
            security = .challenge(NegotiateChallenge(challenge: challenge, domainName: strings[0],
                                                     serverName: strings[1], layout: layout))
        }
        return NTLM012NegotiateResponse(dialectIndex: dialectIndex, securityMode: securityMode, maxMpxCount: maxMpxCount,
                                        maxNumberVcs: maxNumberVcs, maxBufferSize: maxBufferSize, maxRawSize: maxRawSize,
                                        sessionKey: sessionKey, capabilities: capabilities, systemTime: systemTime,
                                        serverTimeZone: timeZone, security: security)
    }
}

/// The non-extended-security part of a NEGOTIATE response.
public struct NegotiateChallenge: Equatable, Sendable {
    /// The server challenge (EncryptionKey), 8 bytes in practice.
    public var challenge: [UInt8]
    /// The server's domain or workgroup.
    public var domainName: String?
    /// The server's NetBIOS name (MS-SMB adds it after the domain).
    public var serverName: String?
    public var layout: SMBStringLayout

    public init(challenge: [UInt8], domainName: String?, serverName: String?, layout: SMBStringLayout = SMBStringLayout()) {
        self.challenge = challenge
        self.domainName = domainName
        self.serverName = serverName
        self.layout = layout
    }

    /// These strings follow the 8-byte challenge at an odd offset with no alignment pad.
    static func specs(unicode: Bool) -> [SMBStringSpec] {
        [SMBStringSpec(name: "DomainName", unicode: unicode, aligned: false),
         SMBStringSpec(name: "ServerName", unicode: unicode, aligned: false)]
    }
}
