/// The NegotiateFlags word carried by every NTLMSSP message (MS-NLMP §2.2.2.5).
///
/// The client proposes flags in NEGOTIATE, the server answers with the subset it accepts in
/// CHALLENGE, and the client repeats the final set in AUTHENTICATE. Bits MS-NLMP calls
/// reserved (r1–r10) have no named member but are kept, so a decoded word re-encodes as sent.
public struct NTLMSSPNegotiateFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// A: strings in CHALLENGE/AUTHENTICATE payloads are UTF-16LE.
    public static let negotiateUnicode = Self(rawValue: 0x0000_0001)
    /// B: strings are in the OEM code page.
    public static let negotiateOEM = Self(rawValue: 0x0000_0002)
    /// C: the server must return its TargetName in CHALLENGE.
    public static let requestTarget = Self(rawValue: 0x0000_0004)
    /// D: session signing requested.
    public static let negotiateSign = Self(rawValue: 0x0000_0010)
    /// E: session sealing (encryption) requested.
    public static let negotiateSeal = Self(rawValue: 0x0000_0020)
    /// F: connectionless (datagram) NTLM.
    public static let negotiateDatagram = Self(rawValue: 0x0000_0040)
    /// G: LAN Manager session key computation.
    public static let negotiateLMKey = Self(rawValue: 0x0000_0080)
    /// H: NTLM v1 session security.
    public static let negotiateNTLM = Self(rawValue: 0x0000_0200)
    /// J: anonymous connection.
    public static let anonymous = Self(rawValue: 0x0000_0800)
    /// K: NEGOTIATE carries an OEM domain name.
    public static let negotiateOEMDomainSupplied = Self(rawValue: 0x0000_1000)
    /// L: NEGOTIATE carries an OEM workstation name.
    public static let negotiateOEMWorkstationSupplied = Self(rawValue: 0x0000_2000)
    /// M: sign even when neither side asked for signing.
    public static let negotiateAlwaysSign = Self(rawValue: 0x0000_8000)
    /// N: TargetName is a domain name.
    public static let targetTypeDomain = Self(rawValue: 0x0001_0000)
    /// O: TargetName is a server name.
    public static let targetTypeServer = Self(rawValue: 0x0002_0000)
    /// P: NTLM2 (extended) session security.
    public static let negotiateExtendedSessionSecurity = Self(rawValue: 0x0008_0000)
    /// Q: identify-level token requested.
    public static let negotiateIdentify = Self(rawValue: 0x0010_0000)
    /// R: LMOWF-based session key requested.
    public static let requestNonNTSessionKey = Self(rawValue: 0x0040_0000)
    /// S: CHALLENGE carries TargetInfo (AV pairs).
    public static let negotiateTargetInfo = Self(rawValue: 0x0080_0000)
    /// T: the Version field is meaningful.
    public static let negotiateVersion = Self(rawValue: 0x0200_0000)
    /// U: 128-bit session key.
    public static let negotiate128 = Self(rawValue: 0x2000_0000)
    /// V: key exchange: AUTHENTICATE carries an RC4-encrypted random session key.
    public static let negotiateKeyExchange = Self(rawValue: 0x4000_0000)
    /// W: 56-bit encryption.
    public static let negotiate56 = Self(rawValue: 0x8000_0000)

    /// Every named flag with its MS-NLMP name, lowest bit first.
    public static let named: [(flag: NTLMSSPNegotiateFlags, name: String)] = [
        (.negotiateUnicode, "NTLMSSP_NEGOTIATE_UNICODE"),
        (.negotiateOEM, "NTLM_NEGOTIATE_OEM"),  // sic: MS-NLMP spells this one without "SSP"
        (.requestTarget, "NTLMSSP_REQUEST_TARGET"),
        (.negotiateSign, "NTLMSSP_NEGOTIATE_SIGN"),
        (.negotiateSeal, "NTLMSSP_NEGOTIATE_SEAL"),
        (.negotiateDatagram, "NTLMSSP_NEGOTIATE_DATAGRAM"),
        (.negotiateLMKey, "NTLMSSP_NEGOTIATE_LM_KEY"),
        (.negotiateNTLM, "NTLMSSP_NEGOTIATE_NTLM"),
        (.anonymous, "NTLMSSP_ANONYMOUS"),
        (.negotiateOEMDomainSupplied, "NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED"),
        (.negotiateOEMWorkstationSupplied, "NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED"),
        (.negotiateAlwaysSign, "NTLMSSP_NEGOTIATE_ALWAYS_SIGN"),
        (.targetTypeDomain, "NTLMSSP_TARGET_TYPE_DOMAIN"),
        (.targetTypeServer, "NTLMSSP_TARGET_TYPE_SERVER"),
        (.negotiateExtendedSessionSecurity, "NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY"),
        (.negotiateIdentify, "NTLMSSP_NEGOTIATE_IDENTIFY"),
        (.requestNonNTSessionKey, "NTLMSSP_REQUEST_NON_NT_SESSION_KEY"),
        (.negotiateTargetInfo, "NTLMSSP_NEGOTIATE_TARGET_INFO"),
        (.negotiateVersion, "NTLMSSP_NEGOTIATE_VERSION"),
        (.negotiate128, "NTLMSSP_NEGOTIATE_128"),
        (.negotiateKeyExchange, "NTLMSSP_NEGOTIATE_KEY_EXCH"),
        (.negotiate56, "NTLMSSP_NEGOTIATE_56"),
    ]

    /// Names of the set bits, lowest first; reserved bits appear as hex (`0x00000008`).
    public var names: [String] {
        var out = [String]()
        for bit in 0..<32 {
            let mask = UInt32(1) << UInt32(bit)
            guard rawValue & mask != 0 else { continue }
            if let entry = Self.named.first(where: { $0.flag.rawValue == mask }) {
                out.append(entry.name)
            } else {
                out.append("0x" + hex(UInt64(mask), width: 8))
            }
        }
        return out
    }

    /// `0x62088215 (NTLMSSP_NEGOTIATE_UNICODE | …)`.
    public var description: String {
        let n = names
        return "0x" + hex(UInt64(rawValue), width: 8) + (n.isEmpty ? "" : " (" + n.joined(separator: " | ") + ")")
    }
}
