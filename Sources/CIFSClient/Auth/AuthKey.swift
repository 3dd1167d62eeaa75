import KernelRuntime

extension Session {
    /// Keeps `sessionKey` ‖ `response` as ``authKey`` (the kernel's `auth_key.response`: the
    /// MAC key of the first session for NTLM and old-style NTLMv2) and returns it with the
    /// state change, for the caller's exit event.
    func keepAuthKey(sessionKey: TracedBytes, response: TracedBytes, tracing: Bool)
        -> (key: TracedBytes, diff: [StateDiff])
    {
        let runtime = server.runtime
        let key = runtime.derive("auth key", sessionKey.bytes + response.bytes, .concat,
                                 [sessionKey.input("session key"), response.input("response")])
        var changes = StateChanges(tracing: tracing)
        runtime.withLock {
            changes.set(self, \.authKeyState, .held(key.bytes), path: "ses.authKey")
            keyTrace.authKey = key
        }
        return (key, changes.diffs)
    }
}
