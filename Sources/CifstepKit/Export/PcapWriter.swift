import SMBWire

/// Writes a classic pcap file of one SMB conversation as a real capture on port 445 would
/// look: Ethernet, IPv4 and TCP headers are synthesised around the bytes that crossed the
/// wire, with consistent sequence and acknowledgement numbers, so Wireshark and tshark
/// decode it as SMB with no options.
///
/// Nothing here touches a file; callers write ``bytes``.
public struct PcapWriter {
    /// Largest TCP payload per segment: keeps the IPv4 total length within 65,535.
    public static let maxSegmentPayload = 65_535 - 20 - 20

    public private(set) var bytes: [UInt8] = []
    private var clientSeq: UInt32 = 1_000
    private var serverSeq: UInt32 = 5_000
    private var clientPort: UInt16
    private let clientIP: [UInt8] = [127, 0, 0, 1]
    private let serverIP: [UInt8] = [127, 0, 0, 2]

    /// - Parameter clientPort: the client's ephemeral port (a seeded value keeps output fixed).
    public init(clientPort: UInt16 = 49_152) {
        self.clientPort = clientPort
        var w = WireWriter()
        w.u32(0xa1b2_c3d4)      // magic: microsecond timestamps
        w.u16(2); w.u16(4)      // version 2.4
        w.u32(0); w.u32(0)      // thiszone, sigfigs
        w.u32(262_144)          // snaplen
        w.u32(1)                // LINKTYPE_ETHERNET
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
        segment(fromClient: true, flags: 0x02, payload: [], at: timestampMicros)            // SYN
        clientSeq &+= 1
        segment(fromClient: false, flags: 0x12, payload: [], at: timestampMicros)           // SYN-ACK
        serverSeq &+= 1
        segment(fromClient: true, flags: 0x10, payload: [], at: timestampMicros)            // ACK
    }

    /// Records one direct-TCP frame (the 4-byte session header included), split into as many
    /// segments as it needs.
    public mutating func message(fromClient: Bool, frame: [UInt8], timestampMicros: UInt64) {
        var start = 0
        repeat {
            let end = min(start + PcapWriter.maxSegmentPayload, frame.count)
            segment(fromClient: fromClient, flags: 0x18, payload: frame[start..<end], at: timestampMicros)
            start = end
        } while start < frame.count
    }

    private mutating func segment(fromClient: Bool, flags: UInt8, payload: ArraySlice<UInt8>, at micros: UInt64) {
        let (srcIP, dstIP) = fromClient ? (clientIP, serverIP) : (serverIP, clientIP)
        let (srcPort, dstPort) = fromClient ? (clientPort, UInt16(445)) : (UInt16(445), clientPort)
        let seq = fromClient ? clientSeq : serverSeq
        let ack: UInt32 = flags == 0x02 ? 0 : (fromClient ? serverSeq : clientSeq)

        var tcp = WireWriter()
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

        var rec = WireWriter()
        rec.u32(UInt32(truncatingIfNeeded: micros / 1_000_000))
        rec.u32(UInt32(truncatingIfNeeded: micros % 1_000_000))
        rec.u32(UInt32(frame.count)); rec.u32(UInt32(frame.count))
        bytes += rec.bytes + frame

        if fromClient { clientSeq &+= UInt32(payload.count) } else { serverSeq &+= UInt32(payload.count) }
    }

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
