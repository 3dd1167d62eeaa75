import KernelRuntime
import SMBWire

/// Two runs side by side (`cifstep diff A.json B.json`, `cifstep diff ntlm ntlmv2`): a pure
/// function of two trace documents.
///
/// - **On the wire**: the SMB messages of each run (``WireMessages``) aligned by direction,
///   command and mid, each pair compared field by field through the spans the decoder recorded;
///   a pair whose only differing field is `header.SecuritySignature` is ``Verdict/signatureOnly``.
/// - **Computed values**: the buffers a run derived (those with a provenance), by thread and name
///   (`reader` / `session key`), compared occurrence by occurrence, bytes and derivation.
/// - **Events**: each thread's events aligned by kernel function and phase, in thread order
///   (Myers' shortest edit script); an aligned pair is alike when its buffers and state changes
///   are (the message text and the clock are not compared), else its buffers are compared field
///   by field.
public struct TraceDiff: Codable, Equatable, Sendable {
    /// How a pair compares.
    public enum Verdict: String, Codable, Sendable {
        case same
        /// Only `header.SecuritySignature` differs.
        case signatureOnly = "signature-only"
        case differs
        case onlyInA = "only-in-a"
        case onlyInB = "only-in-b"
    }

    /// One run.
    public struct Side: Codable, Equatable, Sendable {
        /// What the user called it (`ntlm`, `a.json`).
        public var label: String
        /// The scenario in a few words.
        public var title: String
        public var events: Int
        public var messages: Int
    }

    /// A value that differs: a field of a message, a setting, a state change, a buffer.
    public struct Change: Codable, Equatable, Sendable {
        public var name: String
        /// Rendered as the trace renders it (a field's decoded value, or hex); nil: absent.
        public var a: String?
        public var b: String?

        public init(name: String, a: String?, b: String?) {
            self.name = name
            self.a = a
            self.b = b
        }
    }

    /// A pair of wire messages.
    public struct MessageRow: Codable, Equatable, Sendable {
        /// `SESSION_SETUP_ANDX request mid 2`.
        public var title: String
        /// The events that carried them.
        public var eventA: Int?
        public var eventB: Int?
        public var verdict: Verdict
        public var fields: [Change]
    }

    /// A derived value by thread and name, over all its occurrences.
    public struct ValueRow: Codable, Equatable, Sendable {
        public var thread: String
        public var name: String
        public var countA: Int
        public var countB: Int
        /// Occurrences present in both runs whose bytes or derivation differ.
        public var differing: Int
        /// The first differing (or one-sided) occurrence: `6ec5…(16 bytes) ← MD4 of …`.
        public var firstA: String?
        public var firstB: String?
        public var eventA: Int?
        public var eventB: Int?
    }

    /// An aligned pair of events (or an event of one run only) that is not alike.
    public struct EventRow: Codable, Equatable, Sendable {
        public var eventA: Int?
        public var eventB: Int?
        public var thread: String
        public var function: String
        public var phase: String
        public var verdict: Verdict
        /// Buffers (by name) whose bytes differ, each with its differing fields.
        public var buffers: [BufferChange]
        /// State changes that differ (`path`, old → new on each side).
        public var state: [Change]
    }

    public struct BufferChange: Codable, Equatable, Sendable {
        public var name: String
        public var fields: [Change]
    }

    public var a: Side
    public var b: Side
    /// Scenario settings that differ.
    public var settings: [Change]
    public var messages: [MessageRow]
    public var values: [ValueRow]
    /// Only the events that are not alike, in A's order (B's own events where they fall).
    public var events: [EventRow]
    /// Aligned pairs of events, and how many were alike.
    public var alignedEvents: Int
    public var alikeEvents: Int
    public var onlyInA: Int
    public var onlyInB: Int

    /// The header field whose difference alone makes a ``Verdict/signatureOnly`` pair.
    public static let signatureField = "header.SecuritySignature"

    // MARK: Comparing

    public init(_ docA: TraceDocument, _ docB: TraceDocument, labels: (String, String) = ("A", "B")) {
        let wireA = WireMessages.extract(docA).messages, wireB = WireMessages.extract(docB).messages
        a = Side(label: labels.0, title: docA.scenarioTitle, events: docA.events.count, messages: wireA.count)
        b = Side(label: labels.1, title: docB.scenarioTitle, events: docB.events.count, messages: wireB.count)
        settings = Self.settings(docA.scenario ?? [:], docB.scenario ?? [:])
        messages = Self.messages(wireA, wireB)
        values = Self.values(docA.events, docB.events)
        (events, alignedEvents, alikeEvents, onlyInA, onlyInB) = Self.events(docA.events, docB.events)
    }

    private static func settings(_ a: [String: String], _ b: [String: String]) -> [Change] {
        Set(a.keys).union(b.keys).sorted().compactMap { key in a[key] == b[key] ? nil : Change(name: key, a: a[key], b: b[key]) }
    }

    private struct MessageKey: Equatable {
        var fromClient: Bool
        var command: UInt8?
        var mid: Int?
    }

    private static func messages(_ a: [WireMessage], _ b: [WireMessage]) -> [MessageRow] {
        let key = { (m: WireMessage) in MessageKey(fromClient: m.fromClient, command: m.command?.rawValue, mid: m.mid) }
        return SequenceAlignment.align(a.map(key), b.map(key)).map { pair in
            switch (pair.a.map { a[$0] }, pair.b.map { b[$0] }) {
            case let (x?, y?):
                let fields = compare(TraceBuffer(name: "", bytes: x.bytes, spans: x.spans),
                                     TraceBuffer(name: "", bytes: y.bytes, spans: y.spans))
                let verdict: Verdict = fields.isEmpty ? .same
                    : fields.allSatisfy { $0.name == signatureField } ? .signatureOnly : .differs
                return MessageRow(title: x.title, eventA: x.event, eventB: y.event, verdict: verdict, fields: fields)
            case let (x?, nil):
                return MessageRow(title: x.title, eventA: x.event, eventB: nil, verdict: .onlyInA, fields: [])
            case let (nil, y?):
                return MessageRow(title: y.title, eventA: nil, eventB: y.event, verdict: .onlyInB, fields: [])
            case (nil, nil):
                return MessageRow(title: "", eventA: nil, eventB: nil, verdict: .same, fields: [])
            }
        }
    }

    /// The fields of two buffers that differ: spans matched by name and occurrence, each compared
    /// by its bytes; bytes outside every span compared as one `(bytes outside the fields)` row.
    static func compare(_ x: TraceBuffer, _ y: TraceBuffer) -> [Change] {
        guard x.bytes != y.bytes else { return [] }
        func keyed(_ buffer: TraceBuffer) -> [(key: String, span: FieldSpan)] {
            var seen: [String: Int] = [:]
            return buffer.spans.map { span in
                let n = seen[span.name, default: 0]
                seen[span.name] = n + 1
                return (n == 0 ? span.name : "\(span.name)#\(n + 1)", span)
            }
        }
        let spansX = keyed(x), spansY = keyed(y)
        var changes: [Change] = []
        var inY: [String: FieldSpan] = [:]
        for (key, span) in spansY where inY[key] == nil { inY[key] = span }
        var matched = Set<String>()
        for (key, span) in spansX {
            let bytesX = slice(x.bytes, span.range)
            guard let other = inY[key] else {
                changes.append(Change(name: key, a: describe(span, bytesX), b: nil))
                continue
            }
            matched.insert(key)
            let bytesY = slice(y.bytes, other.range)
            if bytesX != bytesY { changes.append(Change(name: key, a: describe(span, bytesX), b: describe(other, bytesY))) }
        }
        for (key, span) in spansY where !matched.contains(key) {
            changes.append(Change(name: key, a: nil, b: describe(span, slice(y.bytes, span.range))))
        }
        let outsideX = outside(x), outsideY = outside(y)
        if outsideX != outsideY {
            changes.append(Change(name: x.spans.isEmpty && y.spans.isEmpty ? "(bytes)" : "(bytes outside the fields)",
                                  a: hex(outsideX), b: hex(outsideY)))
        }
        return changes
    }

    private static func slice(_ bytes: [UInt8], _ range: Range<Int>) -> [UInt8] {
        let lower = min(max(0, range.lowerBound), bytes.count), upper = min(max(lower, range.upperBound), bytes.count)
        return Array(bytes[lower..<upper])
    }

    private static func outside(_ buffer: TraceBuffer) -> [UInt8] {
        var covered = [Bool](repeating: false, count: buffer.bytes.count)
        for span in buffer.spans {
            // Clamped: a span read from a file may point past its buffer.
            let count = buffer.bytes.count
            let lower = min(max(0, span.range.lowerBound), count), upper = min(max(lower, span.range.upperBound), count)
            for i in lower..<upper { covered[i] = true }
        }
        return buffer.bytes.indices.compactMap { covered[$0] ? nil : buffer.bytes[$0] }
    }

    /// Values longer than this many bytes show their first bytes and the count.
    static let shownBytes = 16

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.count <= shownBytes ? (bytes.isEmpty ? "(empty)" : Hex.encode(bytes))
            : Hex.encode(Array(bytes.prefix(shownBytes))) + "… (\(bytes.count) bytes)"
    }

    /// A field as the decoder rendered it, or its hex when the rendering is long.
    private static func describe(_ span: FieldSpan, _ bytes: [UInt8]) -> String {
        span.value.count <= 40 ? span.value : hex(bytes)
    }

    // MARK: Computed values

    private struct ValueKey: Hashable, Comparable {
        var thread: String
        var name: String
        static func < (l: ValueKey, r: ValueKey) -> Bool { (l.thread, l.name) < (r.thread, r.name) }
    }

    private static func derived(_ events: [TraceEvent]) -> (order: [ValueKey], map: [ValueKey: [(Int, TraceBuffer)]]) {
        var order: [ValueKey] = []
        var map: [ValueKey: [(Int, TraceBuffer)]] = [:]
        var seen = Set<TraceBufferID>()
        for event in events {
            for buffer in event.buffers {
                guard let derivation = buffer.derivation, derivation.operation != .given else { continue }
                // A buffer shown again by a later event is one value.
                if let id = buffer.id { guard seen.insert(id).inserted else { continue } }
                let key = ValueKey(thread: event.threadName, name: buffer.name)
                if map[key] == nil { order.append(key) }
                map[key, default: []].append((event.sequence, buffer))
            }
        }
        return (order, map)
    }

    private static func values(_ a: [TraceEvent], _ b: [TraceEvent]) -> [ValueRow] {
        let (orderA, mapA) = derived(a), (orderB, mapB) = derived(b)
        var keys = orderA
        for key in orderB where mapA[key] == nil { keys.append(key) }
        let indexA = BufferIndex(a), indexB = BufferIndex(b)
        func text(_ buffer: TraceBuffer, _ index: BufferIndex) -> String {
            hex(buffer.bytes) + (buffer.bytes.count > shownBytes ? "" : " (\(buffer.bytes.count) bytes)")
                + (buffer.derivation.map { " ← " + index.provenance($0) } ?? "")
        }
        var rows: [ValueRow] = []
        for key in keys {
            let xs = mapA[key] ?? [], ys = mapB[key] ?? []
            var differing = 0
            var first: (Int?, Int?)?
            for i in 0..<max(xs.count, ys.count) {
                let x = i < xs.count ? xs[i] : nil, y = i < ys.count ? ys[i] : nil
                if let x, let y {
                    if x.1.bytes != y.1.bytes || x.1.derivation?.operation != y.1.derivation?.operation {
                        differing += 1
                        if first == nil { first = (i, i) }
                    }
                } else if first == nil {
                    first = (x == nil ? nil : i, y == nil ? nil : i)
                }
            }
            guard let first else { continue }
            rows.append(ValueRow(
                thread: key.thread, name: key.name, countA: xs.count, countB: ys.count, differing: differing,
                firstA: first.0.map { text(xs[$0].1, indexA) }, firstB: first.1.map { text(ys[$0].1, indexB) },
                eventA: first.0.map { xs[$0].0 }, eventB: first.1.map { ys[$0].0 }))
        }
        return rows
    }

    // MARK: Events

    private struct EventKey: Equatable {
        var function: String
        var phase: TracePhase
    }

    private static func events(_ a: [TraceEvent], _ b: [TraceEvent])
        -> (rows: [EventRow], aligned: Int, alike: Int, onlyA: Int, onlyB: Int) {
        // Threads by name, in order of first appearance in A, then B's own.
        var threads: [String] = []
        for event in a + b where !threads.contains(event.threadName) { threads.append(event.threadName) }
        var rows: [(order: (Int, Int), row: EventRow)] = []
        var aligned = 0, alike = 0, onlyA = 0, onlyB = 0
        for thread in threads {
            let xs = a.filter { $0.threadName == thread }, ys = b.filter { $0.threadName == thread }
            let key = { (e: TraceEvent) in EventKey(function: e.function, phase: e.phase) }
            var lastA = 0
            for pair in SequenceAlignment.align(xs.map(key), ys.map(key)) {
                switch (pair.a.map { xs[$0] }, pair.b.map { ys[$0] }) {
                case let (x?, y?):
                    aligned += 1
                    lastA = x.sequence
                    let buffers = bufferChanges(x, y)
                    let state = stateChanges(x, y)
                    if buffers.isEmpty && state.isEmpty {
                        alike += 1
                        continue
                    }
                    let verdict: Verdict = buffers.allSatisfy { $0.fields.allSatisfy { $0.name == signatureField } }
                        && state.isEmpty ? .signatureOnly : .differs
                    rows.append(((x.sequence, 0), EventRow(
                        eventA: x.sequence, eventB: y.sequence, thread: thread, function: x.function,
                        phase: x.phase.rawValue, verdict: verdict, buffers: buffers, state: state)))
                case let (x?, nil):
                    onlyA += 1
                    lastA = x.sequence
                    rows.append(((x.sequence, 0), EventRow(
                        eventA: x.sequence, eventB: nil, thread: thread, function: x.function, phase: x.phase.rawValue,
                        verdict: .onlyInA, buffers: [], state: [])))
                case let (nil, y?):
                    onlyB += 1
                    rows.append(((lastA, y.sequence), EventRow(
                        eventA: nil, eventB: y.sequence, thread: thread, function: y.function, phase: y.phase.rawValue,
                        verdict: .onlyInB, buffers: [], state: [])))
                case (nil, nil):
                    continue
                }
            }
        }
        rows.sort { $0.order < $1.order }
        return (rows.map(\.row), aligned, alike, onlyA, onlyB)
    }

    /// Buffers matched by name and occurrence.
    private static func bufferChanges(_ x: TraceEvent, _ y: TraceEvent) -> [BufferChange] {
        var changes: [BufferChange] = []
        var used = [Bool](repeating: false, count: y.buffers.count)
        for bx in x.buffers {
            guard let j = y.buffers.indices.first(where: { !used[$0] && y.buffers[$0].name == bx.name }) else {
                changes.append(BufferChange(name: bx.name, fields: [Change(name: "(buffer)", a: hex(bx.bytes), b: nil)]))
                continue
            }
            used[j] = true
            let fields = compare(bx, y.buffers[j])
            if !fields.isEmpty { changes.append(BufferChange(name: bx.name, fields: fields)) }
        }
        for (j, by) in y.buffers.enumerated() where !used[j] {
            changes.append(BufferChange(name: by.name, fields: [Change(name: "(buffer)", a: nil, b: hex(by.bytes))]))
        }
        return changes
    }

    private static func stateChanges(_ x: TraceEvent, _ y: TraceEvent) -> [Change] {
        guard x.diff != y.diff else { return [] }
        func text(_ d: StateDiff) -> String { "\(d.old ?? "∅") → \(d.new ?? "∅")" }
        var out: [Change] = []
        var inY: [String: StateDiff] = [:]
        for d in y.diff where inY[d.path] == nil { inY[d.path] = d }
        var seen = Set<String>()
        for d in x.diff {
            seen.insert(d.path)
            let other = inY[d.path]
            if other != d { out.append(Change(name: d.path, a: text(d), b: other.map(text))) }
        }
        for d in y.diff where !seen.contains(d.path) { out.append(Change(name: d.path, a: nil, b: text(d))) }
        return out
    }
}
