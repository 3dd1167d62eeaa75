import SMBWire

/// What the server reports through ``SMBServerConfiguration/log``: one value per noteworthy
/// moment of a connection. Connection ids count from 1 in accept order.
public enum ServerLogEvent: Sendable, Equatable, CustomStringConvertible {
    /// How the security blob of an NTLMSSP session setup was wrapped.
    public enum Wrapping: String, Sendable, Equatable {
        /// NTLMSSP inside SPNEGO (smbclient, pysmb, Windows).
        case spnego
        /// Raw NTLMSSP in the security blob (the Linux kernel's SMB1 code).
        case raw
        /// Old-style session setup: no blob at all.
        case none
    }

    /// A connection was accepted (`peer` is `host:port`, or `pipe` for an in-memory one).
    case connectionOpened(connection: Int, peer: String)
    /// NEGOTIATE answered; `extendedSecurity` says which form.
    case negotiated(connection: Int, extendedSecurity: Bool, signing: SigningPolicy)
    /// An authentication attempt finished. `status` is STATUS_SUCCESS or why it failed.
    case authentication(connection: Int, user: String, domain: String, mode: AuthMode?, wrapping: Wrapping,
                        status: NTStatus, signing: Bool)
    /// TREE_CONNECT_ANDX succeeded (`share` is `IPC$` for the IPC tree).
    case treeConnected(connection: Int, share: String, tid: UInt16)
    /// TREE_CONNECT_ANDX was refused (BAD_NETWORK_NAME, BAD_DEVICE_TYPE).
    case treeRefused(connection: Int, path: String, status: NTStatus)
    /// A request answered with an error (every error reply, with the command it answered).
    case errorReply(connection: Int, command: String, status: NTStatus)
    /// A fault of the ``FaultPlan`` fired.
    case faultInjected(connection: Int, fault: String)
    /// A request was malformed; `closing` says whether the connection is dropped for it.
    case malformedRequest(connection: Int, reason: String, closing: Bool)
    /// A signed request failed verification (the connection is then closed).
    case badSignature(connection: Int, command: String, sequence: UInt32)
    /// A connection was refused without being served (``SMBServerLimits/maxConnections``).
    case connectionRefused(peer: String, reason: String)
    /// The connection ended: the peer closed, a fault, a framing error, a bad signature, stop().
    case connectionClosed(connection: Int, reason: String)

    public var description: String {
        switch self {
        case let .connectionOpened(c, peer): return "conn \(c): opened from \(peer)"
        case let .negotiated(c, ext, signing):
            return "conn \(c): negotiated NT LM 0.12, \(ext ? "extended security" : "challenge"), signing \(signing.rawValue)"
        case let .authentication(c, user, domain, mode, wrapping, status, signing):
            let who = domain.isEmpty ? user : "\(domain)\\\(user)"
            let how = (mode?.rawValue ?? "unknown") + (wrapping == .none ? "" : " (\(wrapping.rawValue))")
            let outcome = status.isSuccess ? "ok" + (signing ? ", signing" : "") : status.name
            return "conn \(c): session setup \(who) \(how): \(outcome)"
        case let .treeConnected(c, share, tid): return "conn \(c): tree connect \(share) tid \(tid)"
        case let .treeRefused(c, path, status): return "conn \(c): tree connect \(path) refused: \(status.name)"
        case let .errorReply(c, command, status): return "conn \(c): \(command) → \(status.name)"
        case let .faultInjected(c, fault): return "conn \(c): fault: \(fault)"
        case let .malformedRequest(c, reason, closing):
            return "conn \(c): malformed request: \(reason)\(closing ? " (closing)" : "")"
        case let .badSignature(c, command, sequence):
            return "conn \(c): bad signature on \(command) (seq \(sequence)), closing"
        case let .connectionRefused(peer, reason): return "refused a connection from \(peer): \(reason)"
        case let .connectionClosed(c, reason): return "conn \(c): closed (\(reason))"
        }
    }
}
