import KernelRuntime
import SMBWire

/// The in-process SMB1 server (NT LM 0.12) that the client core, smbclient and pysmb talk to.
///
/// It runs on a ``KernelRuntime``: each connection is served by one spawned thread named
/// `smbd` that blocks only in its ``Transport``, so under ``SteppedRuntime`` with a
/// ``PipeTransport`` every step of the server is a step of the run.
///
/// ```swift
/// let runtime = FreeRunRuntime(seed: 1)
/// let server = try SMBServer(configuration: SMBServerConfiguration(
///     users: ["alice": "Wonderland-42"], shares: ["share": .memory(["hello.txt": bytes])],
///     signing: .required), runtime: runtime)
/// // In memory:
/// let (client, serverEnd) = PipeTransport.makePair(runtime: runtime)
/// server.serve(connection: serverEnd)
/// // Over TCP (free-run only):
/// let listener = try TCPListener(host: "127.0.0.1", port: 0)
/// server.start(listener: listener)   // or `try server.serve(listener:)`, which blocks
/// …
/// server.stop()
/// ```
///
/// Connection trouble (malformed requests, bad signatures, peers that vanish) never escapes
/// as an error: the connection is answered with an NT status or closed, and reported through
/// ``SMBServerConfiguration/log``. Connection threads end normally, so they never fail a
/// ``KernelRuntime/runMain(name:_:)``; only ``RuntimeAbort`` propagates.
public final class SMBServer: @unchecked Sendable {
    /// The configuration the server was created with (its ``SMBServerConfiguration/faults``
    /// is the initial plan; see ``faults``).
    public let configuration: SMBServerConfiguration
    /// The runtime connection threads run on.
    public let runtime: any KernelRuntime

    let users: UserDatabase
    /// Shares in name order (never iterated for anything order-sensitive but listing).
    let shares: [Share]
    /// FILETIME of memory-share files and of the NEGOTIATE time base: when the server started.
    let startFileTime: UInt64
    /// The server GUID of extended-security NEGOTIATE responses.
    let serverGUID: [UInt8]

    // Guarded by the runtime lock.
    private var faultPlan: FaultPlan
    private var counters = SMBServerStatistics()
    private var connections: [ConnectionRecord] = []
    private var nextConnectionID = 1
    private var listeners: [TCPListener] = []
    private var isStopped = false
    /// Bumped by ``invalidateAllHandles()``; files opened under an older value are invalid.
    private var handleGeneration: UInt64 = 0

    /// What the server holds in total for all connections (the server-wide limits).
    private var held = HeldResources()
    /// Wakes the watchdog early (when the server stops).
    private let watchdogQueue = WaitQueue("smbd watchdog")
    /// Woken whenever a connection's ``ConnectionActivity`` changes (what tests wait on).
    private let activityQueue = WaitQueue("smbd activity")
    private var watchdogStopped = false

    private struct ConnectionRecord {
        var id: Int
        var transport: any Transport
        var thread: KernelThread?
        var activity: ConnectionActivity
        /// Set when the server closed the connection (a timeout, stop): what its log reports.
        var closeReason: String?
    }

    /// Checks the configuration and prepares the shares. Nothing runs until ``serve(connection:peer:)``
    /// or ``serve(listener:)``.
    /// - Throws: ``SMBServerError`` for an unusable share directory, a bad or duplicate share
    ///   name, or a duplicate user name.
    public init(configuration: SMBServerConfiguration, runtime: any KernelRuntime) throws {
        self.configuration = configuration
        self.runtime = runtime
        self.users = try UserDatabase(configuration.users)
        self.faultPlan = configuration.faults
        self.startFileTime = FileTimeConversion.fileTime(unixNanoseconds: runtime.unixNanoseconds)
        self.serverGUID = runtime.randomBytes(16)
        var shares: [Share] = []
        var seen: Set<String> = ["ipc$"]
        for name in configuration.shares.keys.sorted() {
            guard let source = configuration.shares[name] else { continue }
            guard !name.isEmpty, name.utf16.count <= 80,
                  !name.contains(where: { $0 == "\\" || $0 == "/" || $0 == "\u{0}" }) else {
                throw SMBServerError.invalidShareName(name)
            }
            guard seen.insert(name.lowercased()).inserted else { throw SMBServerError.duplicateShareName(name) }
            shares.append(try Share(name: name, source: source, fileTime: startFileTime))
        }
        self.shares = shares
    }

    // MARK: Serving

    /// Serves one connection on a new runtime thread named `smbd` and returns that thread
    /// (nil if the server was stopped: the transport is then closed). The thread ends when the
    /// peer closes, a fault or a protocol error closes the connection, or ``stop()`` is called.
    ///
    /// At ``SMBServerLimits/maxConnections`` the oldest connection that has not logged on is
    /// closed to make room (its log says it was evicted); when every connection has a session
    /// the new one is refused: it gets an NBSS NEGATIVE SESSION RESPONSE with error 0x83
    /// ("insufficient resources"), is closed, and
    /// ``ServerLogEvent/connectionRefused(peer:reason:)`` is logged. So connections that never
    /// log on cannot keep a client out, and logged-on ones are never cut off for a newcomer.
    @discardableResult
    public func serve(connection transport: any Transport, peer: String = "pipe") -> KernelThread? {
        let now = clockNow()
        enum Admission { case stopped, full(Int), admitted(Int) }
        var evicted: (any Transport)?
        let admission: Admission = runtime.withLock {
            guard !isStopped else { return .stopped }
            let limit = configuration.limits.maxConnections
            let live = connections.indices.filter { connections[$0].closeReason == nil }
            if live.count >= limit {
                // The connection that has waited longest without a session makes room.
                let candidates = live.filter { connections[$0].activity.unauthenticatedSince != nil }
                guard let oldest = candidates.min(by: {
                    (connections[$0].activity.unauthenticatedSince ?? 0, connections[$0].id)
                        < (connections[$1].activity.unauthenticatedSince ?? 0, connections[$1].id)
                }) else {
                    counters.connectionsRefused += 1
                    return .full(live.count)
                }
                connections[oldest].closeReason = "evicted: \(limit) connections served and it had not logged on"
                counters.connectionsEvicted += 1
                evicted = connections[oldest].transport
            }
            let id = nextConnectionID
            nextConnectionID += 1
            connections.append(ConnectionRecord(id: id, transport: transport, thread: nil,
                                                activity: ConnectionActivity(acceptedAt: now)))
            counters.connectionsAccepted += 1
            return .admitted(id)
        }
        evicted?.close()
        let id: Int
        switch admission {
        case .stopped:
            transport.close()
            return nil
        case let .full(count):
            refuse(transport, peer: peer, reason: "\(count) connections logged on (limit \(configuration.limits.maxConnections))")
            return nil
        case let .admitted(admitted):
            id = admitted
        }
        let thread = runtime.spawn(name: "smbd") { [self] in
            let connection = ServerConnection(server: self, id: id, transport: transport, peer: peer)
            defer {
                runtime.withLock {
                    connections.removeAll { $0.id == id }
                    runtime.wakeAll(activityQueue)
                }
                configuration.connectionEnded?()
            }
            try connection.run()
        }
        runtime.withLock {
            if let index = connections.firstIndex(where: { $0.id == id }) { connections[index].thread = thread }
        }
        return thread
    }

    /// Accepts connections until ``stop()`` (or the listener is closed), serving each on its
    /// own `smbd` thread, then waits for those threads to end. Blocks the calling thread in
    /// `accept`: free-run mode only. Errors from `accept` other than the listener closing are
    /// retried after 10 ms.
    public func serve(listener: TCPListener) throws {
        let accepting = runtime.withLock { () -> Bool in
            guard !isStopped else { return false }
            listeners.append(listener)
            return true
        }
        guard accepting else {
            listener.close()
            return
        }
        let watchdog = runtime.spawn(name: "smbd-watchdog") { [self] in try watch() }
        while true {
            let transport: TCPTransport
            do {
                transport = try listener.accept()
            } catch TransportError.closed {
                break
            } catch {
                if runtime.withLock({ isStopped }) { break }
                try runtime.sleep(nanoseconds: 10_000_000)
                continue
            }
            serve(connection: transport, peer: transport.peer)
        }
        runtime.withLock {
            watchdogStopped = true
            runtime.wakeAll(watchdogQueue)
        }
        try? runtime.join(watchdog)
        // Wait for this server's connection threads (stop() closed their transports).
        let threads = runtime.withLock { connections.compactMap(\.thread) }
        for thread in threads { try? runtime.join(thread) }
    }

    /// Answers a connection the server will not serve: NBSS NEGATIVE SESSION RESPONSE (RFC
    /// 1002 4.3.4) with error 0x83, "called name present, but insufficient resources", then
    /// closes it. Five bytes on a fresh connection: the send never blocks.
    private func refuse(_ transport: any Transport, peer: String, reason: String) {
        log(.connectionRefused(peer: peer, reason: reason))
        try? transport.send([0x83, 0x00, 0x00, 0x01, 0x83])
        transport.close()
    }

    /// The watchdog of ``serve(listener:)``: closes connections past a timeout, looking a few
    /// times per shortest timeout, until the server stops.
    private func watch() throws {
        let shortest = configuration.limits.shortestTimeout
        let interval = min(max(shortest / 4, 10_000_000), 1_000_000_000)
        while true {
            expireConnections()
            let stopped = try runtime.withLock {
                try runtime.wait(on: watchdogQueue, timeout: interval) { isStopped || watchdogStopped }
            }
            if stopped { return }
        }
    }

    /// Closes every connection that is past one of its timeouts (see ``SMBServerLimits``) on
    /// the server's clock; returns their ids. Its thread then ends, logging why. The watchdog
    /// of ``serve(listener:)`` calls this; so can tests, with a clock of their own.
    @discardableResult
    public func expireConnections() -> [Int] {
        let now = clockNow()
        let limits = configuration.limits
        let expired = runtime.withLock { () -> [(Int, any Transport)] in
            var expired: [(Int, any Transport)] = []
            for index in connections.indices where connections[index].closeReason == nil {
                guard let why = connections[index].activity.expiry(at: now, limits) else { continue }
                connections[index].closeReason = why
                counters.connectionsTimedOut += 1
                expired.append((connections[index].id, connections[index].transport))
            }
            return expired
        }
        for (_, transport) in expired { transport.close() }
        return expired.map(\.0)
    }

    /// Runs ``serve(listener:)`` on a new runtime thread named `smbd-listener` and returns it.
    @discardableResult
    public func start(listener: TCPListener) -> KernelThread {
        runtime.spawn(name: "smbd-listener") { [self] in try serve(listener: listener) }
    }

    /// Stops accepting, closes every connection (their threads then end) and refuses new ones.
    /// Safe from any thread; repeatable.
    public func stop() {
        let (listeners, transports) = runtime.withLock { () -> ([TCPListener], [any Transport]) in
            isStopped = true
            runtime.wakeAll(watchdogQueue)
            for index in connections.indices where connections[index].closeReason == nil {
                connections[index].closeReason = "server stopped"
            }
            return (self.listeners, connections.map(\.transport))
        }
        for listener in listeners { listener.close() }
        for transport in transports { transport.close() }
    }

    // MARK: Faults and inspection

    /// The fault plan in force now.
    public var faults: FaultPlan { runtime.withLock { faultPlan } }

    /// Changes the fault plan of a running server (counts already reached stay reached).
    public func updateFaults(_ change: (inout FaultPlan) -> Void) {
        runtime.withLock { change(&faultPlan) }
    }

    /// Counts so far.
    public var statistics: SMBServerStatistics { runtime.withLock { counters } }

    /// Invalidates every open file handle on every connection: the next request naming one
    /// gets STATUS_INVALID_HANDLE (what a server restart looks like to a client that kept its
    /// TCP connection).
    public func invalidateAllHandles() {
        runtime.withLock { handleGeneration &+= 1 }
    }

    /// Number of connections being served now.
    public var liveConnectionCount: Int { runtime.withLock { connections.count } }

    /// What all connections hold now (open files, searches, half-finished logins).
    public var heldResources: HeldResources { runtime.withLock { held } }

    // MARK: For connections

    /// Now on the clock the timeouts are measured on.
    func clockNow() -> UInt64 { configuration.clock?() ?? runtime.now }

    /// Records what connection `id` is doing now, for the watchdog.
    func updateActivity(_ id: Int, _ change: (inout ConnectionActivity) -> Void) {
        runtime.withLock {
            guard let index = connections.firstIndex(where: { $0.id == id }) else { return }
            change(&connections[index].activity)
            runtime.wakeAll(activityQueue)
        }
    }

    /// Blocks until `condition` holds for what connection `id` is doing (or it has ended):
    /// how a test knows the server has seen what it sent before it moves the clock.
    func waitForActivity(of id: Int, until condition: @escaping (ConnectionActivity) -> Bool) throws {
        try runtime.withLock {
            try runtime.wait(on: activityQueue) {
                guard let record = connections.first(where: { $0.id == id }) else { return true }
                return condition(record.activity)
            }
        }
    }

    /// Why the server closed connection `id`, if it did.
    func closeReason(_ id: Int) -> String? {
        runtime.withLock { connections.first { $0.id == id }?.closeReason }
    }

    /// Takes one unit of `kind` from the server-wide budget; false when it is spent.
    func reserve(_ kind: HeldResources.Kind) -> Bool {
        runtime.withLock {
            let limits = configuration.limits
            let cap: Int
            switch kind {
            case .openFile: cap = limits.maxOpenFiles
            case .search: cap = limits.maxSearches
            case .pendingLogin: cap = limits.maxPendingLogins
            }
            guard held[kind] < cap else { return false }
            held[kind] += 1
            return true
        }
    }

    /// Gives `count` units of `kind` back.
    func release(_ kind: HeldResources.Kind, count: Int = 1) {
        guard count > 0 else { return }
        runtime.withLock {
            assert(held[kind] >= count, "released more \(kind) than were reserved")
            held[kind] = max(0, held[kind] - count)
        }
    }

    var currentHandleGeneration: UInt64 { runtime.withLock { handleGeneration } }

    /// Counts a request and says whether the plan closes the connection at it.
    func countRequest() -> (number: Int, close: Bool) {
        runtime.withLock {
            counters.requests += 1
            let n = counters.requests
            return (n, faultPlan.closeConnectionAtRequest.remove(n) != nil)
        }
    }

    /// What the plan does to the reply about to be sent.
    struct ReplyFaults {
        var number: Int
        var drop = false
        var corrupt = false
        var delay: UInt64?
    }

    func countReply() -> ReplyFaults {
        runtime.withLock {
            counters.replies += 1
            let n = counters.replies
            var faults = ReplyFaults(number: n)
            faults.drop = faultPlan.dropReply.remove(n) != nil
            faults.corrupt = faultPlan.corruptSignature.remove(n) != nil
            faults.delay = faultPlan.delayReply.removeValue(forKey: n)
            return faults
        }
    }

    /// What the plan does to a READ_ANDX.
    struct ReadFaults {
        var number: Int
        /// Answer with this status instead of data.
        var failWith: NTStatus?
        /// Send at most this many data bytes.
        var shortenTo: Int?
        /// Invalidate the handle once the read is served.
        var invalidateAfter = false
    }

    /// Counts a READ_ANDX and says what the plan does to it.
    func countRead() -> ReadFaults {
        runtime.withLock {
            counters.reads += 1
            let n = counters.reads
            return ReadFaults(
                number: n, failWith: faultPlan.failRead.removeValue(forKey: n),
                shortenTo: faultPlan.shortenRead.removeValue(forKey: n),
                invalidateAfter: faultPlan.invalidateHandleAfterRead.remove(n) != nil)
        }
    }

    /// Counts an authentication and says whether the plan rejects it.
    func countAuthentication() -> (number: Int, reject: Bool) {
        runtime.withLock {
            counters.authentications += 1
            let n = counters.authentications
            return (n, faultPlan.rejectAuthentication.remove(n) != nil)
        }
    }

    func recordLogin(success: Bool) {
        runtime.withLock {
            if success { counters.successfulLogins += 1 } else { counters.failedLogins += 1 }
        }
    }

    func log(_ event: ServerLogEvent) {
        configuration.log?(event)
    }

    func share(named name: String) -> Share? {
        let key = name.lowercased()
        return shares.first { $0.name.lowercased() == key }
    }
}

/// What the server has counted since it started (all server-wide, as ``FaultPlan`` counts).
public struct SMBServerStatistics: Sendable, Equatable {
    public var connectionsAccepted = 0
    /// Connections refused because ``SMBServerLimits/maxConnections`` were being served.
    public var connectionsRefused = 0
    /// Connections closed to make room for a new one (they had not logged on).
    public var connectionsEvicted = 0
    /// Connections closed by a timeout of ``SMBServerLimits``.
    public var connectionsTimedOut = 0
    /// SMB messages received.
    public var requests = 0
    /// Replies produced (including dropped ones).
    public var replies = 0
    /// READ_ANDX requests.
    public var reads = 0
    /// Session setups that carried credentials.
    public var authentications = 0
    public var successfulLogins = 0
    public var failedLogins = 0

    public init() {}
}

/// What all connections of a server hold together, against the server-wide limits.
public struct HeldResources: Sendable, Equatable {
    public enum Kind: Sendable, CustomStringConvertible {
        case openFile, search, pendingLogin

        public var description: String {
            switch self {
            case .openFile: return "open files"
            case .search: return "searches"
            case .pendingLogin: return "pending logins"
            }
        }
    }

    public var openFiles = 0
    public var searches = 0
    public var pendingLogins = 0

    public init() {}

    subscript(kind: Kind) -> Int {
        get {
            switch kind {
            case .openFile: return openFiles
            case .search: return searches
            case .pendingLogin: return pendingLogins
            }
        }
        set {
            switch kind {
            case .openFile: openFiles = newValue
            case .search: searches = newValue
            case .pendingLogin: pendingLogins = newValue
            }
        }
    }
}

/// What one connection is doing, on the server's clock: what its timeouts are measured from.
struct ConnectionActivity: Sendable {
    /// When a frame started arriving and is not complete yet.
    var frameStartedAt: UInt64?
    /// When a reply started to be sent and is not sent yet.
    var sendingSince: UInt64?
    /// When the last whole request arrived (or the connection was accepted).
    var lastRequestAt: UInt64
    /// Since when the connection has had no logged-on session (nil while it has one).
    var unauthenticatedSince: UInt64?

    init(acceptedAt: UInt64) {
        lastRequestAt = acceptedAt
        unauthenticatedSince = acceptedAt
    }

    /// Why the connection must be closed at `now`, or nil if it may stay.
    func expiry(at now: UInt64, _ limits: SMBServerLimits) -> String? {
        func over(_ since: UInt64?, _ limit: UInt64) -> Bool {
            guard let since else { return false }
            return now >= since && now - since >= limit
        }
        let seconds = { (limit: UInt64) in Self.seconds(limit) }
        if over(frameStartedAt, limits.frameTimeout) {
            return "timed out: a frame incomplete for \(seconds(limits.frameTimeout))"
        }
        if over(sendingSince, limits.frameTimeout) {
            return "timed out: a reply not taken for \(seconds(limits.frameTimeout))"
        }
        if let since = unauthenticatedSince {
            if over(since, limits.loginTimeout) { return "timed out: no login within \(seconds(limits.loginTimeout))" }
        } else if over(lastRequestAt, limits.idleTimeout) {
            return "timed out: idle for \(seconds(limits.idleTimeout))"
        }
        return nil
    }

    /// `20 s`, `0.25 s`.
    static func seconds(_ nanoseconds: UInt64) -> String {
        let whole = nanoseconds / SMBServerLimits.nanosecondsPerSecond
        let rest = nanoseconds % SMBServerLimits.nanosecondsPerSecond
        if rest == 0 { return "\(whole) s" }
        var fraction = String(rest + SMBServerLimits.nanosecondsPerSecond).dropFirst()
        while fraction.hasSuffix("0") { fraction = fraction.dropLast() }
        return "\(whole).\(fraction) s"
    }
}
