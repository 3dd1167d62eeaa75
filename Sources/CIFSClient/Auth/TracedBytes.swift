import KernelRuntime
import SMBWire

/// Bytes the client computed, with the traced buffer that shows them and says what they were
/// computed from (``buffer`` is `nil` when nothing is traced).
///
/// The steps of a login and of signing pass these along, so that each derived buffer can name
/// its inputs by id and a stepper can walk a signature back to the password.
struct TracedBytes: Sendable {
    let bytes: [UInt8]
    let buffer: TraceBuffer?

    init(_ bytes: [UInt8], buffer: TraceBuffer? = nil) {
        self.bytes = bytes
        self.buffer = buffer
    }

    /// These bytes (or a span of them) as an input of a derivation.
    func input(_ role: String, range: Range<Int>? = nil) -> DerivationInput {
        DerivationInput(role, buffer?.id ?? .unrecorded, range: range)
    }

    /// The buffer, as the one-element list an event takes (empty when not traced).
    var buffers: [TraceBuffer] { buffer.map { [$0] } ?? [] }

    var hex: String { Hex.encode(bytes) }
}

extension KernelRuntime {
    /// `bytes` as a traced buffer named `name`, derived from `inputs` by `operation` — a buffer
    /// only while tracing.
    func derive(
        _ name: String, _ bytes: [UInt8], spans: [FieldSpan] = [], _ operation: Derivation.Operation,
        _ inputs: [DerivationInput], length: Int? = nil
    ) -> TracedBytes {
        guard isTracing else { return TracedBytes(bytes) }
        return TracedBytes(bytes, buffer: traceable(
            name, bytes, spans: spans, Derivation(operation, inputs, length: length)))
    }

    /// `bytes` as a traced root buffer: they came from `source`, outside the computation.
    func given(_ name: String, _ bytes: [UInt8], spans: [FieldSpan] = [], source: String) -> TracedBytes {
        guard isTracing else { return TracedBytes(bytes) }
        return TracedBytes(bytes, buffer: traceable(name, bytes, spans: spans, .given(source)))
    }
}

extension TracedBytes {
    /// The part of these bytes at `range`, as a traced copy named `name` (with `spans`, offsets
    /// relative to the part); `nil` when `range` is unknown or out of bounds.
    func span(_ name: String, _ range: Range<Int>?, spans: [FieldSpan] = [], on runtime: any KernelRuntime)
        -> TracedBytes?
    {
        guard let range, range.upperBound <= bytes.count else { return nil }
        return runtime.derive(name, Array(bytes[range]), spans: spans, .copy, [input(name, range: range)])
    }
}
