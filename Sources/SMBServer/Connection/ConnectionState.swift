import SMBWire

/// An authenticated session (smbd's `user_struct`): one UID on one connection.
struct ServerSession: Sendable {
    var uid: UInt16
    var user: String
    var mode: AuthMode
}

/// A tree connect: a TID bound to a share, or to IPC$ (`share` nil).
struct ServerTree: Sendable {
    var tid: UInt16
    var uid: UInt16
    var share: Share?

    var isIPC: Bool { share == nil }
}

/// An open file handle (smbd's `files_struct`).
struct ServerOpenFile: Sendable {
    var fid: UInt16
    var tid: UInt16
    var uid: UInt16
    var file: ShareFile
    /// ``SMBServer/invalidateAllHandles()`` generation at open time.
    var generation: UInt64
    /// Set by a fault: the next use answers STATUS_INVALID_HANDLE.
    var invalidated = false
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
struct RequestError: Error, Sendable {
    var status: NTStatus
    var reason: String?

    init(_ status: NTStatus, _ reason: String? = nil) {
        self.status = status
        self.reason = reason
    }
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
        case .io: return NTStatus(0xC000_00E9)  // STATUS_UNEXPECTED_IO_ERROR
        }
    }
}
