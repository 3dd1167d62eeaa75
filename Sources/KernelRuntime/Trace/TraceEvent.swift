import SMBWire

/// What a tracepoint marks in the life of a kernel function.
public enum TracePhase: String, Equatable, Sendable, Codable, CaseIterable {
    /// The function starts.
    case enter
    /// The function returns.
    case exit
    /// The thread is about to block (e.g. `lock_page_killable` on a locked page).
    case block
    /// The thread was woken, or woke another thread.
    case wake
    /// Bytes leave on a transport.
    case send
    /// Bytes arrived from a transport.
    case receive
    /// Anything else worth a line.
    case note
}

/// A named buffer attached to an event, with the spans the decoder recorded while reading it.
public struct TraceBuffer: Equatable, Sendable, CustomStringConvertible {
    /// e.g. `request`, `reply`, `mac key`.
    public var name: String
    public var bytes: [UInt8]
    /// Where each decoded field sat in `bytes` (offsets relative to `bytes`).
    public var spans: [FieldSpan]
    /// The buffer's name in the run, when other buffers may be computed from it (see
    /// ``KernelRuntime/traceable(_:_:spans:_:)``).
    public var id: TraceBufferID?
    /// How the bytes were computed, and from which buffers (`nil`: not said).
    public var derivation: Derivation?

    public init(
        name: String, bytes: [UInt8], spans: [FieldSpan] = [], id: TraceBufferID? = nil, derivation: Derivation? = nil
    ) {
        self.name = name
        self.bytes = bytes
        self.spans = spans
        self.id = id
        self.derivation = derivation
    }

    public var description: String { "\(name) (\(bytes.count) bytes, \(spans.count) fields)" }
}

/// One changed value, e.g. `server.sequenceNumber 2 → 4` or `page[3].locked true → false`.
///
/// Kernel-shaped code never builds one directly: ``StateChanges`` makes them from the objects
/// (old value read, new value written), and a test rejects `StateDiff(` anywhere else in
/// `Sources/`.
public struct StateDiff: Equatable, Sendable, Codable, CustomStringConvertible {
    /// Dotted path of the value, e.g. `server.sequenceNumber`.
    public var path: String
    /// Rendered old value (`nil` when the value did not exist before).
    public var old: String?
    /// Rendered new value (`nil` when the value was removed).
    public var new: String?

    public init(path: String, old: String?, new: String?) {
        self.path = path
        self.old = old
        self.new = new
    }

    public var description: String { "\(path) \(old ?? "∅") → \(new ?? "∅")" }
}

/// One step of a run: which thread, in which kernel function, did what.
///
/// Every renderer (terminal, Markdown, HTML, JSON, pcap comments) reads these. Under
/// ``SteppedRuntime`` two runs of one program with one seed yield equal event streams.
public struct TraceEvent: Equatable, Sendable, Codable, CustomStringConvertible {
    /// 1 for the first event of a run, then consecutive.
    public var sequence: Int
    /// The runtime's clock (nanoseconds since the run started) when the event was recorded.
    public var time: UInt64
    /// Id of the recording thread (spawn order from 1; 0 outside the runtime).
    public var threadID: Int
    /// Name of the recording thread, e.g. `cifsd`.
    public var threadName: String
    /// The kernel function the code mirrors, e.g. `cifs_readv_receive`.
    public var function: String
    public var phase: TracePhase
    /// The multiplex id of the request the event's frame works on, when it works on one (set
    /// by ``KernelRuntime/traced(_:mid:_:buffers:diff:_:)``).
    public var mid: Int?
    /// One line for people.
    public var message: String
    public var buffers: [TraceBuffer]
    public var diff: [StateDiff]

    public init(
        sequence: Int, time: UInt64, threadID: Int, threadName: String, function: String,
        phase: TracePhase, mid: Int? = nil, message: String, buffers: [TraceBuffer] = [], diff: [StateDiff] = []
    ) {
        self.mid = mid
        self.sequence = sequence
        self.time = time
        self.threadID = threadID
        self.threadName = threadName
        self.function = function
        self.phase = phase
        self.message = message
        self.buffers = buffers
        self.diff = diff
    }

    /// `#12 [2 cifsd] cifs_demultiplex_thread receive: 4 bytes {server.x 1 → 2}`
    public var description: String {
        var line = "#\(sequence) [\(threadID) \(threadName)] \(function) \(phase.rawValue)"
        if !message.isEmpty { line += ": \(message)" }
        if !diff.isEmpty { line += " {" + diff.map(\.description).joined(separator: ", ") + "}" }
        return line
    }
}

// FieldSpan lives in SMBWire and is not Codable; encode buffers through a private mirror so the
// wire module keeps no dependency on serialisation.
extension TraceBuffer: Codable {
    private struct CodedSpan: Codable {
        var start: Int
        var end: Int
        var name: String
        var value: String
        var meaning: String?
    }

    private enum CodingKeys: String, CodingKey { case name, hex, spans, id, derivation }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        let hex = try container.decode(String.self, forKey: .hex)
        guard let decoded = Hex.decode(hex) else {
            throw DecodingError.dataCorruptedError(forKey: .hex, in: container, debugDescription: "not hex")
        }
        bytes = decoded
        let coded = try container.decode([CodedSpan].self, forKey: .spans)
        spans = try coded.map { span in
            guard span.start <= span.end else {
                throw DecodingError.dataCorruptedError(
                    forKey: .spans, in: container, debugDescription: "span ends before it starts")
            }
            return FieldSpan(range: span.start..<span.end, name: span.name, value: span.value, meaning: span.meaning)
        }
        id = try container.decodeIfPresent(TraceBufferID.self, forKey: .id)
        derivation = try container.decodeIfPresent(Derivation.self, forKey: .derivation)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(Hex.encode(bytes), forKey: .hex)
        let coded = spans.map {
            CodedSpan(start: $0.range.lowerBound, end: $0.range.upperBound, name: $0.name, value: $0.value, meaning: $0.meaning)
        }
        try container.encode(coded, forKey: .spans)
        try container.encodeIfPresent(id, forKey: .id)
        try container.encodeIfPresent(derivation, forKey: .derivation)
    }
}
