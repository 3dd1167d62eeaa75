import KernelRuntime
import SMBWire
import Testing
@testable import SMBServer

@Suite("Directory searches (FIND_FIRST2, FIND_NEXT2, FIND_CLOSE2)")
struct FindTests {
    /// Names in a level-0x104 (BOTH_DIRECTORY_INFO) listing, following NextEntryOffset.
    static func names(_ data: [UInt8]) -> [String] {
        var names: [String] = []
        var offset = 0
        while offset + 94 <= data.count {
            let next = Int(data[offset]) | Int(data[offset + 1]) << 8 | Int(data[offset + 2]) << 16
            let length = Int(data[offset + 60]) | Int(data[offset + 61]) << 8
            names.append(SMBString.decode(data[(offset + 94)..<min(data.count, offset + 94 + length)], unicode: true))
            if next == 0 { break }
            offset += next
        }
        return names
    }

    @Test func pagedListingAndClose() throws {
        let result = try withPipeServer(TestData.configuration()) { _, client -> [String] in
            _ = try client.negotiate(extended: true)
            try client.loginNTLMSSP(user: "alice", password: "Wonderland-42", spnego: true)
            _ = try client.treeConnect("share")
            var out: [String] = []
            // SearchAttributes 0x16, SearchCount 2, Flags CLOSE_AT_EOS, level 0x104, pattern "\*".
            let first = Trans2Request(subcommand: .findFirst2,
                                      parameters: [0x16, 0, 2, 0, 2, 0, 0x04, 0x01, 0, 0, 0, 0]
                                          + SMBString.encode("\\*", unicode: true),
                                      maxParameterCount: 10, maxDataCount: 16384)
            let (h1, p1) = try client.call(first)
            let r1 = try client.decodeReply(Trans2Response.self, p1)
            let sid = UInt16(r1.parameters[0]) | UInt16(r1.parameters[1]) << 8
            out.append("\(h1.status.name) count \(r1.parameters[2]) end \(r1.parameters[4]): " + Self.names(r1.data).joined(separator: ","))
            let next = Trans2Request(subcommand: .findNext2,
                                     parameters: [UInt8(sid & 0xFF), UInt8(sid >> 8), 10, 0, 0x04, 0x01, 0, 0, 0, 0, 0x02, 0]
                                         + SMBString.encode("", unicode: true),
                                     maxParameterCount: 8, maxDataCount: 16384)
            let (h2, p2) = try client.call(next)
            let r2 = try client.decodeReply(Trans2Response.self, p2)
            out.append("\(h2.status.name) count \(r2.parameters[0]) end \(r2.parameters[2]): " + Self.names(r2.data).joined(separator: ","))
            // The search closed itself at its end.
            let close = SMBRawBlock(command: .findClose2, wordCount: 1, parameters: [UInt8(sid & 0xFF), UInt8(sid >> 8)],
                                    byteCount: 0, data: [])
            out.append(try client.call(close).header.status.name)
            // A pattern that matches nothing, and one in a subdirectory.
            let none = Trans2Request(subcommand: .findFirst2,
                                     parameters: [0x16, 0, 100, 0, 2, 0, 0x04, 0x01, 0, 0, 0, 0]
                                         + SMBString.encode("\\*.doc", unicode: true),
                                     maxParameterCount: 10, maxDataCount: 16384)
            out.append(try client.call(none).header.status.name)
            let sub = Trans2Request(subcommand: .findFirst2,
                                    parameters: [0x16, 0, 100, 0, 2, 0, 0x04, 0x01, 0, 0, 0, 0]
                                        + SMBString.encode("\\DIR\\*.bin", unicode: true),
                                    maxParameterCount: 10, maxDataCount: 16384)
            let (h3, p3) = try client.call(sub)
            out.append("\(h3.status.name): " + Self.names(try client.decodeReply(Trans2Response.self, p3).data).joined(separator: ","))
            return out
        }
        #expect(result == ["STATUS_SUCCESS count 2 end 0: .,..", "STATUS_SUCCESS count 2 end 1: dir,hello.txt",
                           "STATUS_INVALID_HANDLE", "STATUS_NO_SUCH_FILE", "STATUS_SUCCESS: random-1m.bin"])
    }

    @Test func wildcards() {
        #expect(WildcardPattern.matches("hello.txt", "*"))
        #expect(WildcardPattern.matches("hello.txt", "*.*"))
        #expect(WildcardPattern.matches("HELLO.TXT", "h?llo.*"))
        #expect(WildcardPattern.matches("a.b.c", "*.c"))
        #expect(WildcardPattern.matches("hello.txt", "<.txt"))
        #expect(!WildcardPattern.matches("hello.txt", "*.doc"))
        #expect(!WildcardPattern.matches("hello", "hello?"))
        #expect(WildcardPattern.matches("hello.txt", "hello.txt"))
    }
}
