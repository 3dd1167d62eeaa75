import Foundation

/// What a stepped run exchanged with a real server, logged so that the run can be replayed —
/// going back in the REPL, or later in another process — without the server.
///
/// Bytes that arrived are logged with the scheduling decision before which the run took them in
/// (see ``ExternalInput``); bytes sent are logged in order, so a replay can check that it sends
/// exactly what the recorded run sent. In JSON, byte strings are base64.
public struct NetworkRecording: Codable, Equatable, Sendable {
    /// The server as given, e.g. `127.0.0.1:44450`.
    public var server: String
    /// Every connection the run opened (a reconnect opens another), in order.
    public var connections: [RecordedConnection]

    public init(server: String, connections: [RecordedConnection] = []) {
        self.server = server
        self.connections = connections
    }

    /// The bytes received on every connection, in order.
    public var receivedBytes: Int { connections.reduce(0) { $0 + $1.arrivals.reduce(0) { $0 + $1.bytes.count } } }
    /// The bytes sent on every connection.
    public var sentBytes: Int { connections.reduce(0) { $0 + $1.sent.count } }
}

/// One connection of a ``NetworkRecording``.
public struct RecordedConnection: Codable, Equatable, Sendable {
    /// The address connected to (`127.0.0.1:445`); `nil` when the connection failed.
    public var peer: String?
    /// Why connecting failed (the error the run saw); `nil` when it succeeded.
    public var failure: TransportError?
    /// Every byte the client sent, in order.
    public var sent: [UInt8]
    /// Why a send failed after the bytes in ``sent`` (the peer had gone); `nil` if none did.
    public var sendFailure: TransportError?
    /// What arrived, in order, each with the decision it was taken in before.
    public var arrivals: [Arrival]

    public init(peer: String?, failure: TransportError? = nil, sent: [UInt8] = [], sendFailure: TransportError? = nil,
                arrivals: [Arrival] = []) {
        self.peer = peer
        self.failure = failure
        self.sent = sent
        self.sendFailure = sendFailure
        self.arrivals = arrivals
    }

    /// Whether the stream has ended (the last arrival says how).
    public var ended: Bool { arrivals.last?.end != nil }

    private enum CodingKeys: String, CodingKey { case peer, failure, sent, sendFailure, arrivals }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        peer = try c.decodeIfPresent(String.self, forKey: .peer)
        failure = try c.decodeIfPresent(TransportError.self, forKey: .failure)
        sent = try Base64Bytes.decode(try c.decode(String.self, forKey: .sent), at: c.codingPath + [CodingKeys.sent])
        sendFailure = try c.decodeIfPresent(TransportError.self, forKey: .sendFailure)
        arrivals = try c.decode([Arrival].self, forKey: .arrivals)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(peer, forKey: .peer)
        try c.encodeIfPresent(failure, forKey: .failure)
        try c.encode(Data(sent).base64EncodedString(), forKey: .sent)
        try c.encodeIfPresent(sendFailure, forKey: .sendFailure)
        try c.encode(arrivals, forKey: .arrivals)
    }
}

/// Bytes a connection received, taken into the run before one scheduling decision.
public struct Arrival: Codable, Equatable, Sendable {
    /// The index of the decision the bytes were delivered before.
    public var decision: Int
    /// The bytes (possibly none, when only the end of the stream arrived).
    public var bytes: [UInt8]
    /// Set when the stream ended after these bytes, and how.
    public var end: EndOfStream?

    public init(decision: Int, bytes: [UInt8], end: EndOfStream? = nil) {
        self.decision = decision
        self.bytes = bytes
        self.end = end
    }

    private enum CodingKeys: String, CodingKey { case decision, bytes, end }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        decision = try c.decode(Int.self, forKey: .decision)
        guard decision >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: .decision, in: c, debugDescription: "a decision index is ≥ 0")
        }
        bytes = try Base64Bytes.decode(try c.decode(String.self, forKey: .bytes), at: c.codingPath + [CodingKeys.bytes])
        end = try c.decodeIfPresent(EndOfStream.self, forKey: .end)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(decision, forKey: .decision)
        try c.encode(Data(bytes).base64EncodedString(), forKey: .bytes)
        try c.encodeIfPresent(end, forKey: .end)
    }
}

/// How a received stream ended.
public enum EndOfStream: String, Codable, Equatable, Sendable {
    /// The server closed the connection: a receive returns 0.
    case closed
    /// The connection was reset: a receive throws ``TransportError/connectionReset``.
    case reset
}

/// Byte strings in a recording's JSON.
enum Base64Bytes {
    static func decode(_ text: String, at path: [any CodingKey]) throws -> [UInt8] {
        guard let data = Data(base64Encoded: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "expected base64 bytes"))
        }
        return [UInt8](data)
    }
}
