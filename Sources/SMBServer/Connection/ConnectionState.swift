import SMBWire

/// Where one connection is in its life: the state machine `smbd.state` shows.
///
/// Derived from what the connection holds (see ``ServerConnection/settleState(_:)``) rather
/// than set by each handler, so it can never disagree with the sessions it summarises.
enum ServerConnectionState: String, Equatable, Sendable, CustomStringConvertible {
    /// Connected; nothing but NEGOTIATE (or ECHO) is served yet.
    case awaitingNegotiate
    /// NEGOTIATE answered; no session, no login under way.
    case negotiated
    /// An NTLMSSP CHALLENGE went out and its AUTHENTICATE has not come back.
    case authenticating
    /// At least one session (UID) is logged on.
    case loggedOn
    /// The connection has ended.
    case closed

    var description: String { rawValue }
}

/// An authenticated session (smbd's `user_struct`): one UID on one connection.
struct ServerSession: Sendable, CustomStringConvertible {
    var uid: UInt16
    var user: String
    var mode: AuthMode

    var description: String { "UID \(uid) \(user) (\(mode.rawValue))" }
}

/// A tree connect: a TID bound to a share, or to IPC$ (`share` nil).
struct ServerTree: Sendable, CustomStringConvertible {
    var tid: UInt16
    var uid: UInt16
    var share: Share?

    var isIPC: Bool { share == nil }

    var description: String { "TID \(tid) \(share?.name ?? "IPC$") (UID \(uid))" }
}

/// An open file handle (smbd's `files_struct`). A class so that a fault can mark the handle
/// invalid through ``StateChanges`` (which writes through key paths of objects).
final class ServerOpenFile: CustomStringConvertible {
    let fid: UInt16
    let tid: UInt16
    let uid: UInt16
    let file: ShareFile
    /// ``SMBServer/invalidateAllHandles()`` generation at open time.
    let generation: UInt64
    /// Set by a fault: the next use answers STATUS_INVALID_HANDLE.
    var invalidated = false

    init(fid: UInt16, tid: UInt16, uid: UInt16, file: ShareFile, generation: UInt64) {
        self.fid = fid
        self.tid = tid
        self.uid = uid
        self.file = file
        self.generation = generation
    }

    var description: String { "FID 0x\(String(fid, radix: 16)) \(file.entry.smbPath) (TID \(tid))" }
}

/// Allocates 16-bit ids (UIDs, TIDs, FIDs) in order, skipping 0, 0xFFFF and ids in use.
struct IDAllocator: Sendable {
    private var next: UInt16

    init(first: UInt16) { next = first }

    mutating func allocate(isInUse: (UInt16) -> Bool) -> UInt16? {
        for _ in 0..<0xFFFF {
            let candidate = next
            next = next == 0xFFFE ? 1 : next + 1
            if candidate != 0 && candidate != 0xFFFF && !isInUse(candidate) { return candidate }
        }
        return nil
    }
}

/// A request failure answered with an NT status (the connection stays up).
struct RequestError: Error, Sendable, CustomStringConvertible {
    var status: NTStatus
    var reason: String?

    init(_ status: NTStatus, _ reason: String? = nil) {
        self.status = status
        self.reason = reason
    }

    var description: String { status.name + (reason.map { " (\($0))" } ?? "") }
}

extension ShareError {
    /// The NT status smbd answers for this kind of failure.
    var status: NTStatus {
        switch self {
        case .nameNotFound: return .objectNameNotFound
        case .pathNotFound: return .objectPathNotFound
        case .accessDenied: return .accessDenied
        case .nameInvalid: return .objectNameInvalid
        case .isDirectory: return .fileIsADirectory
        case .io: return .unexpectedIOError
        }
    }
}
