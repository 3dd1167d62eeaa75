import KernelRuntime
import SMBWire

/// Builds the annotated buffers and one-line summaries tracepoints carry. Spans come from the
/// SMBWire decoders, so the annotations cannot drift from the bytes.
enum SMBTrace {
    /// `packet` (from `0xFF 'SMB'`) with the spans of its decode; a malformed packet still gets
    /// the spans of what could be read.
    static func buffer(_ name: String, _ packet: [UInt8], trans2Request: Trans2RequestInfo? = nil) -> TraceBuffer {
        TraceBuffer(name: name, bytes: packet, spans: SMBMessage.annotate(packet, trans2Request: trans2Request).spans)
    }

    /// The same, as a buffer later buffers can name as their origin (a message on the wire is a
    /// root of provenance: `derivation` says how it was put together, when the code knows).
    static func buffer(
        _ name: String, _ packet: [UInt8], trans2Request: Trans2RequestInfo? = nil, traceableOn runtime: any KernelRuntime,
        derivation: Derivation? = nil
    ) -> TraceBuffer {
        runtime.traceable(
            name, packet, spans: SMBMessage.annotate(packet, trans2Request: trans2Request).spans, derivation)
    }

    /// Where the decoded field `name` (the last component of a span's name, e.g. `Challenge`,
    /// `SecurityBlob`) sits in `buffer`.
    static func fieldRange(_ name: String, in buffer: TraceBuffer?) -> Range<Int>? {
        buffer?.spans.first { $0.name == name || $0.name.hasSuffix("." + name) }?.range
    }

    /// One line: command, direction, status and the gist of the first block.
    static func summary(_ packet: [UInt8], trans2Request: Trans2RequestInfo? = nil) -> String {
        SMBMessage.annotate(packet, trans2Request: trans2Request).value.title
    }

    /// Spans of a 4-byte NBSS header.
    static func nbssSpans(_ header: [UInt8]) -> [FieldSpan] {
        (try? NBSSFrame.annotateHeader(header).spans) ?? []
    }

    /// Spans of an NTLMSSP message.
    static func ntlmsspSpans(_ blob: [UInt8]) -> [FieldSpan] {
        (try? NTLMSSPMessage.decode(blob).spans) ?? []
    }
}
