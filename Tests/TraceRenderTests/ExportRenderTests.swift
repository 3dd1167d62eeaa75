import Foundation
import KernelRuntime
import SMBWire
import Testing
@testable import TraceRender

/// A small SMB message: the 32-byte header (command, flags, mid, signature) and no words.
func smbMessage(command: UInt8, reply: Bool, mid: UInt16, signature: [UInt8] = Array(repeating: 0, count: 8)) -> [UInt8] {
    var bytes: [UInt8] = [0xff, 0x53, 0x4d, 0x42, command, 0, 0, 0, 0, reply ? 0x80 : 0, 0x01, 0xc8, 0, 0]
    bytes += signature
    bytes += [0, 0, 0, 0, 0x34, 0x12, 0x64, 0, UInt8(mid & 0xff), UInt8(mid >> 8), 0, 0, 0]
    return bytes
}

/// The spans of ``smbMessage(command:reply:mid:signature:)`` as SMBWire's decoder gives them.
func annotated(_ bytes: [UInt8]) -> TraceBuffer {
    TraceBuffer(name: bytes[9] & 0x80 != 0 ? "reply" : "request", bytes: bytes, spans: SMBMessage.annotate(bytes).spans)
}

/// A run in miniature: a request and its reply, a reconnect, a request and reply again.
let miniature: [TraceEvent] = {
    var events: [TraceEvent] = []
    func add(_ thread: Int, _ name: String, _ function: String, _ phase: TracePhase, _ message: String,
             buffers: [TraceBuffer] = [], mid: Int? = nil) {
        events.append(TraceEvent(sequence: events.count + 1, time: UInt64(events.count) * 1_000, threadID: thread,
                                 threadName: name, function: function, phase: phase, mid: mid, message: message,
                                 buffers: buffers))
    }
    add(1, "reader", "smb_send", .send, "NEGOTIATE request", buffers: [annotated(smbMessage(command: 0x72, reply: false, mid: 1))], mid: 1)
    add(2, "smbd", "srv_send_smb", .send, "NEGOTIATE reply", buffers: [annotated(smbMessage(command: 0x72, reply: true, mid: 1))])
    add(3, "cifsd", "cifs_demultiplex_thread", .receive, "RFC1002 header", buffers: [TraceBuffer(name: "NBSS header", bytes: [0, 0, 0, 35])])
    add(3, "cifsd", "cifs_reconnect", .exit, "connected again")
    add(1, "reader", "smb_send", .send, "ECHO </script> request",
        buffers: [annotated(smbMessage(command: 0x2b, reply: false, mid: 2, signature: [1, 2, 3, 4, 5, 6, 7, 8]))], mid: 2)
    add(2, "smbd", "srv_send_smb", .send, "ECHO reply", buffers: [annotated(smbMessage(command: 0x2b, reply: true, mid: 2))])
    add(4, "cifsiod", "cifs_readv_complete", .note, "a note with <b>markup</b> & \"quotes\"",
        buffers: [TraceBuffer(name: "key", bytes: [9, 9], id: TraceBufferID(1), derivation: .given("the test"))])
    return events
}()

@Suite struct ExportRenderTests {
    @Test func extensionsNameTheFormat() {
        #expect(ExportFormat(path: "a/b/run.JSON") == .json)
        #expect(ExportFormat(path: "handout.md") == .markdown)
        #expect(ExportFormat(path: "page.htm") == .html)
        #expect(ExportFormat(path: "wire.pcapng") == .pcapng)
        #expect(ExportFormat(path: "wire.pcap") == .pcap)
        #expect(ExportFormat(path: "notes.txt") == nil)
        #expect(ExportFormat(path: "dir.md/file") == nil)
        #expect(ExportFormat.extensionList == ".json, .md, .html, .pcapng, .pcap")
    }

    /// Requests from smb_send, replies from srv_send_smb, each reply linked to the cifsd receive
    /// that read it, and the connection counted up at a reconnect.
    @Test func wireMessagesComeFromTheSendersAndCountConnections() {
        let found = WireMessages.extract(TraceDocument(events: miniature))
        #expect(found.messages.map(\.event) == [1, 2, 5, 6])
        #expect(found.messages.map(\.fromClient) == [true, false, true, false])
        #expect(found.messages.map(\.connection) == [1, 1, 2, 2])
        #expect(found.messages.map(\.title) == ["NEGOTIATE request mid 1", "NEGOTIATE reply mid 1",
                                                "ECHO request mid 2", "ECHO reply mid 2"])
        #expect(found.messages[1].receivedAt?.event == 3)
        #expect(found.messages[3].receivedAt == nil, "cifsd read nothing on the second connection")
        #expect(CaptureRenderer.comment(found.messages[1])
            == "event 2 srv_send_smb (smbd): NEGOTIATE reply mid 1; read by cifsd at event 3 cifs_demultiplex_thread")
    }

    /// pcapng read back block by block: section header, interface, then one enhanced packet block
    /// per segment (3 handshake + 2 messages per connection), each message with its comment.
    @Test func pcapngHasOneBlockPerSegmentAndTheComments() throws {
        let bytes = CaptureRenderer.render(TraceDocument(events: miniature), format: .pcapng)
        var blocks: [(type: UInt32, body: ArraySlice<UInt8>)] = []
        var offset = 0
        func u32(_ at: Int) -> UInt32 { UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24 }
        while offset < bytes.count {
            let length = Int(u32(offset + 4))
            try #require(length >= 12 && length % 4 == 0 && offset + length <= bytes.count)
            #expect(u32(offset + length - 4) == UInt32(length), "trailing length of block at \(offset)")
            blocks.append((u32(offset), bytes[(offset + 8)..<(offset + length - 4)]))
            offset += length
        }
        #expect(blocks.map(\.type) == [0x0a0d_0d0a, 1] + Array(repeating: 6, count: 10))
        let comments = blocks.filter { $0.type == 6 }.compactMap { block -> String? in
            let body = Array(block.body)
            let captured = Int(body[12]) | Int(body[13]) << 8
            var at = 20 + captured + (4 - captured % 4) % 4
            guard at + 4 <= body.count, body[at] == 1 else { return nil }
            let length = Int(body[at + 2]) | Int(body[at + 3]) << 8
            at += 4
            return String(decoding: body[at..<(at + length)], as: UTF8.self)
        }
        #expect(comments == [
            "event 1 smb_send (reader): NEGOTIATE request mid 1",
            "event 2 srv_send_smb (smbd): NEGOTIATE reply mid 1; read by cifsd at event 3 cifs_demultiplex_thread",
            "event 5 smb_send (reader): ECHO request mid 2",
            "event 6 srv_send_smb (smbd): ECHO reply mid 2",
        ])
        // The classic pcap of the same run: same packets, no comments (24-byte header, 16 a record).
        let pcap = CaptureRenderer.render(TraceDocument(events: miniature), format: .pcap)
        #expect(pcap.prefix(4) == [0xd4, 0xc3, 0xb2, 0xa1])
        #expect(!String(decoding: pcap, as: UTF8.self).contains("smb_send"))
    }

    /// A run against a real server: no server events, so the replies are cut out of the recorded
    /// byte stream (a keep-alive frame skipped) and placed at the cifsd receive that read each.
    @Test func repliesOfARealServerComeFromTheRecording() {
        let request = smbMessage(command: 0x72, reply: false, mid: 1), reply = smbMessage(command: 0x72, reply: true, mid: 1)
        let events = [
            TraceEvent(sequence: 1, time: 0, threadID: 1, threadName: "reader", function: "smb_send", phase: .send,
                       message: "", buffers: [annotated(request)]),
            TraceEvent(sequence: 2, time: 1_000, threadID: 2, threadName: "cifsd", function: "cifs_demultiplex_thread",
                       phase: .receive, message: "keep-alive"),
            TraceEvent(sequence: 3, time: 2_000, threadID: 2, threadName: "cifsd", function: "cifs_demultiplex_thread",
                       phase: .receive, message: "RFC1002 header"),
        ]
        let frame = [0, 0, 0, UInt8(reply.count)] + reply
        let recording = NetworkRecording(server: "127.0.0.1:445", connections: [
            RecordedConnection(peer: "127.0.0.1:445", sent: [0, 0, 0, UInt8(request.count)] + request,
                               arrivals: [Arrival(decision: 3, bytes: [0x85, 0, 0, 0] + Array(frame.prefix(10))),
                                          Arrival(decision: 5, bytes: Array(frame.dropFirst(10)))]),
        ])
        let found = WireMessages.extract(TraceDocument(events: events, recording: recording))
        #expect(found.messages.map(\.event) == [1, 3])
        #expect(found.messages.last?.bytes == reply)
        #expect(found.messages.last?.fromClient == false)
        #expect(found.messages.last.map(CaptureRenderer.comment)
            == "event 3 cifs_demultiplex_thread (cifsd): NEGOTIATE reply mid 1")
    }

    /// No server events and no recording (a `get --trace` document): whole replies as cifsd
    /// recorded them; a READ_ANDX reply whose data went into the pages unrecorded is counted.
    @Test func withoutTheServerRepliesComeFromCifsd() {
        let reply = smbMessage(command: 0x04, reply: true, mid: 3)
        let events = [
            TraceEvent(sequence: 1, time: 0, threadID: 2, threadName: "cifsd", function: "standard_receive3",
                       phase: .receive, mid: 3, message: "", buffers: [annotated(reply)]),
            TraceEvent(sequence: 2, time: 0, threadID: 2, threadName: "cifsd", function: "cifs_readv_receive",
                       phase: .receive, mid: 4, message: "header and words read",
                       buffers: [annotated(smbMessage(command: 0x2e, reply: true, mid: 4))]),
        ]
        let found = WireMessages.extract(TraceDocument(events: events))
        #expect(found.messages.map(\.event) == [1])
        #expect(found.repliesNotRecorded == 1)
    }

    @Test func markdownTablesEveryField() {
        let text = MarkdownRenderer.render(TraceDocument(scenario: ["auth": "ntlm"], events: miniature))
        #expect(text.hasPrefix("# cifstep trace: sec=ntlm\n"))
        #expect(text.contains("**5.** reader · `smb_send` · send · mid 2 — ECHO \\</script\\> request"))
        #expect(text.contains("| 14..<22 | header.SecuritySignature | `01 02 03 04 05 06 07 08` | 0102030405060708 |"))
        #expect(text.contains("Buffer **key** `$1`, 2 bytes — given: the test"))
        #expect(text.contains("| 0..<2 | *(no field)* | `09 09` |"))
    }

    /// One element per event with its id; no text can close the data script early; nothing
    /// is loaded from elsewhere.
    @Test func htmlHasAnElementPerEventAndEscapes() {
        let page = String(decoding: HTMLRenderer.render(TraceDocument(events: miniature)), as: UTF8.self)
        for n in 1...miniature.count { #expect(page.contains("id=\"event-\(n)\"")) }
        #expect(page.components(separatedBy: "id=\"event-").count - 1 == miniature.count)
        #expect(page.contains("ECHO &lt;/script&gt; request"))
        #expect(page.contains("a note with &lt;b&gt;markup&lt;/b&gt; &amp; &quot;quotes&quot;"))
        #expect(page.components(separatedBy: "</script>").count - 1 == 3, "the error collector, the data, the script")
        #expect(!page.contains("src=") && !page.contains("href=\"http") && !page.contains("@import"))
        #expect(page.contains("data-lanes=\"0311032\""), "reader, server, cifsd, cifsd, reader, server, cifsiod")
    }

    /// A 61,500-byte READ_ANDX reply keeps its header and the head and tail of its data.
    @Test func longFieldsKeepTheirHeadAndTail() {
        var bytes = smbMessage(command: 0x2e, reply: true, mid: 7)
        let header = bytes.count
        bytes += Array(repeating: 0xab, count: 61_440)
        let buffer = TraceBuffer(name: "reply", bytes: bytes,
                                 spans: [FieldSpan(range: 0..<header, name: "header", value: ""),
                                         FieldSpan(range: header..<bytes.count, name: "Data", value: "61440 bytes")])
        #expect(HTMLRenderer.keptRanges(buffer) == [0..<(header + HTMLRenderer.keptHead),
                                                    (bytes.count - HTMLRenderer.keptTail)..<bytes.count])
    }

    /// A document read from a file may hold spans past their buffer's end: every renderer and the
    /// diff clamp them instead of trapping.
    @Test func spansPastTheirBufferAreClamped() {
        let odd = TraceBuffer(name: "odd", bytes: [1, 2, 3],
                              spans: [FieldSpan(range: 2..<40, name: "long", value: "x"),
                                      FieldSpan(range: 10..<12, name: "beyond", value: "y")])
        let other = TraceBuffer(name: "odd", bytes: [1, 2, 4], spans: odd.spans)
        func document(_ buffer: TraceBuffer) -> TraceDocument {
            TraceDocument(events: [TraceEvent(sequence: 1, time: 0, threadID: 1, threadName: "reader", function: "f",
                                              phase: .note, message: "", buffers: [buffer])])
        }
        for format in ExportFormat.allCases { #expect(!TraceExport.render(document(odd), as: format).isEmpty) }
        let diff = TraceDiff(document(odd), document(other))
        #expect(diff.events.first?.buffers.first?.fields.map(\.name) == ["long"])
    }

    @Test func alignmentKeepsTheLongestCommonOrder() {
        let pairs = SequenceAlignment.align(Array("abcabba"), Array("cbabac"))
        let common = pairs.compactMap { p -> Character? in p.a.flatMap { a in p.b.map { _ in Array("abcabba")[a] } } }
        #expect(common.count == 4, "the LCS of abcabba and cbabac has 4 elements")
        for p in pairs { if let a = p.a, let b = p.b { #expect(Array("abcabba")[a] == Array("cbabac")[b]) } }
        #expect(pairs.compactMap(\.a) == Array(0..<7))
        #expect(pairs.compactMap(\.b) == Array(0..<6))
        #expect(SequenceAlignment.align([1, 2, 3], [1, 2, 3]).map { $0.a } == [0, 1, 2])
        #expect(SequenceAlignment.align([Int](), [1]).count == 1)
    }

    /// Two runs that differ in one signature: that message is signature-only, the rest the same.
    @Test func aDiffFindsTheOneField() {
        var other = miniature
        other[4].buffers = [annotated(smbMessage(command: 0x2b, reply: false, mid: 2, signature: [8, 7, 6, 5, 4, 3, 2, 1]))]
        let diff = TraceDiff(TraceDocument(events: miniature), TraceDocument(events: other))
        #expect(diff.messages.map(\.verdict) == [.same, .same, .signatureOnly, .same])
        #expect(diff.messages[2].fields == [TraceDiff.Change(name: "header.SecuritySignature",
                                                              a: "0102030405060708", b: "0807060504030201")])
        #expect(diff.alignedEvents == miniature.count && diff.alikeEvents == miniature.count - 1)
        #expect(diff.events.map(\.eventA) == [5])
        let same = TraceDiff(TraceDocument(events: miniature), TraceDocument(events: miniature))
        #expect(same.messages.allSatisfy { $0.verdict == .same } && same.events.isEmpty && same.values.isEmpty)
    }
}
