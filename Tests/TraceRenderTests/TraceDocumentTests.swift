import Foundation
import KernelRuntime
import SMBWire
import Testing
import TraceRender

@Suite struct TraceDocumentTests {
    /// Events with everything an encoder can get wrong: spans with and without a meaning, diffs
    /// with no old or no new value, quotes, backslashes, control characters and non-ASCII text.
    static let events: [TraceEvent] = [
        TraceEvent(sequence: 1, time: 0, threadID: 1, threadName: "reader", function: "cifs_mount", phase: .enter,
                   message: "//cifstep/share as \"alice\""),
        TraceEvent(sequence: 2, time: 1_500, threadID: 3, threadName: "cifsd", function: "cifs_readv_receive",
                   phase: .receive, mid: 65535, message: "tab\there, newline\nthere, bell \u{07}, back\\slash, → 2 ✓",
                   buffers: [
                       TraceBuffer(name: "reply", bytes: [0xff, 0x53, 0x4d, 0x42, 0x2e, 0x00, 0x00, 0x00, 0x00],
                                   spans: [FieldSpan(range: 0..<4, name: "header.protocol", value: "\\xffSMB"),
                                           FieldSpan(range: 4..<5, name: "header.command", value: "0x2e",
                                                     meaning: "READ_ANDX")]),
                       TraceBuffer(name: "empty", bytes: []),
                       TraceBuffer(name: "key", bytes: [1, 2, 3], id: TraceBufferID(7),
                                   derivation: Derivation(.truncate, [DerivationInput("digest", TraceBufferID(6), range: 0..<3)],
                                                          length: 3)),
                       TraceBuffer(name: "password", bytes: [0x41], id: TraceBufferID(8),
                                   derivation: .given("scenario \"password\"")),
                   ],
                   diff: [StateDiff(path: "mid[5].state", old: "submitted", new: "received"),
                          StateDiff(path: "page[3].locked", old: nil, new: "true"),
                          StateDiff(path: "mid[4]", old: "received", new: nil)]),
        TraceEvent(sequence: 3, time: UInt64.max, threadID: 1, threadName: "reader", function: "cifs_mount",
                   phase: .exit, message: "error: -13 (EACCES)"),
    ]

    static let decisions = [
        SchedulingDecision(index: 0, afterEvent: 0, runnable: [1], chosen: 1),
        SchedulingDecision(index: 1, afterEvent: 1, runnable: [1, 3], chosen: 3),
    ]

    static let document = TraceDocument(
        scenario: ["auth": "ntlmssp", "signing": "on", "seed": "18446744073709551615", "domain": "",
                   "readahead": "default", "password": "Wonder\"land"],
        decisions: decisions, events: events)

    @Test func whatIsEncodedDecodesToEqualValues() throws {
        let bytes = Self.document.encoded()
        let decoded = try TraceDocument(decoding: Data(bytes))
        #expect(decoded == Self.document)
        #expect(decoded.events == Self.events)
        let bare = TraceDocument(events: Self.events)
        let decodedBare = try TraceDocument(decoding: Data(bare.encoded()))
        #expect(decodedBare.scenario == nil)
        #expect(decodedBare.decisions == nil)
        #expect(decodedBare == bare)
    }

    /// An independent check of the hand-written encoder: Foundation's JSONEncoder with sorted
    /// keys, fed the same values through their `Codable` conformances, writes the same bytes
    /// (this sample has no character the two escape differently).
    @Test func bytesAreWhatJSONEncoderWritesWithSortedKeys() throws {
        struct Mirror: Encodable {
            var decisions: [SchedulingDecision]?
            var events: [TraceEvent]
            var format = TraceDocument.format
            var scenario: [String: String]?
            var version = TraceDocument.version
        }
        let plain = Self.events.map { event -> TraceEvent in
            var e = event
            e.message = e.message.filter { $0.asciiValue.map { $0 >= 0x20 } ?? true }
            return e
        }
        let document = TraceDocument(scenario: Self.document.scenario, decisions: Self.decisions, events: plain)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let expected = try encoder.encode(Mirror(decisions: Self.decisions, events: plain, scenario: document.scenario))
        #expect(String(decoding: document.encoded(), as: UTF8.self) == String(decoding: expected, as: UTF8.self) + "\n")
    }

    @Test func controlCharactersAreEscapedAndEverythingElseIsKept() throws {
        let text = String(decoding: Self.document.encoded(), as: UTF8.self)
        #expect(text.contains(#""message":"tab\there, newline\nthere, bell \u0007, back\\slash, → 2 ✓""#))
        #expect(text.contains(#""password":"Wonder\"land""#))
        #expect(text.hasPrefix(#"{"decisions":[{"afterEvent":0,"chosen":1,"index":0,"runnable":[1]}"#))
        #expect(text.hasSuffix(#""version":3}"# + "\n"))
        #expect(!text.dropLast().contains("\n"), "compact: one line")
        // Parses as JSON with the standard parser too.
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(parsed?["format"] as? String == "cifstep-trace")
    }

    @Test func chunkedWritingGivesTheSameBytes() {
        var pieces: [[UInt8]] = []
        Self.document.write(chunkSize: 1) { pieces.append($0) }
        #expect(pieces.count == Self.events.count + 1, "one piece per event, then the tail")
        #expect(pieces.flatMap { $0 } == Self.document.encoded())
    }

    @Test func scenarioKeysAreWrittenInSortedOrderWhateverTheDictionaryOrder() {
        let text = String(decoding: Self.document.encoded(), as: UTF8.self)
        let keys = ["auth", "domain", "password", "readahead", "seed", "signing"]
        let positions = keys.map { text.range(of: "\"\($0)\":")?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil })
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
    }

    @Test func otherFormatsAndVersionsAreRefusedSayingWhy() {
        func error(_ json: String) -> TraceDocumentError? {
            do {
                _ = try TraceDocument(decoding: Data(json.utf8))
                return nil
            } catch {
                return error
            }
        }
        #expect(error(#"{"format":"pcapng","version":2,"events":[]}"#) == .notATrace(format: "pcapng"))
        #expect(error(#"{"version":2,"events":[]}"#) == .notATrace(format: nil))
        #expect(error(#"{"format":"cifstep-trace","version":1,"events":[]}"#) == .unsupportedVersion(1))
        #expect(error(#"{"format":"cifstep-trace","version":"2","events":[]}"#) == .unsupportedVersion(nil))
        #expect(error(#"{"format":"cifstep-trace","version":1,"events":[]}"#)?.description
                == "a cifstep trace of version 1; this cifstep reads version 3 only")
        #expect(error(#"{"format":"cifstep-trace","version":2,"events":[]}"#) == .unsupportedVersion(2))
        #expect(error(#"{"format":"pcapng"}"#)?.description == "not a cifstep trace: its format is 'pcapng', not 'cifstep-trace'")
        #expect(error("[1, 2]") == .notJSON("the top level is not an object"))
        if case .notJSON? = error("{\"format\": ") {} else { Issue.record("truncated JSON must be notJSON") }
        if case let .malformed(why)? = error(#"{"format":"cifstep-trace","version":3}"#) {
            #expect(why == "events is missing")
        } else {
            Issue.record("a missing events key must be malformed")
        }
        if case let .malformed(why)? = error(#"{"format":"cifstep-trace","version":3,"events":[{"sequence":1}]}"#) {
            #expect(why.hasPrefix("events[0]"), "\(why)")
        } else {
            Issue.record("an incomplete event must be malformed")
        }
        #expect(error(#"{"format":"cifstep-trace","version":3,"events":[]}"#) == nil)
    }
}
