import Foundation

/// The smbclient 4.17 ↔ smbd 4.17 captures in Tests/SMBWireTests/Fixtures (SMB messages
/// without NBSS headers), read from the source tree.
enum Fixture {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SMBWireTests/Fixtures")

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name + ".bin")))
    }

    static func u16(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 }

    /// The security blob of a 12-word extended SESSION_SETUP_ANDX request.
    static func requestBlob(_ packet: [UInt8]) -> [UInt8] {
        let length = u16(packet, 33 + 14)
        let start = 33 + 24 + 2
        return Array(packet[start..<(start + length)])
    }

    /// The security blob of a 4-word extended SESSION_SETUP_ANDX response.
    static func responseBlob(_ packet: [UInt8]) -> [UInt8] {
        let length = u16(packet, 33 + 6)
        let start = 33 + 8 + 2
        return Array(packet[start..<(start + length)])
    }

    /// The password fields of a 13-word old-style SESSION_SETUP_ANDX request.
    static func oldStylePasswords(_ packet: [UInt8]) -> (lm: [UInt8], nt: [UInt8]) {
        let lmLength = u16(packet, 33 + 14)
        let ntLength = u16(packet, 33 + 16)
        let start = 33 + 26 + 2
        return (Array(packet[start..<(start + lmLength)]),
                Array(packet[(start + lmLength)..<(start + lmLength + ntLength)]))
    }

    /// The 8-byte challenge of a non-extended NEGOTIATE response.
    static func negotiateChallenge(_ packet: [UInt8]) -> [UInt8] {
        let start = 33 + 34 + 2
        return Array(packet[start..<(start + 8)])
    }
}
