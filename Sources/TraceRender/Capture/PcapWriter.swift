import SMBWire

/// Writes a capture of one SMB client's conversations as a real capture on port 445 would look:
/// Ethernet, IPv4 and TCP headers are synthesised around the bytes that crossed the wire, with
/// consistent sequence and acknowledgement numbers and checksums, so Wireshark and tshark decode
/// it as SMB with no options (no Decode As).
///
/// Two containers: classic pcap (`cifstep get --pcap`) and pcapng, whose packets can carry a
/// comment each (the trace exports name the event and kernel function there). Nothing here
/// touches a file; callers write ``bytes`` (or ``drain()`` them as they go).
public struct PcapWriter {
    /// The file format.
    public enum Format: Sendable {
        /// Classic libpcap (microsecond timestamps); packet comments are dropped.
        case pcap
        /// pcapng: one section, one Ethernet interface (microsecond timestamps), enhanced packet
        /// blocks with an `opt_comment` when given one.
        case pcapng
    }

    /// Largest TCP payload per segment: keeps the IPv4 total length within 65,535.
    public static let maxSegmentPayload = 65_535 - 20 - 20
    /// Snapshot length announced in the headers: larger than any segment we write.
    static let snapLength: UInt32 = 262_144

    public let format: Format
    public private(set) var bytes: [UInt8] = []
    private var clientSeq: UInt32 = 1_000
    private var serverSeq: UInt32 = 5_000
    private var clientPort: UInt16
    private let clientIP: [UInt8] = [127, 0, 0, 1]
    private let serverIP: [UInt8] = [127, 0, 0, 2]

    /// - Parameters:
    ///   - format: pcap (default) or pcapng.
    ///   - clientPort: the client's ephemeral port (a seeded value keeps output fixed).
    public init(format: Format = .pcap, clientPort: UInt16 = 49_152) {
        self.format = format
        self.clientPort = clientPort
        var w = WireWriter()
        switch format {
        case .pcap:
            w.u32(0xa1b2_c3d4)      // magic: microsecond timestamps
            w.u16(2); w.u16(4)      // version 2.4
            w.u32(0); w.u32(0)      // thiszone, sigfigs
            w.u32(Self.snapLength)
            w.u32(1)                // LINKTYPE_ETHERNET
        case .pcapng:
            // Section header block: byte-order magic, version 1.0, section length unknown (-1).
            var shb = WireWriter()
            shb.u32(0x1a2b_3c4d); shb.u16(1); shb.u16(0); shb.u64(UInt64.max)
            Self.block(type: 0x0a0d_0d0a, body: shb.bytes, into: &w)
            // Interface description block: Ethernet, snaplen; default timestamp resolution (µs).
            var idb = WireWriter()
            idb.u16(1); idb.u16(0); idb.u32(Self.snapLength)
            Self.block(type: 0x0000_0001, body: idb.bytes, into: &w)
        }
        bytes = w.bytes
    }

    /// Starts another TCP connection (a reconnect) from `clientPort`, with its handshake.
    public mutating func newConnection(clientPort: UInt16, timestampMicros: UInt64) {
        self.clientPort = clientPort
        clientSeq = 1_000
        serverSeq = 5_000
        handshake(timestampMicros: timestampMicros)
    }

    /// Hands over the bytes written so far (for streaming to a file) and forgets them.
    public mutating func drain() -> [UInt8] {
        defer { bytes.removeAll(keepingCapacity: true) }
        return bytes
    }

    /// Records the TCP three-way handshake; call once before the first message.
    public mutating func handshake(timestampMicros: UInt64) {
        segment(fromClient: true, flags: 0x02, payload: [], at: timestampMicros, comment: nil)            // SYN
        clientSeq &+= 1
        segment(fromClient: false, flags: 0x12, payload: [], at: timestampMicros, comment: nil)           // SYN-ACK
        serverSeq &+= 1
        segment(fromClient: true, flags: 0x10, payload: [], at: timestampMicros, comment: nil)            // ACK
    }

    /// Records one direct-TCP frame (the 4-byte session header included), split into as many
    /// segments as it needs. In pcapng each segment carries `comment` (with `segment k of n`
    /// added when there are several); classic pcap has no place for it.
    public mutating func message(fromClient: Bool, frame: [UInt8], timestampMicros: UInt64, comment: String? = nil) {
        let count = max(1, (frame.count + Self.maxSegmentPayload - 1) / Self.maxSegmentPayload)
        var start = 0
        var index = 1
        repeat {
            let end = min(start + PcapWriter.maxSegmentPayload, frame.count)
            let note = comment.map { count > 1 ? "\($0) (segment \(index) of \(count))" : $0 }
            segment(fromClient: fromClient, flags: 0x18, payload: frame[start..<end], at: timestampMicros, comment: note)
            start = end
            index += 1
        } while start < frame.count
    }

    private mutating func segment(
        fromClient: Bool, flags: UInt8, payload: ArraySlice<UInt8>, at micros: UInt64, comment: String?
    ) {
        let (srcIP, dstIP) = fromClient ? (clientIP, serverIP) : (serverIP, clientIP)
        let (srcPort, dstPort) = fromClient ? (clientPort, UInt16(445)) : (UInt16(445), clientPort)
        let seq = fromClient ? clientSeq : serverSeq
        let ack: UInt32 = flags == 0x02 ? 0 : (fromClient ? serverSeq : clientSeq)

        var tcp = WireWriter(capacity: 20 + payload.count)
        tcp.u16be(srcPort); tcp.u16be(dstPort); tcp.u32be(seq); tcp.u32be(ack)
        tcp.u8(5 << 4); tcp.u8(flags); tcp.u16be(65_535)
        tcp.u16be(0)  // checksum, filled below
        tcp.u16be(0)  // urgent pointer
        tcp.append(payload)
        var pseudo = WireWriter()
        pseudo.append(srcIP + dstIP)
        pseudo.u8(0); pseudo.u8(6); pseudo.u16be(UInt16(tcp.count))
        let tcpSum = PcapWriter.checksum(pseudo.bytes + tcp.bytes)
        tcp.patch16be(at: 16, tcpSum)

        var ip = WireWriter()
        ip.u8(0x45); ip.u8(0); ip.u16be(UInt16(20 + tcp.count))
        ip.u16be(0); ip.u16be(0x4000)       // id, don't fragment
        ip.u8(64); ip.u8(6); ip.u16be(0)  // ttl, TCP, checksum below
        ip.append(srcIP + dstIP)
        let ipSum = PcapWriter.checksum(ip.bytes)
        ip.patch16be(at: 10, ipSum)

        var eth = WireWriter()
        eth.append(fromClient ? [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2] : [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1])
        eth.u16be(0x0800)
        let frame = eth.bytes + ip.bytes + tcp.bytes

        var rec = WireWriter(capacity: 64 + frame.count)
        switch format {
        case .pcap:
            rec.u32(UInt32(truncatingIfNeeded: micros / 1_000_000))
            rec.u32(UInt32(truncatingIfNeeded: micros % 1_000_000))
            rec.u32(UInt32(frame.count)); rec.u32(UInt32(frame.count))
            rec.append(frame)
        case .pcapng:
            var epb = WireWriter(capacity: 40 + frame.count)
            epb.u32(0)                                            // interface 0
            epb.u32(UInt32(truncatingIfNeeded: micros >> 32)); epb.u32(UInt32(truncatingIfNeeded: micros))
            epb.u32(UInt32(frame.count)); epb.u32(UInt32(frame.count))
            epb.append(frame)
            epb.zeros(Self.padding(frame.count))
            if let comment, !comment.isEmpty {
                let text = Array(comment.utf8.prefix(Int(UInt16.max) - 3))
                epb.u16(1); epb.u16(UInt16(text.count))           // opt_comment
                epb.append(text)
                epb.zeros(Self.padding(text.count))
                epb.u16(0); epb.u16(0)                            // opt_endofopt
            }
            Self.block(type: 0x0000_0006, body: epb.bytes, into: &rec)
        }
        bytes += rec.bytes

        if fromClient { clientSeq &+= UInt32(payload.count) } else { serverSeq &+= UInt32(payload.count) }
    }

    /// A pcapng block: type, total length, body (already padded to 4 bytes), total length again.
    private static func block(type: UInt32, body: [UInt8], into w: inout WireWriter) {
        let total = UInt32(12 + body.count)
        w.u32(type); w.u32(total); w.append(body); w.u32(total)
    }

    /// Zero bytes that bring `count` to a multiple of 4.
    private static func padding(_ count: Int) -> Int { (4 - count % 4) % 4 }

    /// The Internet checksum (RFC 1071).
    static func checksum(_ data: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < data.count {
            sum &+= UInt32(data[i]) << 8 | UInt32(data[i + 1])
            i += 2
        }
        if i < data.count { sum &+= UInt32(data[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xffff) &+ (sum >> 16) }
        return ~UInt16(sum)
    }
}
