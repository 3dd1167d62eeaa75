/// Bytes from a hex string; spaces are ignored. An odd length or a bad digit yields an empty
/// array, which makes the test using it fail on its byte comparison.
func hex(_ string: String) -> [UInt8] {
    let digits = Array(string.filter { !$0.isWhitespace })
    guard digits.count % 2 == 0 else { return [] }
    var bytes: [UInt8] = []
    for i in stride(from: 0, to: digits.count, by: 2) {
        guard let byte = UInt8(String(digits[i...i + 1]), radix: 16) else { return [] }
        bytes.append(byte)
    }
    return bytes
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

/// The MS-NLMP §4.2.1 common inputs.
enum MSNLMP {
    static let user = "User"
    static let domain = "Domain"
    static let password = "Password"
    static let serverChallenge = hex("0123456789abcdef")
    static let clientChallenge = hex("aaaaaaaaaaaaaaaa")
    static let time = hex("0000000000000000")
    static let randomSessionKey = hex("55555555555555555555555555555555")
    /// §4.2.4: MsvAvNbDomainName "Domain", MsvAvNbComputerName "Server", MsvAvEOL.
    static let targetInfo = hex("""
        02000c0044006f006d00610069006e00
        01000c00530065007200760065007200
        00000000
        """)
}
