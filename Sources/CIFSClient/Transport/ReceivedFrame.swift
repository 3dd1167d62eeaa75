import KernelRuntime
import SMBWire

/// One reply frame being read off the socket by cifsd: the NBSS length is known and the
/// first ``header`` bytes (the SMB header, up to the MID) are already read. A mid's
/// ``Mid/receive`` reads the rest with ``read(_:)``, ``read(into:)`` and ``discardRemaining()``
/// — so an async read can put READ_ANDX data straight into its pages (``read(scatter:)``: one
/// scatter receive for all of them).
///
/// Mirrors the kernel's `cifs_read_from_socket` / `cifs_readv_from_socket` /
/// `cifs_discard_from_socket` on `server->smallbuf`.
public final class ReceivedFrame: @unchecked Sendable {
    /// The SMB message's length from the NBSS header.
    public let length: Int
    /// The bytes read before the mid was looked up (from `0xFF 'SMB'`).
    public let header: [UInt8]
    /// Bytes of the message consumed so far (including ``header``).
    public private(set) var consumed: Int
    let reader: SocketReader

    init(reader: SocketReader, length: Int, header: [UInt8]) {
        self.reader = reader
        self.length = length
        self.header = header
        self.consumed = header.count
    }

    /// Bytes of the message not yet read.
    public var remaining: Int { length - consumed }

    /// Reads the next `count` bytes of the message.
    /// - Throws: ``CIFSError/malformedFrame(_:)`` past the frame's end;
    ///   ``CIFSError/transport(_:)`` when the stream fails or ends.
    public func read(_ count: Int) throws -> [UInt8] {
        guard count >= 0, count <= remaining else {
            throw CIFSError.malformedFrame("read of \(count) bytes with \(remaining) left in the frame")
        }
        let bytes = try reader.read(count)
        consumed += count
        return bytes
    }

    /// Fills `buffer` with the next `buffer.count` bytes of the message (one copy, socket to
    /// destination).
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws {
        guard buffer.count <= remaining else {
            throw CIFSError.malformedFrame("read of \(buffer.count) bytes with \(remaining) left in the frame")
        }
        guard try reader.read(into: buffer) else {
            throw CIFSError.transport(.truncated(expected: buffer.count, received: 0))
        }
        consumed += buffer.count
    }

    /// Fills `buffers` in order with the next bytes of the message (one copy, socket to
    /// destination, in as few receives as the stream allows): how `cifs_readv_receive` puts a
    /// reply's data into its pages. Mirrors the kernel's `cifs_readv_from_socket` with one kvec
    /// per page.
    public func read(scatter buffers: [UnsafeMutableRawBufferPointer]) throws {
        let total = buffers.reduce(0) { $0 + $1.count }
        guard total <= remaining else {
            throw CIFSError.malformedFrame("read of \(total) bytes with \(remaining) left in the frame")
        }
        try reader.read(scatter: buffers)
        consumed += total
    }

    /// Reads and drops the rest of the message (the kernel's `cifs_discard_from_socket`).
    public func discardRemaining() throws {
        var left = remaining
        let chunk = 64 * 1024
        var scratch = [UInt8](repeating: 0, count: min(max(left, 0), chunk))
        while left > 0 {
            let n = min(left, chunk)
            try scratch.withUnsafeMutableBytes { raw in
                try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<n]))
            }
            left -= n
        }
    }
}
