import KernelRuntime
import SMBWire

/// The state of the TCP connection. Mirrors the kernel's `enum statusEnum` as used in
/// `server->tcpStatus` (`CifsNew`, `CifsGood`, `CifsExiting`, `CifsNeedReconnect`,
/// `CifsNeedNegotiate`).
public enum TCPStatus: String, Sendable, Equatable, CustomStringConvertible {
    case new, good, exiting, needReconnect, needNegotiate
    public var description: String { rawValue }
}

/// One connection to a server. Mirrors the kernel's `struct TCP_Server_Info`.
///
/// All mutable fields are shared between the reader thread and the cifsd thread and are read
/// and written under the runtime lock (``KernelRuntime/withLock(_:)``); signing state is also
/// only changed while ``srvMutex`` is held, so requests are signed and sent in one order.
public final class ServerInfo: @unchecked Sendable {
    /// The runtime every thread, wait and random value of this connection goes through.
    public let runtime: any KernelRuntime
    /// Host name for the UNC and messages.
    public let hostname: String
    /// Opens a fresh transport to the same server (first connect and every reconnect); the
    /// kernel's `generic_ip_connect`.
    let connectTransport: @Sendable () throws -> any Transport

    // MARK: Connection (runtime lock)

    /// The socket; `nil` while reconnecting.
    var transport: (any Transport)?
    public internal(set) var tcpStatus: TCPStatus = .new
    /// The cifsd thread, once spawned.
    public internal(set) var cifsd: KernelThread?
    /// Requests waiting for replies, oldest first (the kernel's `pending_mid_q`).
    public internal(set) var pendingMids: [Mid] = []
    /// Every mid allocated and not yet freed, in allocation order: `allocate_mid` adds one,
    /// `DeleteMidQEntry` removes it. The kernel keeps no such list — a `mid_q_entry` simply lives
    /// from its allocation to `DeleteMidQEntry` — but the state view needs one to show a mid
    /// that `dequeue_mid` has already taken off ``pendingMids`` (`mid[N].state` reads
    /// `responseReceived` until the mid is deleted).
    public internal(set) var allocatedMids: [Mid] = []
    /// ``pendingMids`` as one value, so a state diff can record the queue (`server.pendingMids`)
    /// with its old value read from here and its new one written through here.
    var pendingMidQueue: MidQueue {
        get { MidQueue(pendingMids) }
        set { pendingMids = newValue.mids }
    }
    /// The last MID handed out (the kernel's `CurrentMid`).
    public internal(set) var currentMid: UInt16 = 0
    /// Sessions on this connection (the kernel's `smb_ses_list`).
    public internal(set) var sessions: [Session] = []
    /// The process id requests carry (the kernel puts `current->tgid` in PIDLow/PIDHigh);
    /// drawn from the runtime's generator when the mount is made.
    public internal(set) var processID: UInt32 = 0

    // MARK: Negotiated (runtime lock)

    /// Index of the dialect the server chose.
    public internal(set) var dialect: UInt16 = 0
    /// The server's SecurityMode, with the signing bits adjusted by the client's policy
    /// (the kernel's `server->sec_mode` after `CIFSSMBNegotiate`).
    public internal(set) var secMode: SMBSecurityMode = []
    /// The server's capabilities.
    public internal(set) var capabilities: SMBCapabilities = []
    /// The server's MaxBufferSize.
    public internal(set) var maxBuf: UInt32 = 0
    /// The server's MaxRawSize.
    public internal(set) var maxRW: UInt32 = 0
    /// The server's SessionKey field from NEGOTIATE (echoed by some clients; the kernel sends 0).
    public internal(set) var negotiateSessionKey: UInt32 = 0
    /// The 8-byte challenge of an old-style NEGOTIATE reply (the kernel's `server->cryptkey`).
    public internal(set) var cryptKey: [UInt8] = []
    /// The server negotiated extended security (a GUID and a security blob instead of a challenge).
    public internal(set) var extendedSecurity = false
    /// Where ``cryptKey`` and the MAC key were recorded in the trace (only while tracing).
    var keyTrace = KeyTrace()
    /// The server's GUID (extended security only).
    public internal(set) var serverGUID: [UInt8] = []
    /// Server time zone in seconds (the kernel's `timeAdj`).
    public internal(set) var timeAdjust = 0

    // MARK: Credits (runtime lock)

    /// Requests the server lets us have in flight: min(MaxMpxCount, 50) (the kernel's `maxReq`,
    /// `cifs_max_pending` = 50).
    public internal(set) var maxReq = 1
    /// Requests that may still be sent now (the kernel's `credits`; 1 until NEGOTIATE).
    public internal(set) var credits = 1
    /// Requests sent and not yet answered (the kernel's `in_flight`).
    public internal(set) var inFlight = 0
    /// The most requests that were ever in flight at once.
    public internal(set) var maxInFlight = 0

    // MARK: Signing (srv_mutex + runtime lock)

    /// The next sequence number to sign with (the kernel's `sequence_number`).
    public internal(set) var sequenceNumber: UInt32 = 0
    /// The MAC key (the kernel's `session_key.response`).
    public internal(set) var sessionKey: [UInt8] = []
    /// The first session was set up and seeded the signing state (the kernel's `session_estab`).
    public internal(set) var sessionEstablished = false
    /// Replies whose signature verified.
    public internal(set) var signaturesVerified = 0
    /// Replies whose signature did not verify (-EACCES, logged and the data used anyway).
    public internal(set) var signatureFailures = 0

    // MARK: Statistics (runtime lock)

    /// Successful reconnects (the kernel's `tcpSesReconnectCount`).
    public internal(set) var reconnectCount = 0
    /// Frames that matched no pending mid and were dropped.
    public internal(set) var unknownFrames = 0
    /// Frames refused by `checkSMB` or the framing checks.
    public internal(set) var malformedFrames = 0
    /// Requests sent.
    public internal(set) var requestsSent = 0
    /// Why the connection was given up, once reconnecting failed.
    public internal(set) var lastConnectError: String?

    // MARK: Limits

    /// How many times cifsd tries to reconnect before giving up (the kernel loops forever).
    let reconnectAttempts: Int
    /// Simulated pause between reconnect attempts (the kernel's `msleep(3000)`).
    let reconnectDelay: UInt64
    /// The longest reply frame `standard_receive3` accepts.
    var maxFrameLength: Int

    // MARK: Locks and queues

    /// Held while signing and sending, so requests leave in sequence-number order (the kernel's
    /// `srv_mutex`).
    public let srvMutex = KernelMutex("srv_mutex")
    /// Woken when ``tcpStatus`` changes (the kernel's `response_q`).
    let responseQueue = WaitQueue("server response_q")
    /// Woken when a credit is returned (the kernel's `request_q`).
    let requestQueue = WaitQueue("server request_q")

    /// ``MountOptions/responseTimeout``.
    let responseTimeout: UInt64?

    init(runtime: any KernelRuntime, hostname: String, reconnectAttempts: Int, reconnectDelay: UInt64,
         maxFrameLength: Int, responseTimeout: UInt64? = nil,
         connect: @escaping @Sendable () throws -> any Transport) {
        self.runtime = runtime
        self.responseTimeout = responseTimeout
        self.hostname = hostname
        self.reconnectAttempts = reconnectAttempts
        self.reconnectDelay = reconnectDelay
        self.maxFrameLength = maxFrameLength
        self.connectTransport = connect
    }

    /// Signing is on for this connection: the adjusted SecurityMode keeps a signing bit (the
    /// kernel tests `sec_mode & (SECMODE_SIGN_REQUIRED | SECMODE_SIGN_ENABLED)`).
    public var signingEnabled: Bool {
        runtime.withLock { !secMode.isDisjoint(with: [.signaturesEnabled, .signaturesRequired]) }
    }

    /// Waits on `queue` until `condition` holds — at most ``responseTimeout`` when the mount set
    /// one; then the connection is given up (``giveUpUnderRuntimeLock()``) and the wait throws
    /// ``CIFSError/timedOut(awaited:seconds:)`` naming `awaited`. Runtime lock held.
    func waitForServer(on queue: WaitQueue, awaiting awaited: @autoclosure () -> String,
                       until condition: () -> Bool) throws {
        guard let timeout = responseTimeout else {
            try runtime.wait(on: queue, until: condition)
            return
        }
        if try runtime.wait(on: queue, timeout: timeout, until: condition) { return }
        giveUpUnderRuntimeLock()
        throw CIFSError.timedOut(awaited: awaited(), seconds: Double(timeout) / 1e9)
    }

    /// Gives up on a server that stopped answering: no more requests (``TCPStatus/exiting``),
    /// every sender woken, the socket shut so that cifsd's receive returns and cifsd fails what
    /// is pending (unlocking its pages). Unmounting then tears down without waiting on the
    /// server again. Runtime lock held.
    func giveUpUnderRuntimeLock() {
        assert(runtime.holdsLock, "giveUpUnderRuntimeLock without the runtime lock")
        tcpStatus = .exiting
        runtime.wakeAll(responseQueue)
        runtime.wakeAll(requestQueue)
        transport?.close()
    }

    /// ``signingEnabled`` for callers already holding the runtime lock.
    var signingEnabledUnderRuntimeLock: Bool {
        assert(runtime.holdsLock, "signingEnabledUnderRuntimeLock without the runtime lock")
        return !secMode.isDisjoint(with: [.signaturesEnabled, .signaturesRequired])
    }
}
