import Foundation
import Testing
@testable import TraceRender

/// The synthetic capture must decode in tshark as SMB with no options and nothing malformed.
@Suite struct PcapWriterTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("SMBWireTests/Fixtures")

    static var tshark: String? {
        ["/usr/bin/tshark", "/usr/local/bin/tshark"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private func frame(_ message: [UInt8]) -> [UInt8] {
        [0, UInt8(message.count >> 16 & 0xff), UInt8(message.count >> 8 & 0xff), UInt8(message.count & 0xff)] + message
    }

    private func runTshark(_ pcap: [UInt8], fields: [String]) throws -> [String] {
        let tshark = try #require(Self.tshark, "tshark is not installed (scripts/install-deps --test)")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cifstep-\(UUID().uuidString).pcap")
        try Data(pcap).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tshark)
        p.arguments = ["-r", path.path, "-Y", "smb || _ws.malformed || _ws.expert.severity >= warning", "-T", "fields"]
            + fields.flatMap { ["-e", $0] }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test(.enabled(if: tshark != nil || ProcessInfo.processInfo.environment["CI"] == "true"))
    func capturedSessionDecodesInOrder() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.path)
            .filter { $0.hasPrefix("ntlmssp-signed-") }.sorted()
        #expect(names.count == 24)
        var writer = PcapWriter()
        writer.handshake(timestampMicros: 1_000_000)
        for (i, name) in names.enumerated() {
            let bytes = try [UInt8](Data(contentsOf: Self.fixtures.appendingPathComponent(name)))
            writer.message(fromClient: name.contains("-c2s-"), frame: frame(bytes), timestampMicros: 1_000_000 + UInt64(i))
        }
        let rows = try runTshark(writer.bytes, fields: ["smb.cmd", "smb.flags.response", "smb.signature", "_ws.malformed"])
        #expect(rows.count == 24)
        let commands = rows.map { $0.split(separator: "\t").first.map(String.init) ?? "" }
        #expect(commands.prefix(4) == ["0x72", "0x72", "0x73,0xff", "0x73,0xff"])
        // Every row after the login carries a real (non-zero) signature.
        for row in rows.dropFirst(6) {
            let cols = row.split(separator: "\t", omittingEmptySubsequences: false)
            #expect(cols.count >= 3 && cols[2] != "0000000000000000" && !cols[2].isEmpty)
        }
    }

    @Test(.enabled(if: tshark != nil || ProcessInfo.processInfo.environment["CI"] == "true"))
    func largeMessageIsSplitAndReassembled() throws {
        // A READ_ANDX response with 200,000 data bytes: needs four segments.
        var msg: [UInt8] = [0xff, 0x53, 0x4d, 0x42, 0x2e, 0, 0, 0, 0, 0x98, 0x01, 0xc8]
        msg += [UInt8](repeating: 0, count: 20)
        let dataLength = 200_000
        msg += [12, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        msg += [UInt8(dataLength & 0xff), UInt8(dataLength >> 8 & 0xff)]   // DataLength (low)
        msg += [59, 0]                                                       // DataOffset
        msg += [UInt8(dataLength >> 16 & 0xff), 0]                          // DataLengthHigh
        msg += [0, 0, 0, 0, 0, 0, 0, 0]
        msg += [UInt8(dataLength & 0xff), UInt8(dataLength >> 8 & 0xff)]   // ByteCount (low 16 bits)
        #expect(msg.count == 59)
        msg += (0..<dataLength).map { UInt8(truncatingIfNeeded: $0) }
        var writer = PcapWriter()
        writer.handshake(timestampMicros: 0)
        writer.message(fromClient: false, frame: frame(msg), timestampMicros: 1)
        let segments = (msg.count + 4 + PcapWriter.maxSegmentPayload - 1) / PcapWriter.maxSegmentPayload
        #expect(segments == 4)
        let rows = try runTshark(writer.bytes, fields: ["smb.cmd", "smb.data_len_low", "_ws.malformed"])
        #expect(rows.count == 1)
        #expect(rows.first?.hasPrefix("0x2e") == true)
    }

    @Test func checksumMatchesRFC1071Example() {
        // RFC 1071 §3 example bytes: 00 01 f2 03 f4 f5 f6 f7 → one's-complement sum ddf2.
        #expect(PcapWriter.checksum([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]) == ~UInt16(0xddf2))
    }
}
