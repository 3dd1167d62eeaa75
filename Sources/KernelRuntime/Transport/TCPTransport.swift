#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A connected TCP socket: how `cifstep get` talks to a real Samba server in free-run mode.
///
/// TCP_NODELAY, 4 MiB socket buffers, `MSG_NOSIGNAL` (a peer that went away yields
/// ``TransportError/peerClosed``, never SIGPIPE), EINTR retried. `receive(into:)` reads straight
/// into the caller's buffer.
///
/// ``close()`` shuts the socket down (a `recv` blocked in another thread returns) but the
/// descriptor itself is released only when the object is freed, so a concurrent call can never
/// hit a reused descriptor number.
///
/// - Important: in ``SteppedRuntime`` a real socket read blocks the thread holding the baton;
///   the controller reports it as ``RuntimeError/handoffTimedOut(threadID:threadName:seconds:)``.
///   Use ``PipeTransport`` there.
public final class TCPTransport: Transport, @unchecked Sendable {
    /// The peer, e.g. `127.0.0.1:445`.
    public let peer: String
    /// Vectors per `readv`/`recvmsg`: Linux's `IOV_MAX` (more fail with EINVAL).
    static let maximumVectors = 1024
    private let fd: Int32
    private let state = PThreadMutex()
    private var isClosed = false
    /// The `SO_RCVLOWAT` last set (1 is the socket's default). A fill leaves it raised; the next
    /// receive that has to wait lowers it first (``receiveLowering(_:_:)``), so a stream of
    /// replies that are already queued costs no `setsockopt` at all. Receives come from one
    /// thread at a time (cifsd, or a server connection's thread), the only one touching it.
    private var mark = 1

    init(descriptor: Int32, peer: String) {
        self.fd = descriptor
        self.peer = peer
        Socket.configureStream(descriptor)
    }

    deinit {
        Socket.closeDescriptor(fd)
    }

    /// Connects to `host:port` (a name or a numeric IPv4/IPv6 address), trying each address.
    /// - Throws: ``TransportError/connectionRefused(host:port:)`` when nothing listens,
    ///   ``TransportError/connectTimedOut(host:port:)``, ``TransportError/unknownHost(_:reason:)``.
    public static func connect(host: String, port: UInt16, timeout: Duration = .seconds(10)) throws -> TCPTransport {
        let addresses = try Socket.resolve(host: host, port: port, passive: false)
        var lastError = TransportError.connectionRefused(host: host, port: port)
        for (family, address) in addresses {
            do {
                let fd = try connectOne(family: family, address: address, timeout: timeout, host: host, port: port)
                let peer = address.withUnsafeBytes { raw in raw.baseAddress.map(Socket.describe) ?? "\(host):\(port)" }
                return TCPTransport(descriptor: fd, peer: peer)
            } catch let error as TransportError {
                lastError = error
            }
        }
        throw lastError
    }

    private static func connectOne(
        family: Int32, address: [UInt8], timeout: Duration, host: String, port: UInt16
    ) throws -> Int32 {
        let fd = socket(family, Socket.streamType, 0)
        guard fd >= 0 else { throw Socket.systemError("socket") }
        var keep = false
        defer { if !keep { Socket.closeDescriptor(fd) } }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        // Non-blocking connect so the attempt can time out; blocking again afterwards.
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        let status = address.withUnsafeBytes { raw -> Int32 in
            guard let base = raw.baseAddress else { return -1 }
            return Socket.connectAddress(fd, base.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        if status != 0 {
            let code = errno
            guard code == EINPROGRESS || code == EINTR else { throw mapConnectError(code, host: host, port: port) }
            var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let deadline = monotonicNanoseconds() &+ nanoseconds(timeout)
            while true {
                let now = monotonicNanoseconds()
                guard now < deadline else { throw TransportError.connectTimedOut(host: host, port: port) }
                let milliseconds = Int32(min((deadline - now) / 1_000_000 + 1, UInt64(Int32.max)))
                let ready = poll(&poller, 1, milliseconds)
                if ready > 0 { break }
                if ready < 0 && errno != EINTR { throw Socket.systemError("poll") }
            }
            var pending: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &pending, &length) == 0 else {
                throw Socket.systemError("getsockopt")
            }
            if pending != 0 { throw mapConnectError(pending, host: host, port: port) }
        }
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        keep = true
        return fd
    }

    private static func mapConnectError(_ code: Int32, host: String, port: UInt16) -> TransportError {
        switch code {
        case ECONNREFUSED: return .connectionRefused(host: host, port: port)
        case ETIMEDOUT: return .connectTimedOut(host: host, port: port)
        default: return Socket.systemError("connect to \(host):\(port)", code)
        }
    }

    private var closed: Bool { state.locked { isClosed } }

    public func send(_ bytes: [UInt8]) throws {
        if closed { throw TransportError.closed }
        try bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var offset = 0
            while offset < raw.count {
                let n = Socket.sendBytes(fd, base + offset, raw.count - offset)
                if n >= 0 {
                    offset += n
                    continue
                }
                let code = errno
                if code == EINTR { continue }
                if closed { throw TransportError.closed }
                if code == EPIPE || code == ECONNRESET { throw TransportError.peerClosed }
                throw Socket.systemError("send", code)
            }
        }
    }

    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        return try receiveLowering("recv") { recv(fd, base, buffer.count, $0) }
    }

    /// One receive that may block (`body` gets the extra flags to pass). With the mark left
    /// raised by a fill, it first takes whatever is queued without waiting (a non-blocking
    /// receive ignores the mark), and lowers the mark to 1 only when it has to wait: blocking
    /// under a raised mark would wait for bytes the peer may never send.
    private func receiveLowering(_ call: String, _ body: (Int32) -> Int) throws -> Int {
        if mark > 1 {
            if let n = try receiveRetrying(call, wouldBlock: nil, { body(Int32(MSG_DONTWAIT)) }) { return n }
            setLowWaterMark(1)
        }
        return try receiveRetrying(call) { body(0) }
    }

    /// Runs one receive system call until it is not interrupted, and maps its outcome: bytes,
    /// 0 at end of stream, or a typed error (`closed` once this end was closed).
    private func receiveRetrying(_ call: String, _ body: () -> Int) throws -> Int {
        // Without MSG_DONTWAIT the call never reports EAGAIN, so the fallback is never taken.
        try receiveRetrying(call, wouldBlock: 0, body) ?? 0
    }

    /// ``receiveRetrying(_:_:)`` for a call that may not block: `wouldBlock` when nothing was
    /// queued (EAGAIN).
    private func receiveRetrying(_ call: String, wouldBlock: Int?, _ body: () -> Int) throws -> Int? {
        while true {
            let n = body()
            if n > 0 { return n }
            if n == 0 {
                if closed { throw TransportError.closed }
                return 0
            }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return wouldBlock }
            if closed { throw TransportError.closed }
            if code == ECONNRESET { throw TransportError.connectionReset }
            throw Socket.systemError(call, code)
        }
    }

    /// One `readv` over the buffers (at most `IOV_MAX` of them per call).
    public func receive(scatter buffers: UnsafeBufferPointer<UnsafeMutableRawBufferPointer>) throws -> Int {
        let count = min(buffers.count, TCPTransport.maximumVectors)
        guard count > 0 else { return 0 }
        return try withUnsafeTemporaryAllocation(of: iovec.self, capacity: count) { vectors in
            var used = 0
            for buffer in buffers[0..<count] where buffer.count > 0 {
                vectors[used] = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
                used += 1
            }
            guard used > 0, let base = vectors.baseAddress else { return 0 }
            var message = msghdr()
            message.msg_iov = base
            message.msg_iovlen = used
            return try receiveLowering("recvmsg") { recvmsg(fd, &message, $0) }
        }
    }

    /// Fills the buffers (at most `IOV_MAX` of them per call, the rest in a second call), returning
    /// early only at the end of the stream.
    ///
    /// A blocking receive is woken for every segment that arrives (16 times for a 1 MiB reply on
    /// loopback). For a large remainder this sets the socket's low-water mark (`SO_RCVLOWAT`) to
    /// it, waits in `poll` — which reports the socket readable once that much is queued, or the
    /// receive window is nearly shut, or memory is short, so it cannot wait for bytes the peer may
    /// not send — and then takes what is queued without blocking. It never waits *inside*
    /// `recvmsg` with a raised mark: there, bytes already copied no longer count towards the mark
    /// and the call can sleep for good (seen on Linux 6.18). First, though, it takes whatever is
    /// already queued: then a reply that arrived while the last one was being handled costs one
    /// system call. The mark stays raised on return; the next receive that has to wait lowers it.
    public func receive(filling buffers: UnsafeBufferPointer<UnsafeMutableRawBufferPointer>) throws -> Int {
        let count = min(buffers.count, TCPTransport.maximumVectors)
        guard count > 0 else { return 0 }
        return try withUnsafeTemporaryAllocation(of: iovec.self, capacity: count) { vectors in
            var used = 0
            var wanted = 0
            for buffer in buffers[0..<count] where buffer.count > 0 {
                vectors[used] = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
                used += 1
                wanted += buffer.count
            }
            guard used > 0, var base = vectors.baseAddress else { return 0 }
            var filled = 0
            // Whatever is queued first, without waiting: when replies are pipelined the whole
            // remainder often is, and then the fill costs one system call.
            var takeQueuedFirst = wanted >= TCPTransport.lowWaterMinimum
            while filled < wanted {
                let remaining = wanted - filled
                var message = msghdr()
                message.msg_iov = base
                message.msg_iovlen = used
                let n: Int
                if takeQueuedFirst {
                    takeQueuedFirst = false
                    guard let taken = try receiveRetrying("recvmsg", wouldBlock: nil, {
                        recvmsg(fd, &message, Int32(MSG_DONTWAIT))
                    }) else { continue }
                    n = taken
                } else if remaining >= TCPTransport.lowWaterMinimum {
                    if mark != remaining { setLowWaterMark(remaining) }
                    try waitUntilReadable()
                    guard let taken = try receiveRetrying("recvmsg", wouldBlock: nil, {
                        recvmsg(fd, &message, Int32(MSG_DONTWAIT))
                    }) else { continue }
                    n = taken
                } else {
                    n = try receiveLowering("recvmsg") { recvmsg(fd, &message, Int32(MSG_WAITALL) | $0) }
                }
                if n == 0 { break }
                filled += n
                // Partly filled: skip what arrived and wait for the rest.
                var placed = n
                while placed > 0, used > 0 {
                    let length = base.pointee.iov_len
                    if placed < length {
                        base.pointee.iov_base = base.pointee.iov_base.map { $0 + placed }
                        base.pointee.iov_len = length - placed
                        placed = 0
                    } else {
                        placed -= length
                        base += 1
                        used -= 1
                    }
                }
            }
            // Buffers past IOV_MAX: the next call.
            if filled == wanted, buffers.count > count {
                filled += try receive(filling: UnsafeBufferPointer(rebasing: buffers[count...]))
            }
            return filled
        }
    }

    /// Below this many bytes still wanted, `receive(filling:)` just blocks in `recvmsg`: one
    /// loopback segment (64 KiB) wakes it once anyway, and the mark costs up to three system
    /// calls (setting it, `poll`, and lowering it before the next receive that waits).
    static let lowWaterMinimum = 64 << 10

    /// Sets `SO_RCVLOWAT` (Linux caps it at half the receive buffer).
    private func setLowWaterMark(_ bytes: Int) {
        Socket.setOption(fd, SOL_SOCKET, SO_RCVLOWAT, Int32(clamping: bytes))
        mark = bytes
    }

    /// The socket's `SO_RCVLOWAT` now (for tests); -1 when it cannot be read.
    var lowWaterMark: Int32 {
        var value: Int32 = -1
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &value, &length) == 0 else { return -1 }
        return value
    }

    /// Sleeps in `poll` until the socket is readable under its low-water mark, hung up or failed
    /// (the next receive reports which).
    private func waitUntilReadable() throws {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while poll(&poller, 1, -1) < 0 {
            let code = errno
            if code == EINTR { continue }
            if closed { throw TransportError.closed }
            throw Socket.systemError("poll", code)
        }
    }

    public func close() {
        state.locked {
            guard !isClosed else { return }
            isClosed = true
            _ = shutdown(fd, Int32(SHUT_RDWR))
        }
    }
}
