/// One stepped run's view of a ``ServerLink``: the transports its mount connects, fed at the
/// run's scheduling decisions (``ExternalInput``).
///
/// While the run replays decisions, the feed delivers the logged arrivals at the decisions they
/// were logged at and checks that every byte sent equals the logged one. At the decisions past
/// the log it goes live: what the sockets received since is logged at the current decision and
/// delivered; bytes sent beyond the log go to the socket and into the log.
public final class ServerFeed: ExternalInput, @unchecked Sendable {
    private let link: ServerLink
    private weak var runtime: SteppedRuntime?
    // Guarded by the link's lock.
    /// A newer run took over the link: this one touches neither the log nor the sockets.
    var detached = false
    /// Connections this run made, in order (its `connect` calls, failed ones included).
    private var attempts = 0
    private var connections: [FeedConnection] = []

    init(link: ServerLink, runtime: SteppedRuntime) {
        self.link = link
        self.runtime = runtime
    }

    /// Opens the run's next connection: the logged one while the log has it (failing again as
    /// it failed), else a new TCP connection. For the mount's `connect`; call it outside the
    /// runtime lock.
    public func connect() throws -> any Transport {
        guard let runtime, !runtime.isAborted else { throw RuntimeAbort() }
        let logged = try link.lock.locked { () throws -> RecordedConnection? in
            if detached { throw RuntimeAbort() }
            defer { attempts += 1 }
            return attempts < link.log.connections.count ? link.log.connections[attempts] : nil
        }
        let index = link.lock.locked { attempts - 1 }
        if let failure = logged?.failure { throw failure }
        if logged == nil { _ = try link.connectLive(index: index) }
        let connection = FeedConnection(index: index)
        link.lock.locked { connections.append(connection) }
        return LinkTransport(feed: self, connection: connection, runtime: runtime)
    }

    // MARK: ExternalInput (the runtime's mutex held)

    public func deliver(beforeDecision decision: Int, live: Bool) -> [WaitQueue] {
        link.lock.locked {
            guard !detached else { return [] }
            var woken: [WaitQueue] = []
            for connection in connections {
                let logged = link.log.connections[connection.index].arrivals
                var fed = false
                while connection.delivered < logged.count, logged[connection.delivered].decision <= decision {
                    connection.take(logged[connection.delivered])
                    connection.delivered += 1
                    fed = true
                }
                if live, connection.delivered == logged.count, let socket = link.sockets[connection.index],
                   socket.hasNews {
                    let arrival = Arrival(decision: decision, bytes: socket.inbox, end: socket.end)
                    socket.inbox = []
                    if socket.end != nil { socket.endTaken = true }
                    link.log.connections[connection.index].arrivals.append(arrival)
                    connection.take(arrival)
                    connection.delivered += 1
                    fed = true
                }
                if fed { woken.append(connection.readable) }
            }
            return woken
        }
    }

    public func awaitsArrival(live: Bool) -> Bool {
        guard live else { return false }
        return link.lock.locked {
            guard !detached else { return false }
            return connections.contains { connection in
                let logged = link.log.connections[connection.index]
                guard connection.delivered == logged.arrivals.count, !logged.ended, !connection.readable.waiters.isEmpty
                else { return false }
                // A saved recording that ran out says so when waited on (see `waitForArrival`).
                return !link.isLive || link.sockets[connection.index] != nil
            }
        }
    }

    public func waitForArrival(nanoseconds: UInt64, interrupted: () -> Bool) -> ExternalInputWait {
        guard link.isLive else {
            return .ended("the recording of \(link.server) ends here: nothing more came from the server in the recorded run")
        }
        let deadline = monotonicNanoseconds() &+ nanoseconds
        link.lock.lock()
        defer { link.lock.unlock() }
        while true {
            if connections.contains(where: { link.sockets[$0.index]?.hasNews ?? false }) { return .arrived }
            if interrupted() { return .interrupted }
            let now = monotonicNanoseconds()
            if now >= deadline { return .timedOut }
            _ = link.arrived.wait(link.lock, untilMonotonic: min(deadline, now &+ ExternalInputWait.interruptPollInterval))
        }
    }

    // MARK: For the transports

    /// Sends `bytes` on `connection`: the part the log already holds is compared with it, the
    /// rest goes to the socket and into the log. Called by the baton holder, outside the lock.
    func send(_ bytes: [UInt8], on connection: FeedConnection) throws {
        guard let runtime, !runtime.isAborted else { throw RuntimeAbort() }
        let index = connection.index
        // The part of `bytes` the log already holds is checked; the rest is new.
        let (socket, start) = try link.lock.locked { () throws -> (LiveSocket?, Int) in
            if detached { throw RuntimeAbort() }
            let logged = link.log.connections[index]
            let overlap = min(logged.sent.count - connection.sent, bytes.count)
            if overlap > 0 {
                let from = connection.sent
                if let differs = (0..<overlap).first(where: { logged.sent[from + $0] != bytes[$0] }) {
                    throw ServerLinkError.sentDiffers(connection: index, offset: from + differs)
                }
                connection.sent += overlap
            }
            if overlap == bytes.count { return (nil, overlap) }
            if let failure = logged.sendFailure { throw failure }
            guard let socket = link.sockets[index] else { throw ServerLinkError.recordingEnded(connection: index) }
            return (socket, overlap)
        }
        guard let socket else { return }
        // Outside the lock: a send may block while the server's window is full, and the socket
        // reader must still be able to log what the server sends meanwhile.
        let rest = Array(bytes[start...])
        do {
            try socket.transport.send(rest)
        } catch let error as TransportError {
            link.lock.locked { link.log.connections[index].sendFailure = error }
            throw error
        }
        link.lock.locked {
            link.log.connections[index].sent.append(contentsOf: rest)
            connection.sent += rest.count
        }
    }

    /// The client closed `connection`: a live run closes its socket (a replay's close repeats
    /// what the log's run did, and an aborted run's unwinding must not touch the server).
    func closed(_ connection: FeedConnection) {
        guard let runtime, !runtime.isAborted else { return }
        let socket = link.lock.locked { () -> LiveSocket? in
            guard !detached, connection.delivered == link.log.connections[connection.index].arrivals.count,
                  connection.sent == link.log.connections[connection.index].sent.count else { return nil }
            return link.sockets.removeValue(forKey: connection.index)
        }
        socket?.transport.close()
    }
}

/// One connection of a run, as the run has consumed it so far.
final class FeedConnection: @unchecked Sendable {
    let index: Int
    let readable: WaitQueue
    // Guarded by the link's lock.
    /// Logged arrivals taken into `inbound`.
    var delivered = 0
    /// Bytes sent (and checked against, or added to, the log).
    var sent = 0
    // Guarded by the runtime lock (written under the runtime's mutex between steps).
    let inbound: PipeChannel
    var end: EndOfStream?
    var closed = false

    init(index: Int) {
        self.index = index
        self.inbound = PipeChannel(label: "server→client \(index + 1)", capacity: Int.max, kind: "socket")
        self.readable = inbound.readable
    }

    /// Appends an arrival's bytes (and end) to what the run can receive.
    func take(_ arrival: Arrival) {
        inbound.append(arrival.bytes[...])
        if let end = arrival.end { self.end = end }
    }
}
