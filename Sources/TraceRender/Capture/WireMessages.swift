import KernelRuntime
import SMBWire

/// One SMB message that crossed the wire in a run, found in its events.
public struct WireMessage: Equatable, Sendable {
    /// Client to server (a request), or server to client (a reply).
    public var fromClient: Bool
    /// The SMB message from `0xFF 'SMB'`, without the 4-byte session header.
    public var bytes: [UInt8]
    /// The spans the trace recorded for the bytes (empty when it recorded none).
    public var spans: [FieldSpan]
    /// The event that carried the bytes (the sender's `send`, or for a reply taken from the client's
    /// side, cifsd's `receive`).
    public var event: Int
    /// That event's kernel function (`smb_send`, `srv_send_smb`, `standard_receive3`…).
    public var function: String
    /// That event's thread.
    public var threadName: String
    /// That event's clock (nanoseconds since the run started).
    public var time: UInt64
    /// The TCP connection it went over: 1 for the first, one more after each reconnect.
    public var connection: Int
    /// For a reply sent by the in-process server: the cifsd event where the client read it, if it did.
    public var receivedAt: (event: Int, function: String)?

    public static func == (a: WireMessage, b: WireMessage) -> Bool {
        a.fromClient == b.fromClient && a.bytes == b.bytes && a.event == b.event && a.function == b.function
            && a.connection == b.connection && a.receivedAt?.event == b.receivedAt?.event
    }

    /// The SMB command (byte 4 of the header), when the message is long enough to have one.
    public var command: SMBCommand? { bytes.count > 4 ? SMBCommand(bytes[4]) : nil }
    /// The multiplex id (header bytes 30–31), when the message is long enough to have one.
    public var mid: Int? { bytes.count >= SMBHeader.size ? Int(bytes[30]) | Int(bytes[31]) << 8 : nil }

    /// `SESSION_SETUP_ANDX request mid 2`.
    public var title: String {
        (command?.name ?? "SMB") + (fromClient ? " request" : " reply") + (mid.map { " mid \($0)" } ?? "")
    }
}

/// Finds the SMB messages of a run in its events — the bytes a capture of the run's wire shows.
///
/// - Requests: the client's `smb_send` send events (the message as it left, signature included).
/// - Replies: the in-process server's `srv_send_smb` send events (what went into the pipe, after
///   any fault such as a corrupted signature; a dropped reply has none). A run against a real
///   server has no server events: its replies come from the network recording the trace holds
///   (every byte that arrived), or, without one, from what cifsd recorded of each whole reply
///   (`standard_receive3`'s receive, or the READ_ANDX reply `cifs_readv_callback` keeps for the
///   signature check); a reply whose data went into the page cache unrecorded is left out and
///   counted in ``Extraction/repliesNotRecorded``.
/// - Connections: each `cifs_reconnect` exit starts another TCP connection.
///
/// A pure function of the events; the same trace gives the same messages in any process.
public enum WireMessages {
    /// The kernel functions whose events carry the wire bytes.
    public static let clientSend = "smb_send"
    public static let serverSend = "srv_send_smb"
    static let reconnect = "cifs_reconnect"
    static let demultiplex = "cifs_demultiplex_thread"
    static let standardReceive = "standard_receive3"
    static let readvCallback = "cifs_readv_callback"
    static let readvReceive = "cifs_readv_receive"

    /// What ``extract(_:)`` found.
    public struct Extraction: Sendable {
        /// The messages in the order they crossed (the sequence of their events).
        public var messages: [WireMessage]
        /// Replies the client read whose bytes the trace does not hold (only without the
        /// in-process server and without a recording).
        public var repliesNotRecorded: Int
    }

    /// The wire messages of `document`'s run.
    public static func extract(_ document: TraceDocument) -> Extraction {
        let events = document.events
        var connectionAt: [Int] = []          // per event index: its connection number
        connectionAt.reserveCapacity(events.count)
        var connection = 1
        for event in events {
            if event.function == reconnect, event.phase == .exit { connection += 1 }
            connectionAt.append(connection)
        }
        var messages: [WireMessage] = []
        var fromServer = false
        for (index, event) in events.enumerated() where event.phase == .send {
            let isClient = event.function == clientSend
            guard isClient || event.function == serverSend,
                  let buffer = event.buffers.last(where: { $0.bytes.starts(with: SMBHeader.protocolID) }) else { continue }
            if !isClient { fromServer = true }
            messages.append(WireMessage(
                fromClient: isClient, bytes: buffer.bytes, spans: buffer.spans, event: event.sequence,
                function: event.function, threadName: event.threadName, time: event.time,
                connection: connectionAt[index]))
        }
        var missing = 0
        if fromServer {
            linkReceipts(&messages, events: events)
        } else if let recording = document.recording {
            messages += replies(from: recording, events: events, connectionAt: connectionAt)
        } else {
            let (found, notRecorded) = repliesAsReceived(events, connectionAt: connectionAt)
            messages += found
            missing = notRecorded
        }
        messages.sort { $0.event < $1.event }
        return Extraction(messages: messages, repliesNotRecorded: missing)
    }

    /// cifsd's session-header receives, in order, with each one's connection.
    private static func frameReceipts(_ events: [TraceEvent]) -> [(index: Int, event: TraceEvent)] {
        events.enumerated().compactMap { index, event in
            event.function == demultiplex && event.phase == .receive ? (index, event) : nil
        }
    }

    /// Pairs each reply the server sent with the cifsd receive that read it: the k-th reply of a
    /// connection is the k-th frame cifsd read on it (a pipe keeps order).
    private static func linkReceipts(_ messages: inout [WireMessage], events: [TraceEvent]) {
        var receipts: [Int: [TraceEvent]] = [:]   // connection → cifsd's session-header events
        var connection = 1
        for event in events {
            if event.function == reconnect, event.phase == .exit { connection += 1 }
            if event.function == demultiplex, event.phase == .receive { receipts[connection, default: []].append(event) }
        }
        var taken: [Int: Int] = [:]
        for i in messages.indices where !messages[i].fromClient {
            let c = messages[i].connection
            let k = taken[c, default: 0]
            taken[c] = k + 1
            if let list = receipts[c], k < list.count, list[k].sequence > messages[i].event {
                messages[i].receivedAt = (list[k].sequence, list[k].function)
            }
        }
    }

    /// Replies cut out of a real server's recorded byte stream, one per session frame, each
    /// placed at the cifsd event that read its header (the k-th frame of a connection at the k-th
    /// such event); frames the client never read sit after the connection's last event.
    private static func replies(
        from recording: NetworkRecording, events: [TraceEvent], connectionAt: [Int]
    ) -> [WireMessage] {
        var receipts: [Int: [TraceEvent]] = [:]
        for (index, event) in frameReceipts(events) { receipts[connectionAt[index], default: []].append(event) }
        var out: [WireMessage] = []
        let connected = recording.connections.filter { $0.peer != nil }
        for (n, recorded) in connected.enumerated() {
            let connection = n + 1
            var stream: [UInt8] = []
            for arrival in recorded.arrivals { stream += arrival.bytes }
            var offset = 0
            var k = 0
            let lastEvent = events.last
            while stream.count - offset >= 4 {
                let length = Int(stream[offset + 1]) << 16 | Int(stream[offset + 2]) << 8 | Int(stream[offset + 3])
                guard stream.count - offset - 4 >= length else { break }
                let message = Array(stream[(offset + 4)..<(offset + 4 + length)])
                offset += 4 + length
                let receipt = receipts[connection].flatMap { k < $0.count ? $0[k] : nil }
                k += 1
                guard message.starts(with: SMBHeader.protocolID) else { continue }   // a keep-alive
                let at = receipt ?? lastEvent
                out.append(WireMessage(
                    fromClient: false, bytes: message, spans: SMBMessage.annotate(message).spans,
                    event: at?.sequence ?? 0, function: at?.function ?? demultiplex,
                    threadName: at?.threadName ?? "cifsd", time: at?.time ?? 0, connection: connection))
            }
        }
        return out
    }

    /// Whole replies as cifsd recorded them (no server events, no recording).
    private static func repliesAsReceived(_ events: [TraceEvent], connectionAt: [Int]) -> ([WireMessage], Int) {
        var out: [WireMessage] = []
        var missing = 0
        var pendingRead: [Int: Int] = [:]    // mid → length of a READ_ANDX reply read into pages
        for (index, event) in events.enumerated() {
            let smb = event.buffers.last { $0.bytes.starts(with: SMBHeader.protocolID) }
            switch (event.function, event.phase) {
            case (standardReceive, .receive):
                guard let smb else { continue }
                out.append(message(smb, event, connectionAt[index]))
            case (readvReceive, .receive):
                if let mid = event.mid { pendingRead[mid] = 1 }
            case (readvCallback, .note):
                guard let smb, let mid = event.mid, pendingRead.removeValue(forKey: mid) != nil else { continue }
                out.append(message(smb, event, connectionAt[index]))
            default:
                continue
            }
        }
        missing = pendingRead.count
        return (out, missing)
    }

    private static func message(_ buffer: TraceBuffer, _ event: TraceEvent, _ connection: Int) -> WireMessage {
        WireMessage(fromClient: false, bytes: buffer.bytes, spans: buffer.spans, event: event.sequence,
                    function: event.function, threadName: event.threadName, time: event.time, connection: connection)
    }
}
