import SMBWire

/// Bytes the code computed or received, and where the trace has them: a buffer it recorded
/// (all of it, or ``range`` of it, e.g. a field of a received message). A later step names
/// them as an input of its ``Derivation`` through ``input(_:range:)``.
///
/// Without tracing nothing is recorded (``buffer`` is nil) and the bytes are all there is.
public struct TracedBytes: Sendable, Equatable {
    public var bytes: [UInt8]
    /// The recorded buffer these bytes are (or are a span of); nil when nothing was recorded.
    public var buffer: TraceBufferID?
    /// The span of ``buffer`` these bytes are, when not all of it.
    public var range: Range<Int>?
    /// The buffer just made for these bytes (``KernelRuntime/derive(_:_:spans:_:_:length:)``),
    /// which an event must still carry; nil for bytes already recorded elsewhere.
    public var made: TraceBuffer?

    /// Bytes with no recorded buffer.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Bytes recorded as `buffer` (or its span `range`).
    public init(_ bytes: [UInt8], buffer: TraceBufferID?, range: Range<Int>? = nil) {
        self.bytes = bytes
        self.buffer = buffer
        self.range = buffer == nil ? nil : range
    }

    /// The bytes of a buffer just made, still to be recorded.
    public init(made: TraceBuffer) {
        self.init(made.bytes, buffer: made.id)
        self.made = made
    }

    /// These bytes (or their span `part`) as the input `role` of a derivation. Only asked for
    /// while tracing; a slip shows as ``TraceBufferID/unrecorded``.
    public func input(_ role: String, range part: Range<Int>? = nil) -> DerivationInput {
        let base = range?.lowerBound ?? 0
        let span = part.map { (base + $0.lowerBound)..<(base + $0.upperBound) } ?? range
        return DerivationInput(role, buffer ?? .unrecorded, range: span)
    }

    /// The bytes at `part` (relative to these bytes), still pointing into the same buffer.
    public func slice(_ part: Range<Int>) -> TracedBytes {
        let base = range?.lowerBound ?? 0
        return TracedBytes(Array(bytes[part]), buffer: buffer,
                           range: (base + part.lowerBound)..<(base + part.upperBound))
    }

    /// The bytes from `start` to the end.
    public func slice(from start: Int) -> TracedBytes { slice(start..<bytes.count) }

    /// The buffer an event must carry for these bytes: the one just made, if any.
    public var buffers: [TraceBuffer] { made.map { [$0] } ?? [] }

    /// The bytes as lowercase hex.
    public var hex: String { Hex.encode(bytes) }
}

extension KernelRuntime {
    /// `bytes` as a buffer named `name`, derived from `inputs` by `operation` — made only while
    /// tracing (an event must then carry ``TracedBytes/buffers``).
    public func derive(
        _ name: String, _ bytes: [UInt8], spans: [FieldSpan] = [], _ operation: Derivation.Operation,
        _ inputs: [DerivationInput], length: Int? = nil
    ) -> TracedBytes {
        guard isTracing else { return TracedBytes(bytes) }
        return TracedBytes(made: traceable(name, bytes, spans: spans, Derivation(operation, inputs, length: length)))
    }

    /// `bytes` as a root buffer: they came from `source`, outside the computation.
    public func given(_ name: String, _ bytes: [UInt8], spans: [FieldSpan] = [], source: String) -> TracedBytes {
        guard isTracing else { return TracedBytes(bytes) }
        return TracedBytes(made: traceable(name, bytes, spans: spans, .given(source)))
    }

    /// The part of `message` at `range` as a buffer of its own named `name` (with `spans`,
    /// relative to the part), copied from it; `nil` when `range` is unknown or out of bounds.
    public func copy(_ name: String, of message: TracedBytes, at range: Range<Int>?, spans: [FieldSpan] = [])
        -> TracedBytes?
    {
        guard let range, range.upperBound <= message.bytes.count else { return nil }
        return derive(name, Array(message.bytes[range]), spans: spans, .copy, [message.input(name, range: range)])
    }
}
