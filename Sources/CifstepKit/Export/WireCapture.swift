import Foundation
import KernelRuntime
import TraceRender

/// Records the bytes that cross a transport, exactly as sent and received, into a pcap
/// stream on disk (so a large transfer does not grow memory).
///
/// Every connection made through ``wrap(_:)`` becomes a TCP stream of its own in the capture.
final class WireCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var writer = PcapWriter()
    private var connections = 0
    private let file: FileHandle
    private let path: String
    private let temporary: String
    /// The first write that failed: the capture is incomplete, and ``finish()`` says so.
    private var writeError: (any Error)?

    init(path: String) throws {
        self.path = path
        temporary = path + ".cifstep-partial"
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporary) else {
            throw CLIError.failure("cannot write \(path)")
        }
        file = handle
    }

    /// A transport that records everything `inner` carries.
    func wrap(_ inner: any Transport) -> any Transport {
        lock.lock()
        connections += 1
        writer.newConnection(clientPort: 49_151 &+ UInt16(truncatingIfNeeded: connections), timestampMicros: WireCapture.micros())
        flush()
        lock.unlock()
        return Recording(inner: inner, capture: self)
    }

    fileprivate func record(fromClient: Bool, _ bytes: UnsafeRawBufferPointer) {
        lock.lock()
        defer { lock.unlock() }
        writer.message(fromClient: fromClient, frame: Array(bytes), timestampMicros: WireCapture.micros())
        if writer.bytes.count > 4 << 20 { flush() }
    }

    /// Call with `lock` held. After a failed write nothing more is written (the capture could
    /// no longer be decoded past the gap); ``finish()`` reports the failure.
    private func flush() {
        let chunk = writer.drain()
        guard !chunk.isEmpty, writeError == nil else { return }
        do {
            try file.write(contentsOf: chunk)
        } catch {
            writeError = error
        }
    }

    /// Writes what is left and moves the capture into place; a capture that could not be
    /// written whole is removed and reported.
    func finish() throws {
        lock.lock()
        flush()
        let failed = writeError
        lock.unlock()
        var closeError: (any Error)?
        do { try file.close() } catch { closeError = error }
        if let error = failed ?? closeError {
            unlink(temporary)
            throw CLIError.failure("cannot write \(path): \(error.localizedDescription)")
        }
        if rename(temporary, path) != 0 { throw CLIError.failure("cannot write \(path)") }
    }

    static func micros() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1_000
    }

    private final class Recording: Transport, @unchecked Sendable {
        let inner: any Transport
        let capture: WireCapture

        init(inner: any Transport, capture: WireCapture) {
            self.inner = inner
            self.capture = capture
        }

        func send(_ bytes: [UInt8]) throws {
            // Recorded first: the reply may arrive (and be recorded by cifsd) before send returns.
            bytes.withUnsafeBytes { capture.record(fromClient: true, $0) }
            try inner.send(bytes)
        }

        func receive(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            let n = try inner.receive(into: buffer)
            if n > 0 { capture.record(fromClient: false, UnsafeRawBufferPointer(rebasing: buffer[0..<n])) }
            return n
        }

        func close() { inner.close() }
    }
}
