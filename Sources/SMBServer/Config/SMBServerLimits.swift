/// What one client — or all of them together — may hold on the server, and how long the server
/// waits for them. Every limit bounds memory, descriptors or threads that a client could
/// otherwise take without end; `cifstep serve` exposes each one as an option.
///
/// When a per-connection or server-wide table is full the request that would grow it is
/// refused with an NT status (the connection stays up): opens with
/// STATUS_TOO_MANY_OPENED_FILES, searches, logins, sessions and trees with
/// STATUS_INSUFFICIENT_RESOURCES. A connection past ``maxConnections`` is refused at once;
/// a connection past one of the timeouts is closed.
public struct SMBServerLimits: Sendable, Equatable {
    /// Connections served at once. Each one is a thread with a receive buffer. At the limit a
    /// new connection takes the place of the oldest one that has not logged on; when all have
    /// sessions it is answered with an NBSS NEGATIVE SESSION RESPONSE ("insufficient
    /// resources") and closed, so clients already served keep working.
    public var maxConnections: Int
    /// `listen(2)` backlog: connections the kernel completes before the server accepts them.
    /// Large enough that a burst of 500 connects needs no SYN retry (the kernel caps it at
    /// `net.core.somaxconn`).
    public var listenBacklog: Int32
    /// Open files (FIDs) one connection may hold. smbd allows thousands per client; clients
    /// that copy trees hold a few dozen.
    public var maxOpenFilesPerConnection: Int
    /// Open files across all connections. Opens of the same file share one descriptor, so
    /// descriptors used are at most this many (plus one per connection and the listener).
    public var maxOpenFiles: Int
    /// Directory searches (FIND_FIRST2 SIDs) one connection may keep open.
    public var maxSearchesPerConnection: Int
    /// Open searches across all connections.
    public var maxSearches: Int
    /// NTLMSSP logins between their CHALLENGE and their AUTHENTICATE on one connection (each
    /// keeps its NEGOTIATE and CHALLENGE messages). A client logs in one user at a time.
    public var maxPendingLoginsPerConnection: Int
    /// Half-finished logins across all connections.
    public var maxPendingLogins: Int
    /// Logged-on sessions (UIDs) per connection.
    public var maxSessionsPerConnection: Int
    /// Tree connects (TIDs) per connection.
    public var maxTreesPerConnection: Int
    /// A frame that has started arriving must be complete within this many nanoseconds, and a
    /// reply the peer does not read must be sent within it: a client trickling one byte a
    /// second, or announcing a large frame and then falling silent, is closed after it.
    public var frameTimeout: UInt64
    /// A connection with no logged-on session is closed this many nanoseconds after it was
    /// accepted (or after its last session logged off).
    public var loginTimeout: UInt64
    /// A connection with a session is closed after this many nanoseconds without a request
    /// (the Linux client sends an ECHO every 60 s when idle).
    public var idleTimeout: UInt64

    public static let nanosecondsPerSecond: UInt64 = 1_000_000_000

    public init(
        maxConnections: Int = 256, listenBacklog: Int32 = 1024,
        maxOpenFilesPerConnection: Int = 1024, maxOpenFiles: Int = 8192,
        maxSearchesPerConnection: Int = 64, maxSearches: Int = 2048,
        maxPendingLoginsPerConnection: Int = 4, maxPendingLogins: Int = 256,
        maxSessionsPerConnection: Int = 16, maxTreesPerConnection: Int = 64,
        frameTimeout: UInt64 = 20 * nanosecondsPerSecond, loginTimeout: UInt64 = 30 * nanosecondsPerSecond,
        idleTimeout: UInt64 = 600 * nanosecondsPerSecond
    ) {
        self.maxConnections = maxConnections
        self.listenBacklog = listenBacklog
        self.maxOpenFilesPerConnection = maxOpenFilesPerConnection
        self.maxOpenFiles = maxOpenFiles
        self.maxSearchesPerConnection = maxSearchesPerConnection
        self.maxSearches = maxSearches
        self.maxPendingLoginsPerConnection = maxPendingLoginsPerConnection
        self.maxPendingLogins = maxPendingLogins
        self.maxSessionsPerConnection = maxSessionsPerConnection
        self.maxTreesPerConnection = maxTreesPerConnection
        self.frameTimeout = frameTimeout
        self.loginTimeout = loginTimeout
        self.idleTimeout = idleTimeout
    }

    /// The shortest timeout: how often a watchdog must look to close connections on time
    /// (to within a quarter of it).
    var shortestTimeout: UInt64 { min(frameTimeout, loginTimeout, idleTimeout) }
}
