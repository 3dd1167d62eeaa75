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

    private struct ConnectionRecord {
        var id: Int
        var transport: any Transport
        var thread: KernelThread?
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
    @discardableResult
    public func serve(connection transport: any Transport, peer: String = "pipe") -> KernelThread? {
        let id: Int? = runtime.withLock {
            guard !isStopped else { return nil }
            let id = nextConnectionID
            nextConnectionID += 1
            connections.append(ConnectionRecord(id: id, transport: transport, thread: nil))
            counters.connectionsAccepted += 1
            return id
        }
        guard let id else {
            transport.close()
            return nil
        }
        let thread = runtime.spawn(name: "smbd") { [self] in
            let connection = ServerConnection(server: self, id: id, transport: transport, peer: peer)
            defer { runtime.withLock { connections.removeAll { $0.id == id } } }
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
        // Wait for this server's connection threads (stop() closed their transports).
        let threads = runtime.withLock { connections.compactMap(\.thread) }
        for thread in threads { try? runtime.join(thread) }
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

    // MARK: For connections

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
