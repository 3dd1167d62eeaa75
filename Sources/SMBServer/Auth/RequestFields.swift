import KernelRuntime
import SMBWire

/// Where the fields of one received request sit in its recorded `request` buffer, so that the
/// login can name what the client sent as inputs (`received response` = request bytes 85..<109).
///
/// Built only while tracing; an empty one (the default) leaves every field unrecorded.
struct RequestFields: Sendable {
    /// The request buffer ``ServerConnection`` recorded in `receive_smb_talloc`.
    private(set) var request: TraceBufferID?
    private var bytes: [UInt8] = []
    private var ranges: [String: Range<Int>] = [:]

    init() {}

    /// The fields of `buffer` named by its spans' last component (`UnicodePassword` for
    /// `SessionSetupAndXRequest.UnicodePassword`).
    init(_ buffer: TraceBuffer?) {
        guard let buffer, let id = buffer.id else { return }
        request = id
        bytes = buffer.bytes
        add(spans: buffer.spans)
    }

    /// Adds fields from `spans` (ranges in the request), each under its name's last component;
    /// a name already known keeps its first place.
    mutating func add(spans: [FieldSpan]) {
        for span in spans {
            let name = span.name.split(separator: ".").last.map(String.init) ?? span.name
            if ranges[name] == nil { add(name, span.range) }
        }
    }

    /// The range of field `name`, if the request has it.
    func range(of name: String) -> Range<Int>? { ranges[name] }

    /// Adds (or replaces) the field `name` at `range` of the request: the fields inside a
    /// security blob, which the request's own spans do not reach.
    mutating func add(_ name: String, _ range: Range<Int>) {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else { return }
        ranges[name] = range
    }

    /// `value`, pointing at field `name` of the request when that field holds exactly these
    /// bytes (else unrecorded: a field the spans do not place is never guessed).
    func received(_ name: String, _ value: [UInt8]) -> TracedBytes {
        guard let request, let range = ranges[name], range.count == value.count,
              bytes[range].elementsEqual(value) else { return TracedBytes(value) }
        return TracedBytes(value, buffer: request, range: range)
    }
}

extension TracedCall {
    /// A traceable buffer for `value` computed as `derivation` says, or nil when not tracing
    /// (nothing is evaluated then).
    func buffer(_ name: String, _ value: [UInt8], _ derivation: @autoclosure () -> Derivation) -> TraceBuffer? {
        guard isTracing else { return nil }
        return traceable(name, value, derivation())
    }

    /// Records one computed value in a note of this call, as a traceable buffer named `name`
    /// derived as `derivation` says; returns the value with its buffer.
    func record(_ message: @autoclosure () -> String, _ name: String, _ value: [UInt8],
                _ derivation: @autoclosure () -> Derivation) throws -> TracedBytes {
        guard let buffer = buffer(name, value, derivation()) else { return TracedBytes(value) }
        try note(message(), buffers: [buffer])
        return TracedBytes(value, buffer: buffer.id)
    }
}

extension TracedBytes {
    /// A fresh traceable buffer named `name` holding a copy of these bytes: a received field
    /// shown in a frame's enter event, pointing back at where it came from. Build it only
    /// while tracing (inside a `buffers:` argument, which is evaluated only then).
    func copy(as name: String, spans: [FieldSpan] = [], on runtime: any KernelRuntime) -> TraceBuffer {
        runtime.traceable(name, bytes, spans: spans, Derivation(.copy, [input("source")]))
    }
}
