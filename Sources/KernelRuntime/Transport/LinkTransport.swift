/// The client end of one connection to a real server in a stepped run (``ServerFeed``).
///
/// Receiving blocks through the runtime, as ``PipeTransport`` does, on bytes the feed delivers
/// at scheduling decisions; the socket itself is read by the link's own thread, never by a
/// simulated one. Sending goes through the feed (checked against the log, or to the socket).
final class LinkTransport: Transport, @unchecked Sendable {
    private let feed: ServerFeed
    private let connection: FeedConnection
    private let runtime: any KernelRuntime

    init(feed: ServerFeed, connection: FeedConnection, runtime: any KernelRuntime) {
        self.feed = feed
        self.connection = connection
        self.runtime = runtime
    }

    func send(_ bytes: [UInt8]) throws {
        if runtime.withLock({ connection.closed }) { throw TransportError.closed }
        try feed.send(bytes, on: connection)
    }

    func receive(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        let connection = connection
        return try runtime.withLock {
            try runtime.wait(on: connection.readable) {
                connection.inbound.count > 0 || connection.end != nil || connection.closed
            }
            if connection.closed { throw TransportError.closed }
            if connection.inbound.count == 0 {
                if connection.end == .reset { throw TransportError.connectionReset }
                return 0
            }
            return connection.inbound.take(into: buffer)
        }
    }

    func close() {
        let first = runtime.withLock { () -> Bool in
            guard !connection.closed else { return false }
            connection.closed = true
            connection.inbound.discard()
            runtime.wakeAll(connection.readable)
            return true
        }
        if first { feed.closed(connection) }
    }
}
