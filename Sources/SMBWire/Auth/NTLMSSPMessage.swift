/// Constants shared by the NTLMSSP messages (MS-NLMP §2.2.1).
public enum NTLMSSP {
    /// `"NTLMSSP\0"`, the first 8 bytes of every message.
    public static let signature: [UInt8] = Array("NTLMSSP".utf8) + [0]
    /// Default prefix for decoded span names.
    public static let spanPrefix = "ntlmssp."

    /// True when `bytes` starts with ``signature`` (a raw, not SPNEGO-wrapped, NTLMSSP token).
    public static func hasSignature<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        bytes.count >= signature.count && zip(bytes, signature).allSatisfy { $0 == $1 }
    }

    /// Reads and checks the Signature and MessageType fields.
    static func readPrologue(_ r: inout WireReader, expecting type: NTLMSSPMessageType) throws {
        let sig = try r.bytes("Signature", count: 8, meaning: "NTLMSSP\\0")
        guard sig == signature else {
            throw WireError.invalidValue(field: r.prefix + "Signature",
                                         reason: "expected 4e544c4d53535000 (\"NTLMSSP\\0\"), got \(Hex.encode(sig))")
        }
        let raw = try r.u32("MessageType") { NTLMSSPMessageType(rawValue: $0)?.name }
        guard raw == type.rawValue else {
            let got = NTLMSSPMessageType(rawValue: raw).map { " (\($0.name))" } ?? ""
            throw WireError.invalidValue(field: r.prefix + "MessageType",
                                         reason: "expected \(type.rawValue) (\(type.name)), got \(raw)\(got)")
        }
    }

    static func writePrologue(_ w: inout WireWriter, _ type: NTLMSSPMessageType) {
        w.append(signature)
        w.u32(type.rawValue)
    }
}

/// The MessageType field.
public enum NTLMSSPMessageType: UInt32, Sendable, CaseIterable {
    case negotiate = 1
    case challenge = 2
    case authenticate = 3

    /// `NtLmNegotiate`, `NtLmChallenge`, `NtLmAuthenticate`.
    public var name: String {
        switch self {
        case .negotiate: return "NtLmNegotiate"
        case .challenge: return "NtLmChallenge"
        case .authenticate: return "NtLmAuthenticate"
        }
    }

    /// The type of the NTLMSSP message in `bytes`, after checking its signature.
    public static func of(_ bytes: [UInt8]) throws -> NTLMSSPMessageType {
        var r = WireReader(bytes, recordsSpans: false)
        let sig = try r.bytes("Signature", count: 8)
        guard sig == NTLMSSP.signature else {
            throw WireError.invalidValue(field: "Signature", reason: "not an NTLMSSP message (\(Hex.encode(sig)))")
        }
        let raw = try r.u32("MessageType")
        guard let t = NTLMSSPMessageType(rawValue: raw) else {
            throw WireError.invalidValue(field: "MessageType", reason: "unknown NTLMSSP message type \(raw)")
        }
        return t
    }
}

/// Any of the three NTLMSSP messages.
public enum NTLMSSPMessage: Equatable, Sendable, CustomStringConvertible {
    case negotiate(NTLMSSPNegotiateMessage)
    case challenge(NTLMSSPChallengeMessage)
    case authenticate(NTLMSSPAuthenticateMessage)

    /// Decodes whichever message `bytes` holds; see the per-message `decode` for `base` and `prefix`.
    public static func decode(_ bytes: [UInt8], base: Int = 0,
                              prefix: String = NTLMSSP.spanPrefix) throws -> Annotated<NTLMSSPMessage> {
        switch try NTLMSSPMessageType.of(bytes) {
        case .negotiate:
            let a = try NTLMSSPNegotiateMessage.decode(bytes, base: base, prefix: prefix)
            return Annotated(value: .negotiate(a.value), spans: a.spans)
        case .challenge:
            let a = try NTLMSSPChallengeMessage.decode(bytes, base: base, prefix: prefix)
            return Annotated(value: .challenge(a.value), spans: a.spans)
        case .authenticate:
            let a = try NTLMSSPAuthenticateMessage.decode(bytes, base: base, prefix: prefix)
            return Annotated(value: .authenticate(a.value), spans: a.spans)
        }
    }

    /// Encodes the message; `style` applies to NEGOTIATE and AUTHENTICATE built in code.
    public func encode(style: NTLMSSPPayloadStyle = .canonical) throws -> [UInt8] {
        switch self {
        case let .negotiate(m): return try m.encode(style: style)
        case let .challenge(m): return try m.encode()
        case let .authenticate(m): return try m.encode(style: style)
        }
    }

    public var description: String {
        switch self {
        case let .negotiate(m): return m.description
        case let .challenge(m): return m.description
        case let .authenticate(m): return m.description
        }
    }

    public var type: NTLMSSPMessageType {
        switch self {
        case .negotiate: return .negotiate
        case .challenge: return .challenge
        case .authenticate: return .authenticate
        }
    }
}

/// Byte positions for the AUTHENTICATE message's MIC (MS-NLMP §3.1.5.1.2).
///
/// The MIC is HMAC_MD5(ExportedSessionKey, NEGOTIATE ‖ CHALLENGE ‖ AUTHENTICATE-with-MIC-zeroed),
/// truncated to 16 bytes. The crypto lives in SMBCrypto; this gives it the bytes.
public enum NTLMSSPMIC {
    /// Where the MIC sits in an AUTHENTICATE message that has one: bytes 72..<88, right after
    /// the Version field.
    public static let range = 72..<88

    /// ``range`` if the AUTHENTICATE message in `authenticate` carries a MIC, else nil.
    public static func range(inAuthenticate authenticate: [UInt8]) throws -> Range<Int>? {
        try NTLMSSPAuthenticateMessage.decode(authenticate).value.mic == nil ? nil : range
    }

    /// The MIC's input: the three messages as sent, concatenated, with the 16 MIC bytes of
    /// `authenticate` zeroed. Throws if a message is not of the expected type or AUTHENTICATE
    /// has no MIC.
    public static func input(negotiate: [UInt8], challenge: [UInt8], authenticate: [UInt8]) throws -> [UInt8] {
        guard try NTLMSSPMessageType.of(negotiate) == .negotiate else {
            throw WireError.invalidValue(field: "negotiate", reason: "not a NEGOTIATE message")
        }
        guard try NTLMSSPMessageType.of(challenge) == .challenge else {
            throw WireError.invalidValue(field: "challenge", reason: "not a CHALLENGE message")
        }
        guard let mic = try range(inAuthenticate: authenticate) else {
            throw WireError.invalidValue(field: "authenticate", reason: "AUTHENTICATE message carries no MIC")
        }
        var zeroed = authenticate
        zeroed.replaceSubrange(mic, with: repeatElement(0, count: mic.count))
        return negotiate + challenge + zeroed
    }
}
