/// One end of an in-memory byte pipe between the client core and the in-process server.
///
/// Blocking goes through the runtime's ``KernelRuntime/wait(on:until:)``, so under
/// ``SteppedRuntime`` a thread waiting for bytes is an ordinary blocked thread — steppable and
/// deterministic — and under ``FreeRunRuntime`` it is a condition-variable wait.
///
/// Each direction is bounded (4 MiB by default): a send blocks while the peer's buffer is full,
/// as a socket does, so a runaway sender cannot exhaust memory. After the peer closes, `receive`
/// returns the bytes still buffered, then 0 / `[]` (end of stream), and `send` throws
/// ``TransportError/peerClosed``. After this end is closed, both throw ``TransportError/closed``.
public final class PipeTransport: Transport, @unchecked Sendable {
    /// Default per-direction capacity: 4 MiB, enough for a 128 KiB read reply many times over.
    public static let defaultCapacity = 4 << 20

    /// e.g. `client` or `server`; used in wait-queue names.
    public let name: String
    private let runtime: any KernelRuntime
    private let inbound: PipeChannel
    private let outbound: PipeChannel
    /// Guarded by the runtime lock.
    private var isClosed = false

    private init(name: String, runtime: any KernelRuntime, inbound: PipeChannel, outbound: PipeChannel) {
        self.name = name
        self.runtime = runtime
        self.inbound = inbound
        self.outbound = outbound
    }

    /// Two connected ends: what one sends, the other receives.
    /// - Parameters:
    ///   - capacity: bytes each direction buffers before `send` blocks (at least 1).
    ///   - names: names of the two ends, used in wait-queue names (`client→server readable`).
    public static func makePair(
        runtime: any KernelRuntime, capacity: Int = defaultCapacity, names: (String, String) = ("client", "server")
    ) -> (PipeTransport, PipeTransport) {
        let forward = PipeChannel(label: "\(names.0)→\(names.1)", capacity: max(1, capacity))
        let backward = PipeChannel(label: "\(names.1)→\(names.0)", capacity: max(1, capacity))
        let first = PipeTransport(name: names.0, runtime: runtime, inbound: backward, outbound: forward)
        let second = PipeTransport(name: names.1, runtime: runtime, inbound: forward, outbound: backward)
        return (first, second)
    }

    public func send(_ bytes: [UInt8]) throws {
        let channel = outbound
        try runtime.withLock {
            if isClosed { throw TransportError.closed }
            var offset = 0
            while offset < bytes.count {
                try runtime.wait(on: channel.writable) {
                    channel.space > 0 || channel.readerClosed || self.isClosed
                }
                if isClosed { throw TransportError.closed }
                if channel.readerClosed { throw TransportError.peerClosed }
                let n = min(channel.space, bytes.count - offset)
                channel.append(bytes[offset..<(offset + n)])
                offset += n
                runtime.wakeAll(channel.readable)
            }
        }
    }

    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        let channel = inbound
        return try runtime.withLock {
            try runtime.wait(on: channel.readable) {
                channel.count > 0 || channel.writerClosed || self.isClosed
            }
            if isClosed { throw TransportError.closed }
            if channel.count == 0 { return 0 }
            let n = channel.take(into: buffer)
            runtime.wakeAll(channel.writable)
            return n
        }
    }

    public func close() {
        runtime.withLock {
            guard !isClosed else { return }
            isClosed = true
            outbound.writerClosed = true
            inbound.readerClosed = true
            inbound.discard()
            for queue in [outbound.readable, outbound.writable, inbound.readable, inbound.writable] {
                runtime.wakeAll(queue)
            }
        }
    }
}

/// One direction of a pipe: a bounded byte queue with a queue for readers and one for writers.
/// Guarded by the runtime lock.
final class PipeChannel: @unchecked Sendable {
    let capacity: Int
    let readable: WaitQueue
    let writable: WaitQueue
    var writerClosed = false
    var readerClosed = false
    /// Bytes `storage[head...]` are buffered; consumed bytes before `head` are compacted lazily.
    private var storage: [UInt8] = []
    private var head = 0

    /// - Parameter kind: what the queues' names call it (`pipe`, `socket`).
    init(label: String, capacity: Int, kind: String = "pipe") {
        self.capacity = capacity
        self.readable = WaitQueue("\(kind) \(label) readable")
        self.writable = WaitQueue("\(kind) \(label) writable")
    }

    var count: Int { storage.count - head }
    var space: Int { capacity - count }

    func append(_ bytes: ArraySlice<UInt8>) {
        if head > 0 && head >= storage.count / 2 {
            storage.removeSubrange(0..<head)
            head = 0
        }
        storage.append(contentsOf: bytes)
    }

    func take(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(count, buffer.count)
        storage.withUnsafeBytes { source in
            guard let base = source.baseAddress, let target = buffer.baseAddress else { return }
            target.copyMemory(from: base + head, byteCount: n)
        }
        head += n
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        }
        return n
    }

    func discard() {
        storage = []
        head = 0
    }
}
