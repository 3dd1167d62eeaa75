/// A byte stream between the client core and a server: the kernel's socket, seen through
/// `kernel_sendmsg` / `kernel_recvmsg`.
///
/// Two implementations: ``PipeTransport`` (in memory, blocking through the runtime, so it is
/// steppable and deterministic) and ``TCPTransport`` (a real socket, for free-run mode).
///
/// Call transport methods **outside** ``KernelRuntime/withLock(_:)``: they may block. Several
/// threads may send on one end only if they serialise their sends (the kernel's `srv_mutex`,
/// see ``KernelMutex``); otherwise their bytes may interleave.
public protocol Transport: AnyObject, Sendable {
    /// Sends all of `bytes`, blocking while the peer's buffer is full.
    /// - Throws: ``TransportError/closed`` after this end was closed,
    ///   ``TransportError/peerClosed`` when the peer no longer reads.
    func send(_ bytes: [UInt8]) throws

    /// Receives at least one and at most `buffer.count` bytes straight into `buffer` (so a
    /// reply's data can land in its pages with one copy), blocking until some arrive.
    /// - Returns: the number of bytes received; 0 at end of stream (the peer closed).
    /// - Throws: ``TransportError/closed`` after (or while blocked when) this end was closed.
    func receive(into buffer: UnsafeMutableRawBufferPointer) throws -> Int

    /// Receives at least one byte and at most the buffers' total, filling `buffers` in order
    /// (a scatter read: the pages of a READ_ANDX reply in one system call), blocking until some
    /// bytes arrive. The default receives into the first non-empty buffer only.
    /// - Returns: the number of bytes received; 0 at end of stream (or when all buffers are empty).
    /// - Throws: as ``receive(into:)``.
    func receive(scatter buffers: UnsafeBufferPointer<UnsafeMutableRawBufferPointer>) throws -> Int

    /// Receives until every one of `buffers` is full, in order, or the stream ends: the data of
    /// a READ_ANDX reply into its pages when nothing else is wanted from the socket until they
    /// are full. A socket waits until (nearly) all of it is queued and takes it in one call,
    /// sparing the receiver a wake-up and a call per arriving segment. The default calls
    /// ``receive(scatter:)`` until they are full.
    /// - Returns: the number of bytes received: the buffers' total, or fewer at end of stream.
    /// - Throws: as ``receive(into:)``.
    func receive(filling buffers: UnsafeBufferPointer<UnsafeMutableRawBufferPointer>) throws -> Int

    /// Closes this end: a receive blocked on it returns, later calls throw
    /// ``TransportError/closed``, and the peer sees end of stream. Safe from any thread, repeatable.
    func close()
}

extension Transport {
    public func receive(scatter buffers: UnsafeBufferPointer<UnsafeMutableRawBufferPointer>) throws -> Int {
        guard let first = buffers.first(where: { $0.count > 0 }) else { return 0 }
        return try receive(into: first)
    }

    public func receive(filling buffers: UnsafeBufferPointer<UnsafeMutableRawBufferPointer>) throws -> Int {
        var index = 0
        var offset = 0
        var filled = 0
        var rest: [UnsafeMutableRawBufferPointer] = []
        while index < buffers.count {
            if offset == buffers[index].count {
                index += 1
                offset = 0
                continue
            }
            rest.removeAll(keepingCapacity: true)
            rest.append(UnsafeMutableRawBufferPointer(rebasing: buffers[index][offset...]))
            rest.append(contentsOf: buffers[(index + 1)...])
            var placed = try rest.withUnsafeBufferPointer { try receive(scatter: $0) }
            if placed == 0 { return filled }
            filled += placed
            while placed > 0 {
                let step = min(placed, buffers[index].count - offset)
                placed -= step
                offset += step
                if offset == buffers[index].count, placed > 0 {
                    index += 1
                    offset = 0
                }
            }
        }
        return filled
    }

    /// Receives up to `maxBytes` bytes; an empty array means end of stream.
    public func receive(maxBytes: Int) throws -> [UInt8] {
        guard maxBytes > 0 else { return [] }
        var received = 0
        let bytes = try [UInt8](unsafeUninitializedCapacity: maxBytes) { buffer, count in
            received = try receive(into: UnsafeMutableRawBufferPointer(buffer))
            count = received
        }
        return bytes
    }

    /// Fills `buffer` completely, looping over short receives.
    /// - Returns: `false` if the stream ended before the first byte (a clean end between frames).
    /// - Throws: ``TransportError/truncated(expected:received:)`` if it ended part-way.
    public func receive(exactlyInto buffer: UnsafeMutableRawBufferPointer) throws -> Bool {
        var filled = 0
        while filled < buffer.count {
            let rest = UnsafeMutableRawBufferPointer(rebasing: buffer[filled...])
            let n = try receive(into: rest)
            if n == 0 {
                if filled == 0 { return false }
                throw TransportError.truncated(expected: buffer.count, received: filled)
            }
            filled += n
        }
        return true
    }

    /// Receives exactly `count` bytes.
    /// - Returns: the bytes, or `[]` if the stream ended before the first byte.
    /// - Throws: ``TransportError/truncated(expected:received:)`` if it ended part-way.
    public func receive(exactly count: Int) throws -> [UInt8] {
        guard count > 0 else { return [] }
        var complete = false
        let bytes = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            complete = try receive(exactlyInto: UnsafeMutableRawBufferPointer(buffer))
            initialized = complete ? count : 0
        }
        return bytes
    }
}

/// Why a transport call failed.
public enum TransportError: Error, Equatable, Sendable, Codable, CustomStringConvertible {
    /// This end was closed.
    case closed
    /// The peer closed (or reset) the connection while we were sending.
    case peerClosed
    /// The peer reset the connection.
    case connectionReset
    /// Nothing listens at `host:port`.
    case connectionRefused(host: String, port: UInt16)
    /// The connection attempt did not complete in time.
    case connectTimedOut(host: String, port: UInt16)
    /// The host name did not resolve.
    case unknownHost(String, reason: String)
    /// The address is already taken by another listener.
    case addressInUse(host: String, port: UInt16)
    /// The stream ended after `received` of `expected` bytes.
    case truncated(expected: Int, received: Int)
    /// Any other failed system call.
    case system(call: String, errno: Int32, message: String)

    public var description: String {
        switch self {
        case .closed: return "transport closed"
        case .peerClosed: return "peer closed the connection"
        case .connectionReset: return "connection reset by peer"
        case let .connectionRefused(host, port): return "connection refused to \(host):\(port)"
        case let .connectTimedOut(host, port): return "connection to \(host):\(port) timed out"
        case let .unknownHost(host, reason): return "cannot resolve \(host): \(reason)"
        case let .addressInUse(host, port): return "address \(host):\(port) already in use"
        case let .truncated(expected, received): return "stream ended after \(received) of \(expected) bytes"
        case let .system(call, errno, message): return "\(call) failed: \(message) (errno \(errno))"
        }
    }
}
