/// The 8-byte VERSION structure (MS-NLMP §2.2.2.10): the sender's OS version and NTLMSSP revision.
///
/// It is informational only; MS-NLMP says to ignore it on receipt. It is kept whole (reserved
/// bytes included) so decoded messages re-encode byte for byte.
public struct NTLMSSPVersion: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var productMajorVersion: UInt8
    public var productMinorVersion: UInt8
    public var productBuild: UInt16
    /// Three reserved bytes, little-endian (normally zero).
    public var reserved: UInt32
    /// `NTLMSSP_REVISION_W2K3` (15) in every current implementation.
    public var ntlmRevisionCurrent: UInt8

    /// Encoded size.
    public static let size = 8
    /// `NTLMSSP_REVISION_W2K3`.
    public static let revisionW2K3: UInt8 = 0x0f

    public init(productMajorVersion: UInt8, productMinorVersion: UInt8, productBuild: UInt16,
                reserved: UInt32 = 0, ntlmRevisionCurrent: UInt8 = NTLMSSPVersion.revisionW2K3) {
        self.productMajorVersion = productMajorVersion
        self.productMinorVersion = productMinorVersion
        self.productBuild = productBuild
        self.reserved = reserved & 0x00ff_ffff
        self.ntlmRevisionCurrent = ntlmRevisionCurrent
    }

    /// `6.1 build 0, NTLMSSP revision 15`.
    public var description: String {
        "\(productMajorVersion).\(productMinorVersion) build \(productBuild), NTLMSSP revision \(ntlmRevisionCurrent)"
    }

    static func read(_ r: inout WireReader, name: String = "Version") throws -> NTLMSSPVersion {
        let major = try r.u8(name + ".ProductMajorVersion")
        let minor = try r.u8(name + ".ProductMinorVersion")
        let build = try r.u16(name + ".ProductBuild")
        let res = try r.bytes(name + ".Reserved", count: 3)
        let rev = try r.u8(name + ".NTLMRevisionCurrent") { $0 == revisionW2K3 ? "NTLMSSP_REVISION_W2K3" : nil }
        return NTLMSSPVersion(productMajorVersion: major, productMinorVersion: minor, productBuild: build,
                              reserved: UInt32(res[0]) | UInt32(res[1]) << 8 | UInt32(res[2]) << 16,
                              ntlmRevisionCurrent: rev)
    }

    func write(_ w: inout WireWriter) {
        w.u8(productMajorVersion)
        w.u8(productMinorVersion)
        w.u16(productBuild)
        w.u8(UInt8(truncatingIfNeeded: reserved))
        w.u8(UInt8(truncatingIfNeeded: reserved >> 8))
        w.u8(UInt8(truncatingIfNeeded: reserved >> 16))
        w.u8(ntlmRevisionCurrent)
    }
}
