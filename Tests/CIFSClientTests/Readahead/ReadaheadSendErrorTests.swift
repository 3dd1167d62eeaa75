import CIFSClient
import KernelRuntime
import SMBServer
import SMBWire
import Testing

/// A send that fails in `cifs_call_async`: the mid is deleted, the credit returned, and
/// `cifs_retry_async_readv` retries after the reconnect — or, when the server is gone, the
/// pages are unlocked and the reader gets an error instead of sleeping forever.
@Suite("Readahead: send errors")
struct ReadaheadSendErrorTests {
    /// The client end of a pipe whose `failAt`-th send fails as if the peer had gone.
    final class FailingSendTransport: Transport, @unchecked Sendable {
        let inner: any Transport
        let failAt: Int
        let runtime: any KernelRuntime
        private var sends = 0  // runtime lock

        init(_ inner: any Transport, failAt: Int, runtime: any KernelRuntime) {
            self.inner = inner
            self.failAt = failAt
            self.runtime = runtime
        }

        func send(_ bytes: [UInt8]) throws {
            let number = runtime.withLock { () -> Int in
                sends += 1
                return sends
            }
            if number == failAt {
                inner.close()
                throw TransportError.peerClosed
            }
            try inner.send(bytes)
        }

        func receive(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { try inner.receive(into: buffer) }
        func close() { inner.close() }
    }

    static func run(_ content: [UInt8], reconnects: Bool) throws -> (ReadaheadHarness.Outcome?, (any Error)?) {
        let runtime = FreeRunRuntime(seed: 8, recorder: TraceRecorder())
        let server = try ReadaheadHarness.server(runtime, files: ["data.bin": content])
        let connections = Harness.Box(0)
        var options = Harness.options(auth: .ntlmssp, rsize: 61_440, host: "pipe", reconnectAttempts: 1)
        options.readaheadPages = 64
        options.reconnectDelay = 1_000
        do {
            let outcome = try ReadaheadHarness.read(runtime, options: options, path: "data.bin", server: server) {
                let first = runtime.withLock { () -> Bool in
                    connections.value += 1
                    return connections.value == 1
                }
                guard first || reconnects else { throw TransportError.connectionRefused(host: "pipe", port: 445) }
                let (client, serverEnd) = PipeTransport.makePair(runtime: runtime)
                server.serve(connection: serverEnd)
                // NEGOTIATE, two SESSION_SETUPs, TREE_CONNECT, NT_CREATE, TRANS2, READ, READ: the 8th fails.
                return first ? FailingSendTransport(client, failAt: 8, runtime: runtime) : client
            }
            return (outcome, nil)
        } catch {
            return (nil, error)
        }
    }

    @Test("the 2nd READ_ANDX fails to send: the mid is deleted, the read retried after the reconnect, every byte right")
    func retriedAfterReconnect() throws {
        let content = Harness.pattern(300_000, seed: 51)
        let (outcome, error) = try Self.run(content, reconnects: true)
        #expect(error == nil)
        let run = try #require(outcome)
        #expect(run.bytes == content)
        #expect(run.statistics.reconnects == 1)
        let retries = run.events.filter { $0.function == "cifs_retry_async_readv" && $0.phase == .note }
        #expect(retries.first?.message.contains("-EAGAIN") == true)
        #expect(run.events.contains { $0.function == "cifs_reopen_file" })
    }

    @Test("the send fails and the server is gone: the pages are unlocked and the read fails with a CIFSError, no hang")
    func serverGone() throws {
        let content = Harness.pattern(300_000, seed: 52)
        let (outcome, error) = try Self.run(content, reconnects: false)
        #expect(outcome == nil)
        #expect(error is CIFSError, "\(String(describing: error))")
    }
}
