#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A listening TCP socket: `cifstep serve`, and loopback tests against the in-process server.
///
/// Bind port 0 to get an ephemeral port and read it back from ``port``. ``close()`` from any
/// thread makes a blocked ``accept()`` throw ``TransportError/closed`` (the listening socket is
/// shut down; the descriptor is released when the object is freed).
public final class TCPListener: @unchecked Sendable {
    /// The host the listener was bound to, as given.
    public let host: String
    /// The bound port (the ephemeral one when 0 was asked for).
    public let port: UInt16
    private let fd: Int32
    private let state = PThreadMutex()
    private var isClosed = false

    /// Binds and listens on `host:port` (`SO_REUSEADDR`).
    /// - Throws: ``TransportError/addressInUse(host:port:)``, ``TransportError/unknownHost(_:reason:)``,
    ///   ``TransportError/system(call:errno:message:)``.
    public init(host: String = "127.0.0.1", port: UInt16 = 0, backlog: Int32 = 16) throws {
        let addresses = try Socket.resolve(host: host, port: port, passive: true)
        var lastError = TransportError.addressInUse(host: host, port: port)
        for (family, address) in addresses {
            let fd = socket(family, Socket.streamType, 0)
            guard fd >= 0 else {
                lastError = Socket.systemError("socket")
                continue
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            Socket.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            let bound = address.withUnsafeBytes { raw -> Int32 in
                guard let base = raw.baseAddress else { return -1 }
                return bind(fd, base.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
            }
            if bound != 0 {
                let code = errno
                lastError = code == EADDRINUSE
                    ? .addressInUse(host: host, port: port) : Socket.systemError("bind to \(host):\(port)", code)
                Socket.closeDescriptor(fd)
                continue
            }
            guard listen(fd, backlog) == 0, let actual = Socket.localPort(fd) else {
                lastError = Socket.systemError("listen")
                Socket.closeDescriptor(fd)
                continue
            }
            self.host = host
            self.port = actual
            self.fd = fd
            return
        }
        throw lastError
    }

    deinit {
        Socket.closeDescriptor(fd)
    }

    /// Waits for the next connection.
    /// - Throws: ``TransportError/closed`` once ``close()`` was called.
    public func accept() throws -> TCPTransport {
        while true {
            if state.locked({ isClosed }) { throw TransportError.closed }
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let client = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { acceptConnection(fd, $0, &length) }
            }
            if client >= 0 {
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                let peer = withUnsafePointer(to: &storage) { Socket.describe(UnsafeRawPointer($0)) }
                return TCPTransport(descriptor: client, peer: peer)
            }
            let code = errno
            if state.locked({ isClosed }) { throw TransportError.closed }
            // A connection that died in the backlog, or a signal: try again.
            if code == EINTR || code == ECONNABORTED { continue }
            throw Socket.systemError("accept", code)
        }
    }

    /// Stops listening; a blocked ``accept()`` throws ``TransportError/closed``. Repeatable.
    public func close() {
        state.locked {
            guard !isClosed else { return }
            isClosed = true
            // On Linux, shutting a listening socket down wakes a thread blocked in accept.
            _ = shutdown(fd, Int32(SHUT_RDWR))
        }
    }

    private func acceptConnection(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>, _ length: inout socklen_t) -> Int32 {
        #if canImport(Glibc)
        return Glibc.accept(fd, address, &length)
        #else
        return Darwin.accept(fd, address, &length)
        #endif
    }
}
