import Foundation
import KernelRuntime

/// A TCP proxy in front of an SMB1 server that misbehaves on READ_ANDX replies the way broken
/// or hostile servers do, to test that `cifstep get` neither hangs nor reports success with a
/// wrong file. Everything else passes through unchanged (so only unsigned sessions make sense).
final class MisbehavingProxy: @unchecked Sendable {
    enum Mode: String, CaseIterable, Sendable {
        /// Every READ_ANDX reply after the first carries no data (end of file, says the server).
        case zeroReads
        /// Every READ_ANDX reply carries half its data (at least one byte).
        case halfReads
        /// READ_ANDX replies are never sent.
        case silentReads
        /// The first READ_ANDX reply stops half-way through its frame; then nothing.
        case stallReads
        /// READ_ANDX replies come back with another MID.
        case wrongMidReads
        /// Instead of each READ_ANDX reply, NBSS keep-alives, one every 50 ms, for ever.
        case keepAliveReads
    }

    let listener: TCPListener
    let mode: Mode
    let backendPort: UInt16
    private let lock = NSLock()
    private var open: [TCPTransport] = []
    private var accepted = 0

    init(backendPort: UInt16, mode: Mode) throws {
        self.listener = try TCPListener(host: "127.0.0.1", port: 0)
        self.mode = mode
        self.backendPort = backendPort
        Thread.detachNewThread { [self] in
            while let client = try? listener.accept() {
                guard let backend = try? TCPTransport.connect(host: "127.0.0.1", port: backendPort) else {
                    client.close()
                    continue
                }
                lock.withLock {
                    open += [client, backend]
                    accepted += 1
                }
                Thread.detachNewThread { Self.copy(from: client, to: backend) }
                Thread.detachNewThread { [self] in forwardReplies(from: backend, to: client) }
            }
        }
    }

    var port: UInt16 { listener.port }

    /// Client connections accepted so far: more than one means the client reconnected.
    var connectionsAccepted: Int { lock.withLock { accepted } }

    func close() {
        listener.close()
        for transport in lock.withLock({ open }) { transport.close() }
    }

    deinit { close() }

    private static func copy(from source: TCPTransport, to target: TCPTransport) {
        while let bytes = try? source.receive(maxBytes: 1 << 16), !bytes.isEmpty {
            guard (try? target.send(bytes)) != nil else { break }
        }
        target.close()
    }

    /// SMB1 offsets: command, flags (reply bit 0x80), MID; READ_ANDX reply words.
    private enum Offset {
        static let command = 4, flags = 9, mid = 30
        static let dataLength = 43, dataOffset = 45, dataLengthHigh = 47, byteCount = 57, bytes = 59
    }

    private func forwardReplies(from backend: TCPTransport, to client: TCPTransport) {
        defer { client.close() }
        var reads = 0
        while let header = try? backend.receive(exactly: 4), header.count == 4 {
            // 24 bits of length, as serve and smbd send large READ_ANDX replies (RFC 1002's
            // 17 would misread any frame over 128 KiB and lose the frame boundary).
            let length = Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
            guard var body = try? backend.receive(exactly: length), body.count == length else { return }
            let isReadReply = header[0] == 0 && body.count > Offset.bytes && body.starts(with: [0xFF, 0x53, 0x4D, 0x42])
                && body[Offset.command] == 0x2E && body[Offset.flags] & 0x80 != 0 && body[32] == 12
            guard isReadReply else {
                guard (try? client.send(header + body)) != nil else { return }
                continue
            }
            reads += 1
            let dataOffset = Int(body[Offset.dataOffset]) | Int(body[Offset.dataOffset + 1]) << 8
            let dataLength = Int(body[Offset.dataLength]) | Int(body[Offset.dataLength + 1]) << 8
                | Int(body[Offset.dataLengthHigh]) << 16 | Int(body[Offset.dataLengthHigh + 1]) << 24
            switch mode {
            case .zeroReads where reads > 1:
                body = Self.keepingData(body, dataOffset: dataOffset, count: 0)
            case .halfReads:
                body = Self.keepingData(body, dataOffset: dataOffset, count: max(1, dataLength / 2))
            case .silentReads:
                continue
            case .stallReads:
                _ = try? client.send(header + body.prefix(body.count / 2))
                _ = try? backend.receive(maxBytes: 1)  // nothing more, until the client gives up
                return
            case .wrongMidReads:
                body[Offset.mid + 1] ^= 0x40
            case .keepAliveReads:
                while (try? client.send([0x85, 0, 0, 0])) != nil { usleep(50_000) }
                return
            case .zeroReads:
                break
            }
            let size = body.count
            guard (try? client.send([0, UInt8(size >> 16), UInt8((size >> 8) & 0xFF), UInt8(size & 0xFF)] + body)) != nil
            else { return }
        }
    }

    /// A READ_ANDX reply cut to its first `count` data bytes, its lengths made to match.
    private static func keepingData(_ body: [UInt8], dataOffset: Int, count: Int) -> [UInt8] {
        var cut = Array(body.prefix(dataOffset + count))
        cut[Offset.dataLength] = UInt8(count & 0xFF)
        cut[Offset.dataLength + 1] = UInt8((count >> 8) & 0xFF)
        cut[Offset.dataLengthHigh] = UInt8((count >> 16) & 0xFF)
        cut[Offset.dataLengthHigh + 1] = UInt8((count >> 24) & 0xFF)
        let byteCount = min(cut.count - Offset.bytes, 0xFFFF)
        cut[Offset.byteCount] = UInt8(byteCount & 0xFF)
        cut[Offset.byteCount + 1] = UInt8(byteCount >> 8)
        return cut
    }
}
