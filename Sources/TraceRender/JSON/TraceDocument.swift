import Foundation
import KernelRuntime

/// The events of one run as one JSON document — what `cifstep trace -o FILE.json`,
/// `cifstep get --trace FILE` and the REPL's `export FILE.json` write (docs/trace-format.md,
/// docs/trace-schema.json).
///
/// ```json
/// {"decisions":[…],"events":[{"buffers":[…],"diff":[…],"function":"cifs_sign_smb",…},…],
///  "format":"cifstep-trace","scenario":{"auth":"ntlmssp",…},"version":3}
/// ```
///
/// The encoding is compact JSON with every object's keys in sorted order, so one scenario and
/// one seed give byte-identical files in any process; buffers are lowercase hex. A renderer:
/// a pure function of the values it is given, with no access to a runtime.
public struct TraceDocument: Equatable, Sendable {
    /// The value of the `format` key: `cifstep-trace`.
    public static let format = "cifstep-trace"
    /// The version this code writes and reads. Version 1 had only `format`, `version`, `events`;
    /// version 3 added an event's `mid` and a buffer's `id` and `derivation` (provenance).
    public static let version = 3

    /// The stepper scenario that produced the run, as its `key=value` settings (`"auth":
    /// "ntlmssp"`, `"seed": "42"`…); `nil` for a run against a real server.
    public var scenario: [String: String]?
    /// Every scheduling decision of a stepped run, in order; `nil` for a free run.
    public var decisions: [SchedulingDecision]?
    /// The events, in sequence order.
    public var events: [TraceEvent]
    /// What a stepped run against a real server exchanged with it, so the run can be replayed
    /// without the server; `nil` for a run against the embedded server or a free run.
    public var recording: NetworkRecording?

    public init(scenario: [String: String]? = nil, decisions: [SchedulingDecision]? = nil, events: [TraceEvent],
                recording: NetworkRecording? = nil) {
        self.scenario = scenario
        self.decisions = decisions
        self.events = events
        self.recording = recording
    }

    // MARK: Encoding

    /// How many bytes ``write(chunkSize:to:)`` gathers before handing them on.
    public static let defaultChunkSize = 1 << 20

    /// The whole document as UTF-8 JSON.
    public func encoded() -> [UInt8] {
        var all: [UInt8] = []
        // One piece: the writer's own buffer, handed over without a copy.
        write(chunkSize: Int.max) { piece in
            if all.isEmpty { all = piece } else { all.append(contentsOf: piece) }
        }
        return all
    }

    /// Encodes the document in pieces of about `chunkSize` bytes (cut between events), handing
    /// each to `sink` in order, so a large trace never needs a second copy in memory.
    public func write(chunkSize: Int = defaultChunkSize, to sink: ([UInt8]) throws -> Void) rethrows {
        var w = JSONWriter(reservingCapacity: min(chunkSize, estimatedSize) + 256 * 1024)
        w.beginObject()
        if let decisions {
            w.key("decisions")
            w.beginArray()
            for decision in decisions { Self.write(decision, to: &w) }
            w.endArray()
        }
        w.key("events")
        w.beginArray()
        for event in events {
            Self.write(event, to: &w)
            if w.bytes.count >= chunkSize {
                try sink(w.bytes)
                w.bytes.removeAll(keepingCapacity: true)
            }
        }
        w.endArray()
        w.key("format")
        w.string(Self.format)
        if let recording {
            w.key("recording")
            w.raw(Self.encoded(recording))
        }
        if let scenario {
            w.key("scenario")
            w.beginObject()
            for key in scenario.keys.sorted() {
                w.key(key)
                w.string(scenario[key] ?? "")
            }
            w.endObject()
        }
        w.key("version")
        w.integer(Self.version)
        w.endObject()
        w.bytes.append(UInt8(ascii: "\n"))
        try sink(w.bytes)
    }

    /// Roughly the encoded size: the hex of every buffer plus a few hundred bytes an event.
    private var estimatedSize: Int {
        events.reduce(4096 + (decisions?.count ?? 0) * 64) { size, event in
            size + 256 + event.buffers.reduce(0) { $0 + 2 * $1.bytes.count + 64 * $1.spans.count + 64 }
        }
    }

    // Keys in each object are written in ascending order (the writer checks it in debug builds).

    /// A recording as compact JSON with sorted keys (base64 byte strings: no escapes to sort).
    private static func encoded(_ recording: NetworkRecording) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return [UInt8](try encoder.encode(recording))
        } catch {
            // Strings, integers and arrays of them always encode: failing is a bug here.
            preconditionFailure("a network recording did not encode: \(error)")
        }
    }

    private static func write(_ d: SchedulingDecision, to w: inout JSONWriter) {
        w.beginObject()
        w.key("afterEvent")
        w.integer(d.afterEvent)
        w.key("chosen")
        w.integer(d.chosen)
        w.key("index")
        w.integer(d.index)
        w.key("runnable")
        w.beginArray()
        for id in d.runnable { w.integer(id) }
        w.endArray()
        w.endObject()
    }

    private static func write(_ e: TraceEvent, to w: inout JSONWriter) {
        w.beginObject()
        w.key("buffers")
        w.beginArray()
        for buffer in e.buffers { write(buffer, to: &w) }
        w.endArray()
        w.key("diff")
        w.beginArray()
        for change in e.diff {
            w.beginObject()
            if let new = change.new {
                w.key("new")
                w.string(new)
            }
            if let old = change.old {
                w.key("old")
                w.string(old)
            }
            w.key("path")
            w.string(change.path)
            w.endObject()
        }
        w.endArray()
        w.key("function")
        w.string(e.function)
        w.key("message")
        w.string(e.message)
        if let mid = e.mid {
            w.key("mid")
            w.integer(mid)
        }
        w.key("phase")
        w.string(e.phase.rawValue)
        w.key("sequence")
        w.integer(e.sequence)
        w.key("threadID")
        w.integer(e.threadID)
        w.key("threadName")
        w.string(e.threadName)
        w.key("time")
        w.integer(e.time)
        w.endObject()
    }

    private static func write(_ b: TraceBuffer, to w: inout JSONWriter) {
        w.beginObject()
        if let derivation = b.derivation { write(derivation, to: &w) }
        w.key("hex")
        w.hex(b.bytes)
        if let id = b.id {
            w.key("id")
            w.integer(id.rawValue)
        }
        w.key("name")
        w.string(b.name)
        w.key("spans")
        w.beginArray()
        for span in b.spans {
            w.beginObject()
            w.key("end")
            w.integer(span.range.upperBound)
            if let meaning = span.meaning {
                w.key("meaning")
                w.string(meaning)
            }
            w.key("name")
            w.string(span.name)
            w.key("start")
            w.integer(span.range.lowerBound)
            w.key("value")
            w.string(span.value)
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    private static func write(_ d: Derivation, to w: inout JSONWriter) {
        w.key("derivation")
        w.beginObject()
        w.key("inputs")
        w.beginArray()
        for input in d.inputs {
            w.beginObject()
            w.key("buffer")
            w.integer(input.buffer.rawValue)
            if let range = input.range {
                w.key("range")
                w.beginArray()
                w.integer(range.lowerBound)
                w.integer(range.upperBound)
                w.endArray()
            }
            w.key("role")
            w.string(input.role)
            w.endObject()
        }
        w.endArray()
        if let length = d.length {
            w.key("length")
            w.integer(length)
        }
        w.key("operation")
        w.string(d.operation.rawValue)
        if let source = d.source {
            w.key("source")
            w.string(source)
        }
        w.endObject()
    }
}
