import KernelRuntime

/// Where the trace recorded a connection's or a session's keys, kept while tracing so that a
/// later step (on any thread) can name them as inputs: the response names the challenge, a
/// signature names the MAC key. Runtime lock, like the keys themselves.
struct KeyTrace: Sendable {
    /// The 8-byte challenge (`server.cryptKey`, `ses.cryptKey`).
    var challenge: TracedBytes?
    /// The session's key material (`ses.authKey`).
    var authKey: TracedBytes?
    /// The connection's MAC key (`server.sessionKey`).
    var macKey: TracedBytes?

    /// `value` as recorded in `traced`, when `traced` still holds exactly these bytes (else
    /// unrecorded: a key changed without its record is never guessed). Already recorded, so
    /// no event carries it again.
    static func current(_ value: [UInt8], _ traced: TracedBytes?) -> TracedBytes {
        guard let traced, traced.bytes == value else { return TracedBytes(value) }
        return TracedBytes(value, buffer: traced.buffer, range: traced.range)
    }
}
