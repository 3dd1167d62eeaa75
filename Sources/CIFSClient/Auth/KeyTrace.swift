import KernelRuntime

/// The traced buffers that hold a connection's or a session's keys, kept while tracing so that
/// a later step (on any thread) can name them as inputs: the response names the challenge, a
/// signature names the MAC key. Runtime lock, like the keys themselves.
struct KeyTrace: Sendable {
    /// The 8-byte challenge (`server.cryptKey`, `ses.cryptKey`).
    var challenge: TraceBuffer?
    /// The session's key material (`ses.authKey`).
    var authKey: TraceBuffer?
    /// The connection's MAC key (`server.sessionKey`).
    var macKey: TraceBuffer?
    /// The NTLMSSP CHALLENGE's target info, which the NTLMv2 blob carries.
    var targetInfo: TraceBuffer?

    /// `buffer`'s bytes as ``TracedBytes`` (untraced when the buffer was not recorded).
    static func bytes(_ value: [UInt8], _ buffer: TraceBuffer?) -> TracedBytes {
        TracedBytes(value, buffer: buffer?.bytes == value ? buffer : nil)
    }
}
