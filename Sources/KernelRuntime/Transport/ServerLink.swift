import Foundation

/// The client core's connections to a real server, for a stepped run: live over TCP, logged
/// into a ``NetworkRecording``, and replayable from that log.
///
/// One link serves every run of a stepper session — the first, and each replay that going back
/// makes. Each run gets its own ``ServerFeed`` (``makeFeed(for:)``), which hands the mount its
/// transports and feeds them at the run's scheduling decisions. A run that replays the log
/// delivers the logged bytes and checks every byte it sends against the log; past the end of the
/// log it carries on with the live sockets (still open: a plain OS thread per socket keeps
/// reading into an inbox while the user is stepping). A link made from a saved recording
/// (``init(replaying:)``) has no sockets: past the end of its log the run stops and says so.
///
/// A run that changes anything before the end of the log (another thread choice, a setting)
/// would send other bytes than the server saw: it needs a new link, that is a new connection.
public final class ServerLink: @unchecked Sendable {
    /// How long connecting may take. A connect runs on the simulated thread holding the baton,
    /// so it must end well inside the runtime's hand-off watchdog (10 s by default).
    public static let connectTimeout: Duration = .seconds(5)
    /// The most one socket read takes from the kernel at a time (the inbox grows in such steps).
    static let receiveChunk = 256 * 1024

    /// The server as given, `HOST:PORT`.
    public let server: String
    private let host: String?
    private let port: UInt16

    // Guarded by `lock`. Lock order: the stepped runtime's mutex, then this lock — never the
    // reverse (a feed's `deliver` is called with the runtime's mutex held).
    let lock = PThreadMutex()
    /// Signalled by a socket reader when bytes or the end of a stream arrive.
    let arrived = PThreadCondition()
    var log: NetworkRecording
    /// Open sockets by connection index (into `log.connections`).
    var sockets: [Int: LiveSocket] = [:]
    /// The first connection, made by ``open()`` before any run.
    private var opened: TCPTransport?
    /// The newest run's feed; older feeds are detached and touch nothing.
    private weak var newest: ServerFeed?

    /// A live link to `host:port`; nothing is connected until ``open()`` or the first run's mount.
    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
        self.server = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        self.log = NetworkRecording(server: server)
    }

    /// A link that only replays `recording` (a saved run): no network at all.
    public init(replaying recording: NetworkRecording) {
        self.host = nil
        self.port = 0
        self.server = recording.server
        self.log = recording
    }

    deinit {
        close()
    }

    /// Whether the link can reach the server (it was not made from a saved recording).
    public var isLive: Bool { host != nil }

    /// Connects the first connection now, so that a server that cannot be reached is reported
    /// before any stepping. Does nothing for a replaying link or once connected.
    /// - Throws: the ``TransportError`` of the failed connect.
    public func open() throws {
        guard let host else { return }
        let already = lock.locked { opened != nil || !log.connections.isEmpty }
        guard !already else { return }
        let transport = try TCPTransport.connect(host: host, port: port, timeout: Self.connectTimeout)
        lock.locked { opened = transport }
    }

    /// What has been exchanged so far.
    public var recording: NetworkRecording { lock.locked { log } }

    /// The feed for a new run on `runtime`, attached to it. Earlier runs' feeds stop touching the
    /// network (their runtimes are aborted by then).
    public func makeFeed(for runtime: SteppedRuntime) -> ServerFeed {
        let feed = ServerFeed(link: self, runtime: runtime)
        lock.locked {
            newest?.detached = true
            newest = feed
        }
        runtime.attach(feed)
        return feed
    }

    /// Closes every socket. Runs made earlier can still replay what was logged.
    public func close() {
        let open = lock.locked { () -> [TCPTransport] in
            let all = sockets.values.map(\.transport) + (opened.map { [$0] } ?? [])
            sockets.removeAll()
            opened = nil
            return all
        }
        for transport in open { transport.close() }
    }

    // MARK: For the feeds (lock held unless said)

    /// Opens connection `index` (the log has `index` connections): the one ``open()`` made, or a
    /// new one. Called without the lock. A failure is logged and thrown.
    func connectLive(index: Int) throws -> LiveSocket {
        guard let host else { throw ServerLinkError.recordingEnded(connection: index) }
        var transport = lock.locked { () -> TCPTransport? in
            defer { opened = nil }
            return index == 0 ? opened : nil
        }
        if transport == nil {
            do {
                transport = try TCPTransport.connect(host: host, port: port, timeout: Self.connectTimeout)
            } catch let error as TransportError {
                lock.locked { log.connections.append(RecordedConnection(peer: nil, failure: error)) }
                throw error
            }
        }
        guard let transport else { throw ServerLinkError.recordingEnded(connection: index) }
        let socket = LiveSocket(transport: transport)
        lock.locked {
            log.connections.append(RecordedConnection(peer: transport.peer))
            sockets[index] = socket
        }
        socket.startReading(for: self)
        return socket
    }
}

/// One open TCP connection of a ``ServerLink`` and what has arrived on it but not yet been
/// taken into a run.
final class LiveSocket: @unchecked Sendable {
    let transport: TCPTransport
    // Guarded by the link's lock.
    var inbox: [UInt8] = []
    /// How the stream ended, once it has; taken into the log with the last bytes.
    var end: EndOfStream?
    /// The end has been logged: nothing more comes.
    var endTaken = false

    init(transport: TCPTransport) {
        self.transport = transport
    }

    /// Whether bytes or the end wait to be taken in (lock held).
    var hasNews: Bool { !inbox.isEmpty || (end != nil && !endTaken) }

    /// Starts the OS thread that reads the socket into the inbox until the stream ends or the
    /// link closes the socket. It never touches a runtime: a blocking read cannot stall a step.
    /// The thread keeps `link` alive until then (``ServerLink/close()`` ends it).
    func startReading(for link: ServerLink) {
        let thread = Thread { [transport, link, self] in
            while true {
                let bytes: [UInt8]
                do {
                    bytes = try transport.receive(maxBytes: ServerLink.receiveChunk)
                } catch TransportError.closed {
                    return  // the client closed it: nothing more to log
                } catch {
                    link.lock.locked { end = .reset }
                    link.arrived.broadcast()
                    return
                }
                link.lock.locked {
                    if bytes.isEmpty { end = .closed } else { inbox.append(contentsOf: bytes) }
                }
                link.arrived.broadcast()
                if bytes.isEmpty { return }
            }
        }
        thread.name = "cifstep socket \(transport.peer)"
        thread.start()
    }
}

/// Why a run could not use a ``ServerLink``.
public enum ServerLinkError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A replay sent other bytes than the recorded run at this point: it is not the same run.
    case sentDiffers(connection: Int, offset: Int)
    /// The run went past the end of a saved recording: there is no server to go on with.
    case recordingEnded(connection: Int)

    public var description: String {
        switch self {
        case let .sentDiffers(connection, offset):
            return "the replay sent other bytes than the recorded run (connection \(connection + 1), byte \(offset)): "
                + "it is not the same run"
        case let .recordingEnded(connection):
            return "the recording ends here (connection \(connection + 1)): no server to go on with"
        }
    }
}
