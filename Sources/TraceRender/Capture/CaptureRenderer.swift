import KernelRuntime
import SMBWire

/// A run's wire as a capture file (`cifstep trace -o FILE.pcapng`, the REPL's `export`): every
/// SMB message of ``WireMessages`` in a direct-TCP session frame, over IPv4/TCP to port 445,
/// one TCP connection per connection of the run (a reconnect opens another, from the next client
/// port), each starting with its handshake.
///
/// Timestamps are the run's clock (one microsecond an event in a stepped run) from a fixed
/// origin, 2013-01-01 00:00:00 UTC (the year of the kernel the client mirrors), so one trace
/// gives one file. In pcapng each packet's comment names its event and kernel function:
/// `event 93 smb_send (reader): SESSION_SETUP_ANDX request mid 2`, and for a reply of the
/// in-process server where cifsd read it (`; read by cifsd at event 127 cifs_demultiplex_thread`).
public enum CaptureRenderer {
    /// 2013-01-01T00:00:00Z in microseconds since 1970.
    public static let originMicros: UInt64 = 1_356_998_400 * 1_000_000
    /// The first connection's client port; each reconnect uses the next one.
    public static let firstClientPort: UInt16 = 49_152

    /// The capture of `document`'s wire in `format`.
    public static func render(_ document: TraceDocument, format: PcapWriter.Format) -> [UInt8] {
        var out: [UInt8] = []
        write(document, format: format) { out += $0 }
        return out
    }

    /// Writes the capture in pieces (one TCP connection's worth at most, cut at about 4 MiB).
    public static func write(_ document: TraceDocument, format: PcapWriter.Format, to sink: ([UInt8]) throws -> Void) rethrows {
        let extraction = WireMessages.extract(document)
        var writer = PcapWriter(format: format, clientPort: firstClientPort)
        var connection = 0
        for message in extraction.messages {
            let micros = originMicros + message.time / 1_000
            if message.connection != connection {
                connection = message.connection
                writer.newConnection(clientPort: firstClientPort &+ UInt16(truncatingIfNeeded: connection - 1),
                                     timestampMicros: micros)
            }
            // Direct TCP's session header: a zero byte and a 24-bit length.
            let length = message.bytes.count
            var frame: [UInt8] = [0, UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8),
                                  UInt8(truncatingIfNeeded: length)]
            frame += message.bytes
            writer.message(fromClient: message.fromClient, frame: frame, timestampMicros: micros,
                           comment: format == .pcapng ? comment(message) : nil)
            if writer.bytes.count >= 4 << 20 { try sink(writer.drain()) }
        }
        try sink(writer.drain())
    }

    /// `event 93 smb_send (reader): SESSION_SETUP_ANDX request mid 2`.
    public static func comment(_ message: WireMessage) -> String {
        var text = "event \(message.event) \(message.function) (\(message.threadName)): \(message.title)"
        if let read = message.receivedAt { text += "; read by cifsd at event \(read.event) \(read.function)" }
        return text
    }
}
