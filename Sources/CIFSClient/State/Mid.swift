import KernelRuntime
import SMBWire

/// Where a request stands. Mirrors the kernel's `MID_*` states.
public enum MidState: String, Sendable, Equatable, CustomStringConvertible {
    /// Allocated, not yet sent (`MID_REQUEST_ALLOCATED`).
    case allocated
    /// Sent, waiting for its reply (`MID_REQUEST_SUBMITTED`).
    case submitted
    /// The reply arrived and parsed (`MID_RESPONSE_RECEIVED`).
    case responseReceived
    /// The connection was lost while it was in flight (`MID_RETRY_NEEDED`).
    case retryNeeded
    /// The reply arrived but failed `checkSMB` (`MID_RESPONSE_MALFORMED`).
    case responseMalformed
    /// The mount was torn down while it was in flight (`MID_SHUTDOWN`).
    case shutdown

    public var description: String { rawValue }
}

/// Reads a reply frame off the socket into the mid: the kernel's `mid->receive`
/// (`standard_receive3` by default, `cifs_readv_receive` for async reads). It runs on the
/// cifsd thread with the frame's first 32 bytes already read and must consume the rest of the
/// frame (cifsd discards whatever it leaves). Throwing a transport error makes cifsd reconnect.
public typealias MidReceive = @Sendable (_ server: ServerInfo, _ mid: Mid, _ frame: ReceivedFrame) throws -> Void

/// Runs on the cifsd thread after `receive`, and on reconnect or shutdown with the mid in
/// `retryNeeded` / `shutdown`: the kernel's `mid->callback` (`cifs_wake_up_task` by default,
/// `cifs_readv_callback` for async reads).
public typealias MidCallback = @Sendable (_ mid: Mid) throws -> Void

/// One request in flight. Mirrors the kernel's `struct mid_q_entry`.
///
/// Fields marked "runtime lock" are read and written under ``KernelRuntime/withLock(_:)``.
public final class Mid: @unchecked Sendable, CustomStringConvertible {
    /// The MID in the request's header, which the reply echoes.
    public let mid: UInt16
    /// The request's command; a reply must carry the same one to match.
    public let command: SMBCommand
    /// Runtime lock.
    public internal(set) var state: MidState = .allocated
    /// The reply (the SMB message, from `0xFF 'SMB'`, without the 4-byte NBSS header) once
    /// received. Runtime lock.
    public var response: [UInt8]?
    /// The traced buffer of the reply as cifsd received it (only while tracing), which the
    /// signature check and the parsers name as the origin of what they read. Runtime lock.
    var replyTrace: TraceBuffer?
    /// Why `checkSMB` refused the reply, when ``state`` is `responseMalformed`.
    public internal(set) var malformedReason: String?
    /// The sequence number the request was signed with; its reply is verified with this + 1.
    public internal(set) var sequenceNumber: UInt32 = 0
    /// The MAC key the request was signed with (empty if it was not signed). The reply is
    /// verified with this key even if a reconnect has cleared the connection's key meanwhile —
    /// 3.8 read `session_estab` at check time and so skipped replies that raced a reconnect.
    var signingKey: [UInt8] = []
    /// Reads the reply off the socket; `nil` means `standard_receive3`.
    public var receive: MidReceive?
    /// Called when the mid completes; defaults to waking the thread blocked in
    /// `wait_for_response`.
    public var callback: MidCallback
    /// Anything an async caller hangs on the mid (the kernel's `callback_data`).
    public var callbackData: AnyObject?
    /// The thread that waits for this mid blocks here.
    public let queue: WaitQueue
    /// For a TRANS2 request, what it asked for, so the reply can be annotated at its level.
    var trans2Request: Trans2RequestInfo?
    /// The runtime clock when the request was sent (the kernel's `when_sent`).
    public internal(set) var whenSent: UInt64 = 0

    init(mid: UInt16, command: SMBCommand, runtime: any KernelRuntime) {
        self.mid = mid
        self.command = command
        let queue = WaitQueue("mid \(mid)")
        self.queue = queue
        // cifs_wake_up_task: the synchronous caller sleeps on the mid's own queue.
        self.callback = { _ in runtime.wakeAll(queue) }
    }

    public var description: String { "mid \(mid) \(command.name) \(state)" }
}

/// The MIDs on `pending_mid_q` as one value, oldest first, for state diffs and the state view:
/// `3,4`, or `-` when the queue is empty. Two queues are equal when they hold the same mids
/// (the same objects) in the same order.
public struct MidQueue: Equatable, Sendable, CustomStringConvertible {
    /// The queued mids, oldest first.
    public var mids: [Mid]

    public init(_ mids: [Mid]) {
        self.mids = mids
    }

    public static func == (lhs: MidQueue, rhs: MidQueue) -> Bool {
        lhs.mids.count == rhs.mids.count && zip(lhs.mids, rhs.mids).allSatisfy { $0 === $1 }
    }

    /// What an empty queue reads as (the same marker as a flag set with no flag).
    public static let emptyMarker = "-"

    public var description: String {
        mids.isEmpty ? MidQueue.emptyMarker : mids.map { String($0.mid) }.joined(separator: ",")
    }
}
