#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Small helpers shared by TCPTransport and TCPListener. Linux first; the Darwin branches only
// keep the module compiling there.

enum Socket {
    #if canImport(Glibc)
    static let streamType = Int32(SOCK_STREAM.rawValue)
    static let sendFlags = Int32(MSG_NOSIGNAL)
    #else
    static let streamType = SOCK_STREAM
    static let sendFlags: Int32 = 0
    #endif

    #if canImport(Glibc)
    static func closeDescriptor(_ fd: Int32) { _ = Glibc.close(fd) }
    static func sendBytes(_ fd: Int32, _ base: UnsafeRawPointer, _ count: Int) -> Int {
        Glibc.send(fd, base, count, sendFlags)
    }
    static func connectAddress(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
        Glibc.connect(fd, address, length)
    }
    #else
    static func closeDescriptor(_ fd: Int32) { _ = Darwin.close(fd) }
    static func sendBytes(_ fd: Int32, _ base: UnsafeRawPointer, _ count: Int) -> Int {
        Darwin.send(fd, base, count, sendFlags)
    }
    static func connectAddress(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
        Darwin.connect(fd, address, length)
    }
    #endif

    /// Bigger than the default so a 128 KiB signed READ reply fits in flight.
    static let bufferSize: Int32 = 4 << 20

    static func errorMessage(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }

    static func systemError(_ call: String, _ code: Int32 = errno) -> TransportError {
        .system(call: call, errno: code, message: errorMessage(code))
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) {
        var value = value
        _ = setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    /// TCP_NODELAY (requests are whole frames; Nagle would only add latency) and large buffers.
    static func configureStream(_ fd: Int32) {
        setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        setOption(fd, SOL_SOCKET, SO_SNDBUF, bufferSize)
        setOption(fd, SOL_SOCKET, SO_RCVBUF, bufferSize)
        #if canImport(Darwin)
        setOption(fd, SOL_SOCKET, SO_NOSIGPIPE, 1)
        #endif
    }

    /// Resolves `host:port` to stream socket addresses (numeric hosts and names).
    static func resolve(host: String, port: UInt16, passive: Bool) throws -> [(family: Int32, address: [UInt8])] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = streamType
        hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0 else {
            let reason = gai_strerror(status).map { String(cString: $0) } ?? "error \(status)"
            throw TransportError.unknownHost(host, reason: reason)
        }
        defer { freeaddrinfo(list) }
        var results: [(family: Int32, address: [UInt8])] = []
        var node = list
        while let info = node?.pointee {
            if let address = info.ai_addr {
                let bytes = UnsafeRawBufferPointer(start: address, count: Int(info.ai_addrlen))
                results.append((info.ai_family, Array(bytes)))
            }
            node = info.ai_next
        }
        if results.isEmpty { throw TransportError.unknownHost(host, reason: "no addresses") }
        return results
    }

    /// `127.0.0.1:445` or `[::1]:445` for a socket address.
    static func describe(_ storage: UnsafeRawPointer) -> String {
        let family = Int32(storage.load(as: sockaddr.self).sa_family)
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch family {
        case AF_INET:
            var v4 = storage.load(as: sockaddr_in.self)
            inet_ntop(AF_INET, &v4.sin_addr, &text, socklen_t(text.count))
            return "\(cText(text)):\(UInt16(bigEndian: v4.sin_port))"
        case AF_INET6:
            var v6 = storage.load(as: sockaddr_in6.self)
            inet_ntop(AF_INET6, &v6.sin6_addr, &text, socklen_t(text.count))
            return "[\(cText(text))]:\(UInt16(bigEndian: v6.sin6_port))"
        default:
            return "family \(family)"
        }
    }

    /// A NUL-terminated C string held in an array.
    static func cText(_ chars: [CChar]) -> String {
        String(decoding: chars.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The local port a socket is bound to.
    static func localPort(_ fd: Int32) -> UInt16? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard status == 0 else { return nil }
        let family = Int32(storage.ss_family)
        return withUnsafePointer(to: &storage) { pointer in
            let raw = UnsafeRawPointer(pointer)
            switch family {
            case AF_INET: return UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port)
            case AF_INET6: return UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port)
            default: return nil
            }
        }
    }
}
