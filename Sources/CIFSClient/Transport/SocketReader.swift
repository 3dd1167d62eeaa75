import KernelRuntime

/// cifsd's reading end of the socket: a small staging buffer in front of the transport.
///
/// The kernel reads a reply in several small `kernel_recvmsg` calls (the RFC 1002 length, the
/// header down to the MID, the rest of the READ_ANDX header, then the data into the pages); in
/// the kernel those are cheap. Here each would be a system call, so the small reads are served
/// from a 256-byte staging buffer, and a reply's data is received with one scatter read whose
/// vectors are the pages, returning only when they are full (``Transport/receive(filling:)``):
/// the data goes straight from the socket into the pages — one copy. At most the staging
/// buffer's size of a reply's data (what arrived with its header) is copied twice.
///
/// Only the cifsd thread uses a reader; a reconnect gets a new one with its new transport.
final class SocketReader: @unchecked Sendable {
    /// Bytes the staging buffer holds: a READ_ANDX reply's RFC 1002 length, header, words and
    /// pad (64 bytes) with room to spare.
    static let stagingSize = 256

    let transport: any Transport
    private let staging: UnsafeMutableRawBufferPointer
    /// `staging[head..<tail]` are received and not yet consumed.
    private var head = 0
    private var tail = 0
    /// Scatter vectors, reused from call to call.
    private var vectors: [UnsafeMutableRawBufferPointer] = []

    init(transport: any Transport) {
        self.transport = transport
        staging = UnsafeMutableRawBufferPointer.allocate(byteCount: SocketReader.stagingSize, alignment: 16)
        vectors.reserveCapacity(64)
    }

    deinit {
        staging.deallocate()
    }

    /// Bytes received ahead and not yet consumed.
    var buffered: Int { tail - head }

    /// `count` bytes.
    /// - Throws: ``CIFSError/transport(_:)`` when the stream fails or ends first (even before
    ///   the first byte).
    func read(_ count: Int) throws -> [UInt8] {
        guard count > 0 else { return [] }
        var complete = false
        let bytes = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            complete = try read(into: UnsafeMutableRawBufferPointer(buffer))
            initialized = complete ? count : 0
        }
        guard complete else { throw CIFSError.transport(.truncated(expected: count, received: 0)) }
        return bytes
    }

    /// Fills `buffer` completely.
    /// - Returns: `false` when the stream ended before the first byte (and `buffer` is not empty).
    /// - Throws: ``CIFSError/transport(_:)`` when the stream fails, or ends part-way.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Bool {
        guard buffer.count > 0 else { return true }
        var filled = takeBuffered(into: buffer)
        while filled < buffer.count {
            let rest = UnsafeMutableRawBufferPointer(rebasing: buffer[filled...])
            let received: Int
            if rest.count < SocketReader.stagingSize {
                // A short read: fill the staging buffer instead, and serve from it.
                head = 0
                tail = try receive { try $0.receive(into: staging) }
                received = tail == 0 ? 0 : takeBuffered(into: rest)
            } else {
                vectors.removeAll(keepingCapacity: true)
                vectors.append(rest)
                received = try receiveScattered()
            }
            if received == 0 {
                if filled == 0 { return false }
                throw CIFSError.transport(.truncated(expected: buffer.count, received: filled))
            }
            filled += received
        }
        return true
    }

    /// Fills `buffers` completely, in order (a READ_ANDX reply's data into its pages).
    /// - Throws: ``CIFSError/transport(_:)`` when the stream fails or ends first.
    func read(scatter buffers: [UnsafeMutableRawBufferPointer]) throws {
        let total = buffers.reduce(0) { $0 + $1.count }
        var index = 0
        var offset = 0
        var filled = 0
        // Advances the position past `count` bytes already placed.
        func advance(_ count: Int) {
            var left = count
            while left > 0, index < buffers.count {
                let step = min(left, buffers[index].count - offset)
                left -= step
                offset += step
                if offset == buffers[index].count {
                    index += 1
                    offset = 0
                }
            }
            filled += count
        }
        // What the staging buffer already holds comes first.
        while buffered > 0, index < buffers.count {
            if buffers[index].count == 0 {
                index += 1
                continue
            }
            advance(takeBuffered(into: UnsafeMutableRawBufferPointer(rebasing: buffers[index][offset...])))
        }
        guard filled < total else { return }
        // The rest in one receive that returns only when the pages are full: nothing else is
        // wanted from the socket before, and a reply's data is most of its bytes, so receiving
        // the next reply's start with it (the staging buffer) would save one small call at the
        // cost of a wake-up per arriving segment.
        vectors.removeAll(keepingCapacity: true)
        vectors.append(UnsafeMutableRawBufferPointer(rebasing: buffers[index][offset...]))
        if index + 1 < buffers.count { vectors.append(contentsOf: buffers[(index + 1)...]) }
        let placed = try receive { transport in try vectors.withUnsafeBufferPointer { try transport.receive(filling: $0) } }
        if filled + placed < total {
            throw CIFSError.transport(.truncated(expected: total, received: filled + placed))
        }
    }

    /// Copies buffered bytes into the start of `buffer`; returns how many.
    private func takeBuffered(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(buffered, buffer.count)
        guard n > 0, let target = buffer.baseAddress, let source = staging.baseAddress else { return 0 }
        target.copyMemory(from: source + head, byteCount: n)
        head += n
        if head == tail {
            head = 0
            tail = 0
        }
        return n
    }

    /// One scatter receive into ``vectors`` followed by the staging buffer, which must be empty;
    /// returns the bytes placed in ``vectors`` (what went beyond is left buffered).
    private func receiveScattered() throws -> Int {
        let wanted = vectors.reduce(0) { $0 + $1.count }
        vectors.append(staging)
        head = 0
        tail = 0
        let n = try receive { transport in try vectors.withUnsafeBufferPointer { try transport.receive(scatter: $0) } }
        if n > wanted { tail = n - wanted }
        return min(n, wanted)
    }

    private func receive(_ body: (any Transport) throws -> Int) throws -> Int {
        do {
            return try body(transport)
        } catch let error as TransportError {
            throw CIFSError.transport(error)
        }
    }
}
