/// An ASN.1 OBJECT IDENTIFIER, as SPNEGO uses them to name mechanisms.
public struct ASN1ObjectIdentifier: Hashable, Sendable, CustomStringConvertible {
    /// The arcs, e.g. `[1, 3, 6, 1, 5, 5, 2]`.
    public let arcs: [UInt64]

    /// Fails unless there are at least two arcs, the first is 0–2, and (for 0 and 1) the
    /// second is below 40 — the constraints of the DER encoding.
    public init?(arcs: [UInt64]) {
        guard arcs.count >= 2, arcs[0] <= 2, arcs[0] == 2 || arcs[1] < 40,
              arcs[1] <= UInt64.max - 80 else { return nil }
        self.arcs = arcs
    }

    /// Parses dotted notation, `"1.3.6.1.5.5.2"`.
    public init?(_ dotted: String) {
        var arcs = [UInt64]()
        for part in dotted.split(separator: ".", omittingEmptySubsequences: false) {
            guard let v = UInt64(part) else { return nil }
            arcs.append(v)
        }
        self.init(arcs: arcs)
    }

    private init(known arcs: [UInt64]) { self.arcs = arcs }

    /// SPNEGO, 1.3.6.1.5.5.2 (RFC 4178).
    public static let spnego = Self(known: [1, 3, 6, 1, 5, 5, 2])
    /// NTLMSSP, 1.3.6.1.4.1.311.2.2.10.
    public static let ntlmssp = Self(known: [1, 3, 6, 1, 4, 1, 311, 2, 2, 10])
    /// Kerberos 5, 1.2.840.113554.1.2.2 (RFC 4121).
    public static let kerberos5 = Self(known: [1, 2, 840, 113554, 1, 2, 2])
    /// Microsoft's legacy Kerberos OID, 1.2.840.48018.1.2.2 (a mis-encoded 113554 kept for compatibility).
    public static let msKerberos5 = Self(known: [1, 2, 840, 48018, 1, 2, 2])
    /// Kerberos 5 user-to-user, 1.2.840.113554.1.2.2.3.
    public static let kerberos5UserToUser = Self(known: [1, 2, 840, 113554, 1, 2, 2, 3])
    /// NEGOEX, 1.3.6.1.4.1.311.2.2.30 (MS-NEGOEX).
    public static let negoex = Self(known: [1, 3, 6, 1, 4, 1, 311, 2, 2, 30])

    /// A short name for the well-known mechanisms.
    public var name: String? {
        switch self {
        case .spnego: return "SPNEGO"
        case .ntlmssp: return "NTLMSSP"
        case .kerberos5: return "Kerberos 5"
        case .msKerberos5: return "MS Kerberos 5"
        case .kerberos5UserToUser: return "Kerberos 5 user-to-user"
        case .negoex: return "NEGOEX"
        default: return nil
        }
    }

    /// `1.3.6.1.4.1.311.2.2.10`.
    public var dotted: String { arcs.map(String.init).joined(separator: ".") }

    /// `1.3.6.1.4.1.311.2.2.10 (NTLMSSP)`.
    public var description: String { dotted + (name.map { " (\($0))" } ?? "") }

    /// The DER contents octets (without tag and length).
    public var encodedContents: [UInt8] {
        var out = [UInt8]()
        let first = arcs.count >= 2 ? arcs[0] * 40 + arcs[1] : 0
        for sub in [first] + arcs.dropFirst(2) {
            var chunk: [UInt8] = [UInt8(sub & 0x7f)]
            var v = sub >> 7
            while v > 0 {
                chunk.insert(UInt8(v & 0x7f) | 0x80, at: 0)
                v >>= 7
            }
            out += chunk
        }
        return out
    }

    /// The full TLV, `06 len …`.
    public var encoded: [UInt8] { DER.encode(tag: 0x06, encodedContents) }

    /// Decodes DER contents octets, rejecting empty contents, non-minimal subidentifiers
    /// (leading 0x80), a last octet with the continuation bit, and arcs past 64 bits.
    public static func decode<C: Collection>(contents: C, field: String = "OBJECT IDENTIFIER") throws
        -> ASN1ObjectIdentifier where C.Element == UInt8 {
        guard !contents.isEmpty else {
            throw WireError.invalidValue(field: field, reason: "empty OBJECT IDENTIFIER")
        }
        var subs = [UInt64]()
        var v: UInt64 = 0
        var inProgress = false
        for b in contents {
            if !inProgress, b == 0x80 {
                throw WireError.invalidValue(field: field, reason: "non-minimal subidentifier (leading 0x80)")
            }
            guard v <= UInt64.max >> 7 else {
                throw WireError.tooLarge(field: field, length: 64, cap: 63)
            }
            v = v << 7 | UInt64(b & 0x7f)
            if b & 0x80 == 0 {
                subs.append(v)
                v = 0
                inProgress = false
            } else {
                inProgress = true
            }
        }
        guard !inProgress, let first = subs.first else {
            throw WireError.invalidValue(field: field, reason: "last subidentifier is cut short")
        }
        let head: [UInt64] = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80]
        return ASN1ObjectIdentifier(known: head + subs.dropFirst())
    }
}
