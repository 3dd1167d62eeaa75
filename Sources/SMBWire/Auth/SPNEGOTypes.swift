/// A SPNEGO negotiation token (RFC 4178 §4.2, with MS-SPNG's NegTokenInit2).
public enum SPNEGOToken: Equatable, Sendable, CustomStringConvertible {
    /// `[0] NegTokenInit`: the server's offer in the SMB1 NEGOTIATE response, or the client's
    /// first SESSION_SETUP token.
    case negTokenInit(SPNEGONegTokenInit)
    /// `[1] NegTokenResp`: every later token in either direction.
    case negTokenResp(SPNEGONegTokenResp)

    public var description: String {
        switch self {
        case let .negTokenInit(t): return t.description
        case let .negTokenResp(t): return t.description
        }
    }
}

/// NegTokenInit / NegTokenInit2.
///
/// RFC 4178 numbers the elements mechTypes [0], reqFlags [1], mechToken [2], mechListMIC [3];
/// MS-SPNG's NegTokenInit2 (what Samba and Windows servers put in the NEGOTIATE response)
/// inserts negHints at [3] and moves mechListMIC to [4].
public struct SPNEGONegTokenInit: Equatable, Sendable, CustomStringConvertible {
    /// The mechanisms offered, most preferred first.
    public var mechTypes: [ASN1ObjectIdentifier]?
    /// ContextFlags BIT STRING contents, including the leading unused-bits octet.
    public var reqFlags: [UInt8]?
    /// The optimistic first token of the preferred mechanism (an NTLMSSP NEGOTIATE here).
    public var mechToken: [UInt8]?
    /// MS-SPNG negHints; Samba sends the fixed hint name ``SPNEGONegHints/rfc4178Placeholder``.
    public var negHints: SPNEGONegHints?
    public var mechListMIC: [UInt8]?
    /// Put mechListMIC at [4] (NegTokenInit2) rather than [3] (RFC 4178). Only matters when
    /// there is a MIC and no negHints (with negHints it is always [4]).
    public var mechListMICAtTag4: Bool
    /// Wrapped in the GSS-API InitialContextToken (`60 … 06 06 2b0601050502 …`), as the first
    /// token of a context always is on the wire.
    public var gssFramed: Bool

    public init(mechTypes: [ASN1ObjectIdentifier]? = nil, reqFlags: [UInt8]? = nil, mechToken: [UInt8]? = nil,
                negHints: SPNEGONegHints? = nil, mechListMIC: [UInt8]? = nil, mechListMICAtTag4: Bool = false,
                gssFramed: Bool = true) {
        self.mechTypes = mechTypes
        self.reqFlags = reqFlags
        self.mechToken = mechToken
        self.negHints = negHints
        self.mechListMIC = mechListMIC
        self.mechListMICAtTag4 = mechListMICAtTag4
        self.gssFramed = gssFramed
    }

    /// The DER MechTypeList (`30 … 06 …`), the input MS-SPNG's mechListMIC is computed over.
    public var encodedMechTypeList: [UInt8] {
        DER.encode(tag: 0x30, (mechTypes ?? []).flatMap(\.encoded))
    }

    public var description: String {
        var parts = [String]()
        if let mechTypes { parts.append("mechTypes=[" + mechTypes.map(\.description).joined(separator: ", ") + "]") }
        if let reqFlags { parts.append("reqFlags=\(Hex.encode(reqFlags))") }
        if let mechToken { parts.append("mechToken=\(mechToken.count)B") }
        if let negHints { parts.append("negHints=\(negHints)") }
        if let mechListMIC { parts.append("mechListMIC=\(Hex.encode(mechListMIC))") }
        return "NegTokenInit(" + parts.joined(separator: " ") + ")"
    }
}

/// MS-SPNG NegHints.
public struct SPNEGONegHints: Equatable, Sendable, CustomStringConvertible {
    /// GeneralString bytes.
    public var hintName: [UInt8]?
    public var hintAddress: [UInt8]?

    public init(hintName: [UInt8]? = nil, hintAddress: [UInt8]? = nil) {
        self.hintName = hintName
        self.hintAddress = hintAddress
    }

    public init(hintName: String) { self.init(hintName: Array(hintName.utf8)) }

    /// The hint Samba (and Windows since 2008) sends: `not_defined_in_RFC4178@please_ignore`.
    public static let rfc4178Placeholder = SPNEGONegHints(hintName: "not_defined_in_RFC4178@please_ignore")

    public var description: String {
        var parts = [String]()
        if let hintName { parts.append("hintName=\"" + String(decoding: hintName, as: UTF8.self) + "\"") }
        if let hintAddress { parts.append("hintAddress=\(Hex.encode(hintAddress))") }
        return "(" + parts.joined(separator: " ") + ")"
    }
}

/// NegTokenResp.
public struct SPNEGONegTokenResp: Equatable, Sendable, CustomStringConvertible {
    public var negState: SPNEGONegState?
    /// The mechanism the acceptor chose (in its first reply).
    public var supportedMech: ASN1ObjectIdentifier?
    /// The mechanism's next token (NTLMSSP CHALLENGE or AUTHENTICATE here).
    public var responseToken: [UInt8]?
    public var mechListMIC: [UInt8]?
    /// Wrapped in a GSS-API InitialContextToken; RFC 4178 never does this, but it is decoded
    /// and reproduced if a peer does.
    public var gssFramed: Bool

    public init(negState: SPNEGONegState? = nil, supportedMech: ASN1ObjectIdentifier? = nil,
                responseToken: [UInt8]? = nil, mechListMIC: [UInt8]? = nil, gssFramed: Bool = false) {
        self.negState = negState
        self.supportedMech = supportedMech
        self.responseToken = responseToken
        self.mechListMIC = mechListMIC
        self.gssFramed = gssFramed
    }

    public var description: String {
        var parts = [String]()
        if let negState { parts.append("negState=\(negState)") }
        if let supportedMech { parts.append("supportedMech=\(supportedMech)") }
        if let responseToken { parts.append("responseToken=\(responseToken.count)B") }
        if let mechListMIC { parts.append("mechListMIC=\(Hex.encode(mechListMIC))") }
        return "NegTokenResp(" + parts.joined(separator: " ") + ")"
    }
}

/// NegTokenResp's negState ENUMERATED.
public struct SPNEGONegState: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let acceptCompleted = Self(rawValue: 0)
    public static let acceptIncomplete = Self(rawValue: 1)
    public static let reject = Self(rawValue: 2)
    public static let requestMIC = Self(rawValue: 3)

    public var description: String {
        switch rawValue {
        case 0: return "accept-completed"
        case 1: return "accept-incomplete"
        case 2: return "reject"
        case 3: return "request-mic"
        default: return "unknown(\(rawValue))"
        }
    }
}
