import KernelRuntime
import SMBWire

/// Why a client-core operation failed.
///
/// Each case names the negative errno the Linux 3.8 cifs client returned in the same place
/// (``errno``), so a trace can say "-EAGAIN" where the kernel did.
public enum CIFSError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The server answered `command` with an error status (the kernel's
    /// `map_smb_to_linux_error`), e.g. `STATUS_LOGON_FAILURE` for SESSION_SETUP_ANDX.
    case status(NTStatus, command: SMBCommand)
    /// A reply that does not parse (`checkSMB` failing, a bad WordCount, a DataLength beyond
    /// the request): the kernel's -EIO.
    case malformedReply(command: SMBCommand, reason: String)
    /// A frame that breaks the stream itself (unknown NBSS type, too short to reach the MID,
    /// longer than any reply could be). The connection is reconnected.
    case malformedFrame(String)
    /// The connection was lost while the request was in flight, or is being reconnected:
    /// retry after `cifs_reconnect_tcon` (the kernel's -EAGAIN).
    case again(String)
    /// The server cannot be reached any more (reconnect attempts used up): -EHOSTDOWN.
    case hostDown(String)
    /// The mount is being torn down (tcpStatus `exiting`): -ENOENT / -ESHUTDOWN.
    case shuttingDown
    /// Signing was asked for but the server has it disabled, or the server requires it and
    /// the client cannot: -EOPNOTSUPP.
    case signingNotSupported(String)
    /// The server chose no dialect we offered, or an unusable negotiate form: -EOPNOTSUPP.
    case negotiateFailed(String)
    /// Computing an authentication response failed (bad lengths from the server): -EINVAL.
    case authentication(String)
    /// A transport call failed.
    case transport(TransportError)
    /// A caller's argument is unusable (empty path, bad rsize): -EINVAL.
    case invalidArgument(String)
    /// The file handle was invalidated by a reconnect and could not be reopened: -EBADF.
    case staleHandle(String)
    /// The server returned no data at `offset` although the file it announced goes on to
    /// `fileSize`: a client that zero-filled the rest would hand out wrong bytes (3.8 did).
    case shortRead(offset: UInt64, fileSize: UInt64)
    /// The server did not answer within the mount's ``MountOptions/responseTimeout`` (3.8 had
    /// no such limit); `awaited` says what was waited for. The connection was given up.
    case timedOut(awaited: String, seconds: Double)

    /// The negative errno the 3.8 kernel used for this failure.
    public var errno: Int32 {
        switch self {
        case let .status(status, _): return CIFSError.errno(for: status)
        case .malformedReply, .malformedFrame: return -5  // EIO
        case .again: return -11  // EAGAIN
        case .hostDown: return -112  // EHOSTDOWN
        case .shuttingDown: return -2  // ENOENT
        case .signingNotSupported, .negotiateFailed: return -95  // EOPNOTSUPP
        case .authentication, .invalidArgument: return -22  // EINVAL
        case .transport: return -104  // ECONNRESET
        case .staleHandle: return -9  // EBADF
        case .shortRead: return -5  // EIO
        case .timedOut: return -110  // ETIMEDOUT
        }
    }

    /// The errno `map_smb_to_linux_error` gives the statuses this client meets.
    static func errno(for status: NTStatus) -> Int32 {
        switch status {
        case .logonFailure, .wrongPassword, .noSuchUser, .accessDenied, .networkAccessDenied,
             .accountDisabled, .accountRestriction, .passwordExpired, .accountLockedOut:
            return -13  // EACCES
        case .noSuchFile, .objectNameNotFound, .objectPathNotFound, .badNetworkName:
            return -2  // ENOENT
        case .invalidHandle, .smbBadFID: return -9  // EBADF
        case .fileIsADirectory: return -21  // EISDIR
        case .notSupported, .notImplemented: return -95  // EOPNOTSUPP
        case .sharingViolation: return -16  // EBUSY
        case .networkNameDeleted, .smbBadTID, .smbBadUID, .networkSessionExpired: return -11  // EAGAIN
        default: return -5  // EIO
        }
    }

    public var description: String {
        switch self {
        case let .status(status, command): return "\(command.name): \(status.name)"
        case let .malformedReply(command, reason): return "malformed \(command.name) reply: \(reason)"
        case let .malformedFrame(reason): return "malformed frame from server: \(reason)"
        case let .again(reason): return "connection lost, retry (-EAGAIN): \(reason)"
        case let .hostDown(reason): return "server unreachable: \(reason)"
        case .shuttingDown: return "the mount is shutting down"
        case let .signingNotSupported(reason): return "signing: \(reason)"
        case let .negotiateFailed(reason): return "negotiate failed: \(reason)"
        case let .authentication(reason): return "authentication: \(reason)"
        case let .transport(error): return "transport: \(error)"
        case let .invalidArgument(reason): return "invalid argument: \(reason)"
        case let .staleHandle(reason): return "stale file handle: \(reason)"
        case let .shortRead(offset, size):
            return "short read: the server returned no data at offset \(offset) of a \(size)-byte file "
                + "(\(size - min(offset, size)) bytes missing; zero-filling them would give a wrong file)"
        case let .timedOut(awaited, seconds):
            return "the server did not answer within \(Self.seconds(seconds)) s: \(awaited) (connection given up)"
        }
    }
}

extension CIFSError {
    /// `30`, `0.25`: seconds without trailing zeros.
    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
