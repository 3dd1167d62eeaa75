/// SPNEGO (RFC 4178, MS-SPNG) as SMB1 uses it: the security blob of the NEGOTIATE response
/// and of SESSION_SETUP_ANDX with extended security.
///
/// Decoding is strict DER (see ``DER``) against the token schema: unknown or out-of-order
/// elements, wrong inner types, and trailing bytes are errors, so a decoded token re-encodes
/// to exactly the bytes it came from.
public enum SPNEGO {
    /// Default prefix for decoded span names.
    public static let spanPrefix = "spnego."

    /// Decodes a whole security blob holding one SPNEGO token. Each TLV yields spans named
    /// `<path>.tag`, `<path>.length` and (for primitive values) `<path>.value`, with ranges
    /// relative to `blob[0]` plus `base`.
    public static func decode(_ blob: [UInt8], base: Int = 0,
                              prefix: String = SPNEGO.spanPrefix) throws -> Annotated<SPNEGOToken> {
        var d = SPNEGODecoder(bytes: blob, base: base, prefix: prefix)
        let token = try d.decodeToken()
        return Annotated(value: token, spans: d.spans)
    }

    /// DER encoding of `token`.
    public static func encode(_ token: SPNEGOToken) -> [UInt8] {
        switch token {
        case let .negTokenInit(t): return t.encode()
        case let .negTokenResp(t): return t.encode()
        }
    }

    /// Finds the NTLMSSP token in a security blob: the blob itself when it starts with
    /// `NTLMSSP\0` (raw NTLMSSP, as the Linux 3.8 kernel sends it), else the mechToken or
    /// responseToken of the SPNEGO token it holds. Returns nil when there is no inner token
    /// (an empty blob, or the server's NegTokenInit in the NEGOTIATE response). Throws on a
    /// malformed blob or an inner token that is not NTLMSSP (e.g. Kerberos).
    public static func unwrap(_ blob: [UInt8]) throws -> SPNEGOInnerToken? {
        if blob.isEmpty { return nil }
        if NTLMSSP.hasSignature(blob) { return SPNEGOInnerToken(token: blob, offset: 0, wrapping: .raw) }
        var d = SPNEGODecoder(bytes: blob, base: 0, prefix: spanPrefix, recordsSpans: false)
        let token = try d.decodeToken()
        guard let range = d.innerToken else { return nil }
        let inner = Array(blob[range])
        guard NTLMSSP.hasSignature(inner) else {
            throw WireError.unsupported("SPNEGO inner token is not NTLMSSP (starts \(Hex.encode(inner.prefix(8))))")
        }
        if case .negTokenInit = token {
            return SPNEGOInnerToken(token: inner, offset: range.lowerBound, wrapping: .negTokenInit)
        }
        return SPNEGOInnerToken(token: inner, offset: range.lowerBound, wrapping: .negTokenResp)
    }
}

/// What ``SPNEGO/unwrap(_:)`` found.
public struct SPNEGOInnerToken: Equatable, Sendable {
    public enum Wrapping: Equatable, Sendable {
        /// The blob was the NTLMSSP message itself.
        case raw
        /// The NTLMSSP message was a NegTokenInit's mechToken.
        case negTokenInit
        /// The NTLMSSP message was a NegTokenResp's responseToken.
        case negTokenResp
    }

    /// The NTLMSSP message.
    public var token: [UInt8]
    /// Where it starts in the blob (use as `base` when decoding it, for blob-relative spans).
    public var offset: Int
    public var wrapping: Wrapping
}

extension SPNEGONegTokenInit {
    /// DER encoding, GSS-framed when ``gssFramed``.
    public func encode() -> [UInt8] {
        var elements = [UInt8]()
        if mechTypes != nil { elements += DER.encode(tag: 0xa0, encodedMechTypeList) }
        if let reqFlags { elements += DER.encode(tag: 0xa1, DER.encode(tag: 0x03, reqFlags)) }
        if let mechToken { elements += DER.encode(tag: 0xa2, DER.encode(tag: 0x04, mechToken)) }
        if let negHints { elements += DER.encode(tag: 0xa3, negHints.encode()) }
        if let mechListMIC {
            let tag: UInt8 = negHints != nil || mechListMICAtTag4 ? 0xa4 : 0xa3
            elements += DER.encode(tag: tag, DER.encode(tag: 0x04, mechListMIC))
        }
        let choice = DER.encode(tag: 0xa0, DER.encode(tag: 0x30, elements))
        return gssFramed ? DER.encode(tag: 0x60, ASN1ObjectIdentifier.spnego.encoded + choice) : choice
    }
}

extension SPNEGONegHints {
    /// The DER SEQUENCE.
    public func encode() -> [UInt8] {
        var elements = [UInt8]()
        if let hintName { elements += DER.encode(tag: 0xa0, DER.encode(tag: 0x1b, hintName)) }
        if let hintAddress { elements += DER.encode(tag: 0xa1, DER.encode(tag: 0x04, hintAddress)) }
        return DER.encode(tag: 0x30, elements)
    }
}

extension SPNEGONegTokenResp {
    /// DER encoding (`a1 … 30 …`), GSS-framed only when ``gssFramed``.
    public func encode() -> [UInt8] {
        var elements = [UInt8]()
        if let negState { elements += DER.encode(tag: 0xa0, DER.encode(tag: 0x0a, [negState.rawValue])) }
        if let supportedMech { elements += DER.encode(tag: 0xa1, supportedMech.encoded) }
        if let responseToken { elements += DER.encode(tag: 0xa2, DER.encode(tag: 0x04, responseToken)) }
        if let mechListMIC { elements += DER.encode(tag: 0xa3, DER.encode(tag: 0x04, mechListMIC)) }
        let choice = DER.encode(tag: 0xa1, DER.encode(tag: 0x30, elements))
        return gssFramed ? DER.encode(tag: 0x60, ASN1ObjectIdentifier.spnego.encoded + choice) : choice
    }
}
