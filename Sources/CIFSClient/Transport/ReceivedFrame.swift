import KernelRuntime
import SMBWire

/// One reply frame being read off the socket by cifsd: the NBSS length is known and the
/// first ``header`` bytes (the SMB header, up to the MID) are already read. A mid's
/// ``Mid/receive`` reads the rest with ``read(_:)``, ``read(into:)`` and ``discardRemaining()``
/// — so an async read can put READ_ANDX data straight into its pages.
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
    let transport: any Transport

    init(transport: any Transport, length: Int, header: [UInt8]) {
        self.transport = transport
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
        let bytes = try ReceivedFrame.receiveExactly(transport, count)
        consumed += count
        return bytes
    }

    /// Fills `buffer` with the next `buffer.count` bytes of the message (one copy, socket to
    /// destination).
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws {
        guard buffer.count <= remaining else {
            throw CIFSError.malformedFrame("read of \(buffer.count) bytes with \(remaining) left in the frame")
        }
        do {
            guard try transport.receive(exactlyInto: buffer) || buffer.count == 0 else {
                throw CIFSError.transport(.truncated(expected: buffer.count, received: 0))
            }
        } catch let error as TransportError {
            throw CIFSError.transport(error)
        }
        consumed += buffer.count
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

    /// `count` bytes from `transport`, or a ``CIFSError/transport(_:)`` error if it ends first.
    static func receiveExactly(_ transport: any Transport, _ count: Int) throws -> [UInt8] {
        guard count > 0 else { return [] }
        do {
            let bytes = try transport.receive(exactly: count)
            guard bytes.count == count else {
                throw CIFSError.transport(.truncated(expected: count, received: 0))
            }
            return bytes
        } catch let error as TransportError {
            throw CIFSError.transport(error)
        }
    }
}
