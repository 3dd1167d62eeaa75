import Foundation
import Testing
@testable import SMBWire

/// Captured smbclient ↔ smbd SMB1 messages (one per file, no NBSS header).
enum Fixtures {
    struct Fixture: Sendable, CustomStringConvertible {
        var name: String
        var bytes: [UInt8]
        var description: String { name }
    }

    static let all: [Fixture] = {
        guard let dir = Bundle.module.url(forResource: "Fixtures", withExtension: nil),
              let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return [] }
        return names.filter { $0.hasSuffix(".bin") }.sorted().compactMap { name in
            guard let data = FileManager.default.contents(atPath: dir.appendingPathComponent(name).path) else { return nil }
            return Fixture(name: name, bytes: [UInt8](data))
        }
    }()

    static func named(_ name: String) throws -> [UInt8] {
        try #require(all.first { $0.name == name }).bytes
    }

    /// The TRANS2 request preceding each TRANS2 response in the same capture, so the
    /// response's data can be decoded as the requested level.
    static func trans2Context(for fixture: Fixture) -> Trans2RequestInfo? {
        guard fixture.name.contains("s2c-trans2"), let dash = fixture.name.range(of: "-s2c-") else { return nil }
        let prefix = String(fixture.name[..<dash.lowerBound])  // e.g. ntlmssp-018
        guard let numberStart = prefix.lastIndex(of: "-"), let n = Int(prefix[prefix.index(after: numberStart)...]) else { return nil }
        let requestName = prefix[..<numberStart] + "-" + String(format: "%03d", n - 1) + "-c2s-trans2.bin"
        guard let request = all.first(where: { $0.name == requestName }),
              let decoded = try? Trans2Request.decodePacket(request.bytes, recordsSpans: false) else { return nil }
        return decoded.value.body.info(unicode: decoded.value.header.isUnicode)
    }
}

@Suite struct FixtureTests {
    @Test func fixturesArePresent() {
        #expect(Fixtures.all.count >= 90)
    }

    @Test(arguments: Fixtures.all)
    func decodesAndReencodesExactly(_ fixture: Fixtures.Fixture) throws {
        let decoded = try SMBMessage.decode(fixture.bytes, trans2Request: Fixtures.trans2Context(for: fixture))
        for block in decoded.value.blocks {
            if case .raw = block.body { Issue.record("\(fixture.name): \(block.body.command.name) not typed") }
        }
        let reencoded = try decoded.value.encode()
        #expect(reencoded == fixture.bytes, "\(fixture.name): \(Hex.encode(reencoded)) vs \(Hex.encode(fixture.bytes))")
        // Every byte of the message is covered by some span.
        var covered = [Bool](repeating: false, count: fixture.bytes.count)
        for span in decoded.spans {
            #expect(span.range.lowerBound >= 0 && span.range.upperBound <= fixture.bytes.count, "\(span)")
            for i in span.range where i < covered.count { covered[i] = true }
        }
        let gaps = covered.indices.filter { !covered[$0] }
        #expect(gaps.isEmpty, "\(fixture.name): bytes without a span: \(gaps.prefix(10))")
    }
}
