/// SMB_COM_SESSION_SETUP_ANDX request.
///
/// The 13-word form carries the LM/NTLM (or LMv2/NTLMv2) responses directly (what the
/// kernel calls `sec=ntlm` / `sec=ntlmv2`); the 12-word form carries a security blob
/// (NTLMSSP, raw or in SPNEGO) when extended security was negotiated.
public enum SessionSetupAndXRequest: SMBMessageBody {
    public static let command = SMBCommand.sessionSetupAndX
    public static let isResponse = false
    public static let spanPrefix = "SessionSetupAndXRequest"

    case oldStyle(OldStyleSessionSetupRequest)
    case extended(ExtendedSessionSetupRequest)

    public func encode(into e: inout SMBPacketEncoder) throws {
        switch self {
        case let .oldStyle(v): try v.encode(into: &e)
        case let .extended(v): try v.encode(into: &e)
        }
    }

    public static func decode(_ block: SMBBlock, in packet: [UInt8], context: SMBDecodeContext) throws -> Annotated<Self> {
        var r = blockReader(block, in: packet, context: context)
        let wc = try readWordCount(&r, allowed: [12, 13])
        if wc == 13 {
            let v = try OldStyleSessionSetupRequest.decode(&r, context: context)
            return Annotated(value: .oldStyle(v), spans: r.spans)
        }
        let v = try ExtendedSessionSetupRequest.decode(&r, context: context)
        return Annotated(value: .extended(v), spans: r.spans)
    }
}

/// Fields both request forms share.
public struct SessionSetupParameters: Equatable, Sendable {
    public var maxBufferSize: UInt16
    public var maxMpxCount: UInt16
    public var vcNumber: UInt16
    /// Echo of the NEGOTIATE response's SessionKey.
    public var sessionKey: UInt32
    public var capabilities: SMBCapabilities

    public init(maxBufferSize: UInt16, maxMpxCount: UInt16, vcNumber: UInt16 = 0, sessionKey: UInt32 = 0,
                capabilities: SMBCapabilities) {
        self.maxBufferSize = maxBufferSize
        self.maxMpxCount = maxMpxCount
        self.vcNumber = vcNumber
        self.sessionKey = sessionKey
        self.capabilities = capabilities
    }
}

/// The 13-word SESSION_SETUP_ANDX request (MS-CIFS 2.2.4.53.1).
public struct OldStyleSessionSetupRequest: Equatable, Sendable {
    public var andX: AndXTrailer
    public var parameters: SessionSetupParameters
    /// `OEMPassword`: the LM (or LMv2) response; the kernel's NTLM mode repeats the NT response.
    public var caseInsensitivePassword: [UInt8]
    /// `UnicodePassword`: the NT (or NTLMv2) response.
    public var caseSensitivePassword: [UInt8]
    public var reserved: UInt32
    public var accountName: String?
    public var primaryDomain: String?
    public var nativeOS: String?
    public var nativeLanMan: String?
    public var layout: SMBStringLayout

    public init(andX: AndXTrailer = AndXTrailer(), parameters: SessionSetupParameters,
                caseInsensitivePassword: [UInt8], caseSensitivePassword: [UInt8], reserved: UInt32 = 0,
                accountName: String?, primaryDomain: String?, nativeOS: String?, nativeLanMan: String?,
                layout: SMBStringLayout = SMBStringLayout()) {
        self.andX = andX
        self.parameters = parameters
        self.caseInsensitivePassword = caseInsensitivePassword
        self.caseSensitivePassword = caseSensitivePassword
        self.reserved = reserved
        self.accountName = accountName
        self.primaryDomain = primaryDomain
        self.nativeOS = nativeOS
        self.nativeLanMan = nativeLanMan
        self.layout = layout
    }

    static func specs(unicode: Bool) -> [SMBStringSpec] {
        ["AccountName", "PrimaryDomain", "NativeOS", "NativeLanMan"].map { SMBStringSpec(name: $0, unicode: unicode) }
    }

    func encode(into e: inout SMBPacketEncoder) throws {
        for (name, p) in [("OEMPassword", caseInsensitivePassword), ("UnicodePassword", caseSensitivePassword)]
        where p.count > Int(UInt16.max) {
            throw WireError.tooLarge(field: "SessionSetupAndXRequest.\(name)", length: p.count, cap: Int(UInt16.max))
        }
        let wc = e.beginParameters()
        e.andXHeader(reserved: andX.reserved, terminalOffset: andX.terminalOffset)
        e.u16(parameters.maxBufferSize)
        e.u16(parameters.maxMpxCount)
        e.u16(parameters.vcNumber)
        e.u32(parameters.sessionKey)
        e.u16(UInt16(caseInsensitivePassword.count))
        e.u16(UInt16(caseSensitivePassword.count))
        e.u32(reserved)
        e.u32(parameters.capabilities.rawValue)
        try e.endParameters(wc)
        let bc = e.beginData()
        e.append(caseInsensitivePassword)
        e.append(caseSensitivePassword)
        e.stringRun([accountName, primaryDomain, nativeOS, nativeLanMan], specs: Self.specs(unicode: e.unicode), layout: layout)
        try e.endData(bc)
    }

    static func decode(_ r: inout WireReader, context: SMBDecodeContext) throws -> OldStyleSessionSetupRequest {
        let andX = try SessionSetupAndXRequest.readAndX(&r)
        let maxBuffer = try r.u16("MaxBufferSize")
        let maxMpx = try r.u16("MaxMpxCount")
        let vc = try r.u16("VcNumber")
        let sessionKey = try r.u32("SessionKey")
        let oemLength = try r.u16("OEMPasswordLen")
        let unicodeLength = try r.u16("UnicodePasswordLen")
        let reserved = try r.u32("Reserved")
        let caps = SMBCapabilities(rawValue: try r.u32("Capabilities", meaning: { SMBCapabilities(rawValue: $0).summary }))
        _ = try SessionSetupAndXRequest.readByteCount(&r)
        let oem = try r.bytes("OEMPassword", count: Int(oemLength),
                              meaning: oemLength == 24 ? "24-byte LM/LMv2 (or repeated NT) response" : nil)
        let uni = try r.bytes("UnicodePassword", count: Int(unicodeLength),
                              meaning: unicodeLength == 24 ? "24-byte NTLM response" : (unicodeLength > 24 ? "NTLMv2 response" : nil))
        let (s, layout) = try r.stringRun(specs(unicode: context.unicode))
        return OldStyleSessionSetupRequest(
            andX: AndXTrailer(andX),
            parameters: SessionSetupParameters(maxBufferSize: maxBuffer, maxMpxCount: maxMpx, vcNumber: vc,
                                               sessionKey: sessionKey, capabilities: caps),
            caseInsensitivePassword: oem, caseSensitivePassword: uni, reserved: reserved,
            accountName: s[0], primaryDomain: s[1], nativeOS: s[2], nativeLanMan: s[3], layout: layout)
    }
}

/// The 12-word extended-security SESSION_SETUP_ANDX request (MS-SMB 2.2.4.6.1).
public struct ExtendedSessionSetupRequest: Equatable, Sendable {
    public var andX: AndXTrailer
    public var parameters: SessionSetupParameters
    public var reserved: UInt32
    /// The GSS token: NTLMSSP, raw or wrapped in SPNEGO.
    public var securityBlob: [UInt8]
    public var nativeOS: String?
    public var nativeLanMan: String?
    /// Not in MS-SMB's layout, but some clients send it after NativeLanMan.
    public var primaryDomain: String?
    public var layout: SMBStringLayout

    public init(andX: AndXTrailer = AndXTrailer(), parameters: SessionSetupParameters, reserved: UInt32 = 0,
                securityBlob: [UInt8], nativeOS: String?, nativeLanMan: String?, primaryDomain: String? = nil,
                layout: SMBStringLayout = SMBStringLayout()) {
        self.andX = andX
        self.parameters = parameters
        self.reserved = reserved
        self.securityBlob = securityBlob
        self.nativeOS = nativeOS
        self.nativeLanMan = nativeLanMan
        self.primaryDomain = primaryDomain
        self.layout = layout
    }

    static func specs(unicode: Bool) -> [SMBStringSpec] {
        ["NativeOS", "NativeLanMan", "PrimaryDomain"].map { SMBStringSpec(name: $0, unicode: unicode) }
    }

    func encode(into e: inout SMBPacketEncoder) throws {
        guard securityBlob.count <= Int(UInt16.max) else {
            throw WireError.tooLarge(field: "SessionSetupAndXRequest.SecurityBlob", length: securityBlob.count, cap: Int(UInt16.max))
        }
        let wc = e.beginParameters()
        e.andXHeader(reserved: andX.reserved, terminalOffset: andX.terminalOffset)
        e.u16(parameters.maxBufferSize)
        e.u16(parameters.maxMpxCount)
        e.u16(parameters.vcNumber)
        e.u32(parameters.sessionKey)
        e.u16(UInt16(securityBlob.count))
        e.u32(reserved)
        e.u32(parameters.capabilities.rawValue)
        try e.endParameters(wc)
        let bc = e.beginData()
        e.append(securityBlob)
        e.stringRun([nativeOS, nativeLanMan, primaryDomain], specs: Self.specs(unicode: e.unicode), layout: layout)
        try e.endData(bc)
    }

    static func decode(_ r: inout WireReader, context: SMBDecodeContext) throws -> ExtendedSessionSetupRequest {
        let andX = try SessionSetupAndXRequest.readAndX(&r)
        let maxBuffer = try r.u16("MaxBufferSize")
        let maxMpx = try r.u16("MaxMpxCount")
        let vc = try r.u16("VcNumber")
        let sessionKey = try r.u32("SessionKey")
        let blobLength = try r.u16("SecurityBlobLength")
        let reserved = try r.u32("Reserved")
        let caps = SMBCapabilities(rawValue: try r.u32("Capabilities", meaning: { SMBCapabilities(rawValue: $0).summary }))
        _ = try SessionSetupAndXRequest.readByteCount(&r)
        let blob = try r.bytes("SecurityBlob", count: Int(blobLength), describe: SecurityBlobKind.describe)
        let (s, layout) = try r.stringRun(specs(unicode: context.unicode))
        return ExtendedSessionSetupRequest(
            andX: AndXTrailer(andX),
            parameters: SessionSetupParameters(maxBufferSize: maxBuffer, maxMpxCount: maxMpx, vcNumber: vc,
                                               sessionKey: sessionKey, capabilities: caps),
            reserved: reserved, securityBlob: blob, nativeOS: s[0], nativeLanMan: s[1], primaryDomain: s[2], layout: layout)
    }
}

/// SMB_COM_SESSION_SETUP_ANDX response: 3 words (old style) or 4 words (extended security,
/// carrying the server's next GSS token; status MORE_PROCESSING_REQUIRED until the last leg).
public enum SessionSetupAndXResponse: SMBMessageBody {
    public static let command = SMBCommand.sessionSetupAndX
    public static let isResponse = true
    public static let spanPrefix = "SessionSetupAndXResponse"

    case oldStyle(OldStyleSessionSetupResponse)
    case extended(ExtendedSessionSetupResponse)

    /// Bit 0 of Action: the server logged the user in as guest.
    public static let actionGuest: UInt16 = 0x0001

    public var action: UInt16 {
        switch self {
        case let .oldStyle(v): return v.action
        case let .extended(v): return v.action
        }
    }

    public func encode(into e: inout SMBPacketEncoder) throws {
        switch self {
        case let .oldStyle(v): try v.encode(into: &e)
        case let .extended(v): try v.encode(into: &e)
        }
    }

    public static func decode(_ block: SMBBlock, in packet: [UInt8], context: SMBDecodeContext) throws -> Annotated<Self> {
        var r = blockReader(block, in: packet, context: context)
        let wc = try readWordCount(&r, allowed: [3, 4])
        if wc == 3 {
            let v = try OldStyleSessionSetupResponse.decode(&r, context: context)
            return Annotated(value: .oldStyle(v), spans: r.spans)
        }
        let v = try ExtendedSessionSetupResponse.decode(&r, context: context)
        return Annotated(value: .extended(v), spans: r.spans)
    }

    static func actionMeaning(_ v: UInt16) -> String {
        var parts: [String] = []
        if v & 1 != 0 { parts.append("GUEST") }
        if v & 2 != 0 { parts.append("USE_LANMAN_KEY") }
        if v & ~3 != 0 { parts.append("0x" + hex(UInt64(v & ~3), width: 4)) }
        return parts.isEmpty ? "logged in as the user" : parts.joined(separator: "|")
    }

    static func specs(unicode: Bool) -> [SMBStringSpec] {
        ["NativeOS", "NativeLanMan", "PrimaryDomain"].map { SMBStringSpec(name: $0, unicode: unicode) }
    }
}

/// The 3-word SESSION_SETUP_ANDX response (MS-CIFS 2.2.4.53.2).
public struct OldStyleSessionSetupResponse: Equatable, Sendable {
    public var andX: AndXTrailer
    public var action: UInt16
    public var nativeOS: String?
    public var nativeLanMan: String?
    public var primaryDomain: String?
    public var layout: SMBStringLayout

    public init(andX: AndXTrailer = AndXTrailer(), action: UInt16 = 0, nativeOS: String?, nativeLanMan: String?,
                primaryDomain: String?, layout: SMBStringLayout = SMBStringLayout()) {
        self.andX = andX
        self.action = action
        self.nativeOS = nativeOS
        self.nativeLanMan = nativeLanMan
        self.primaryDomain = primaryDomain
        self.layout = layout
    }

    func encode(into e: inout SMBPacketEncoder) throws {
        let wc = e.beginParameters()
        e.andXHeader(reserved: andX.reserved, terminalOffset: andX.terminalOffset)
        e.u16(action)
        try e.endParameters(wc)
        let bc = e.beginData()
        e.stringRun([nativeOS, nativeLanMan, primaryDomain],
                    specs: SessionSetupAndXResponse.specs(unicode: e.unicode), layout: layout)
        try e.endData(bc)
    }

    static func decode(_ r: inout WireReader, context: SMBDecodeContext) throws -> OldStyleSessionSetupResponse {
        let andX = try SessionSetupAndXResponse.readAndX(&r)
        let action = try r.u16("Action", meaning: SessionSetupAndXResponse.actionMeaning)
        _ = try SessionSetupAndXResponse.readByteCount(&r)
        let (s, layout) = try r.stringRun(SessionSetupAndXResponse.specs(unicode: context.unicode))
        return OldStyleSessionSetupResponse(andX: AndXTrailer(andX), action: action, nativeOS: s[0],
                                            nativeLanMan: s[1], primaryDomain: s[2], layout: layout)
    }
}

/// The 4-word extended-security SESSION_SETUP_ANDX response (MS-SMB 2.2.4.6.2).
public struct ExtendedSessionSetupResponse: Equatable, Sendable {
    public var andX: AndXTrailer
    public var action: UInt16
    public var securityBlob: [UInt8]
    public var nativeOS: String?
    public var nativeLanMan: String?
    public var primaryDomain: String?
    public var layout: SMBStringLayout

    public init(andX: AndXTrailer = AndXTrailer(), action: UInt16 = 0, securityBlob: [UInt8], nativeOS: String?,
                nativeLanMan: String?, primaryDomain: String?, layout: SMBStringLayout = SMBStringLayout()) {
        self.andX = andX
        self.action = action
        self.securityBlob = securityBlob
        self.nativeOS = nativeOS
        self.nativeLanMan = nativeLanMan
        self.primaryDomain = primaryDomain
        self.layout = layout
    }

    func encode(into e: inout SMBPacketEncoder) throws {
        guard securityBlob.count <= Int(UInt16.max) else {
            throw WireError.tooLarge(field: "SessionSetupAndXResponse.SecurityBlob", length: securityBlob.count, cap: Int(UInt16.max))
        }
        let wc = e.beginParameters()
        e.andXHeader(reserved: andX.reserved, terminalOffset: andX.terminalOffset)
        e.u16(action)
        e.u16(UInt16(securityBlob.count))
        try e.endParameters(wc)
        let bc = e.beginData()
        e.append(securityBlob)
        e.stringRun([nativeOS, nativeLanMan, primaryDomain],
                    specs: SessionSetupAndXResponse.specs(unicode: e.unicode), layout: layout)
        try e.endData(bc)
    }

    static func decode(_ r: inout WireReader, context: SMBDecodeContext) throws -> ExtendedSessionSetupResponse {
        let andX = try SessionSetupAndXResponse.readAndX(&r)
        let action = try r.u16("Action", meaning: SessionSetupAndXResponse.actionMeaning)
        let blobLength = try r.u16("SecurityBlobLength")
        _ = try SessionSetupAndXResponse.readByteCount(&r)
        let blob = try r.bytes("SecurityBlob", count: Int(blobLength), describe: SecurityBlobKind.describe)
        let (s, layout) = try r.stringRun(SessionSetupAndXResponse.specs(unicode: context.unicode))
        return ExtendedSessionSetupResponse(andX: AndXTrailer(andX), action: action, securityBlob: blob, nativeOS: s[0],
                                            nativeLanMan: s[1], primaryDomain: s[2], layout: layout)
    }
}

/// A one-word guess at what a security blob is, for span meanings (the NTLMSSP/SPNEGO
/// decoders give the detail).
enum SecurityBlobKind {
    static func describe(_ blob: [UInt8]) -> String {
        let ntlmssp: [UInt8] = Array("NTLMSSP".utf8) + [0]
        if blob.starts(with: ntlmssp) {
            let type = blob.count >= 12 ? Int(blob[8]) : 0
            return "raw NTLMSSP message type \(type)"
        }
        switch blob.first {
        case 0x60: return "SPNEGO NegTokenInit (GSS-API)"
        case 0xA0: return "SPNEGO NegTokenInit"
        case 0xA1: return "SPNEGO NegTokenResp"
        case nil: return "empty"
        default: return "security blob"
        }
    }
}
