/// An SMB1 extended-security blob decoded all the way down: raw NTLMSSP, or SPNEGO with the
/// NTLMSSP message inside it decoded too.
public struct SecurityBlob: Equatable, Sendable, CustomStringConvertible {
    /// The SPNEGO wrapper; nil when the blob is raw NTLMSSP.
    public var spnego: SPNEGOToken?
    /// The NTLMSSP message, raw or from inside the SPNEGO token; nil when there is none
    /// (e.g. the server's NegTokenInit in the NEGOTIATE response).
    public var ntlmssp: NTLMSSPMessage?

    public init(spnego: SPNEGOToken?, ntlmssp: NTLMSSPMessage?) {
        self.spnego = spnego
        self.ntlmssp = ntlmssp
    }

    public var description: String {
        [spnego?.description, ntlmssp?.description].compactMap { $0 }.joined(separator: " / ")
    }

    /// Decodes `blob`. Spans cover the SPNEGO TLVs and then, in place of the token's opaque
    /// OCTET STRING value, the NTLMSSP fields — all relative to `blob[0]` plus `base`.
    /// An inner token that is not NTLMSSP is left opaque.
    public static func decode(_ blob: [UInt8], base: Int = 0) throws -> Annotated<SecurityBlob> {
        if NTLMSSP.hasSignature(blob) {
            let m = try NTLMSSPMessage.decode(blob, base: base)
            return Annotated(value: SecurityBlob(spnego: nil, ntlmssp: m.value), spans: m.spans)
        }
        let outer = try SPNEGO.decode(blob, base: base)
        guard let inner = try SPNEGO.unwrapIfNTLMSSP(blob) else {
            return Annotated(value: SecurityBlob(spnego: outer.value, ntlmssp: nil), spans: outer.spans)
        }
        let m = try NTLMSSPMessage.decode(inner.token, base: base + inner.offset)
        let tokenRange = (base + inner.offset)..<(base + inner.offset + inner.token.count)
        let spans = outer.spans.filter { !($0.range == tokenRange && $0.name.hasSuffix(".octets.value")) } + m.spans
        return Annotated(value: SecurityBlob(spnego: outer.value, ntlmssp: m.value), spans: spans)
    }

    /// Re-encodes the blob: the NTLMSSP message placed into the SPNEGO token's mechToken or
    /// responseToken (or alone, when there is no SPNEGO wrapper).
    public func encode() throws -> [UInt8] {
        let inner = try ntlmssp?.encode()
        switch spnego {
        case nil:
            return inner ?? []
        case var .negTokenInit(t)?:
            if let inner { t.mechToken = inner }
            return t.encode()
        case var .negTokenResp(t)?:
            if let inner { t.responseToken = inner }
            return t.encode()
        }
    }
}

extension SPNEGO {
    /// Like ``unwrap(_:)`` but returns nil (instead of throwing) for a non-NTLMSSP inner token.
    static func unwrapIfNTLMSSP(_ blob: [UInt8]) throws -> SPNEGOInnerToken? {
        do {
            return try unwrap(blob)
        } catch WireError.unsupported {
            return nil
        }
    }
}
