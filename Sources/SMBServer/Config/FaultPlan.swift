import SMBWire

/// Faults the server injects on purpose, for lessons and tests.
///
/// Every count is **1-based and server-wide** (across connections, in arrival order), and each
/// fault fires once: after a connection closed by a fault, a reconnecting client finds a
/// healthy server. Numbers:
/// - a *request* is every SMB message received;
/// - a *reply* is every reply the server produces (a dropped reply still counts);
/// - a *read* is every READ_ANDX request;
/// - an *authentication* is every SESSION_SETUP_ANDX that carries credentials (old-style, or
///   an NTLMSSP AUTHENTICATE).
///
/// Change a running server's plan with ``SMBServer/updateFaults(_:)``.
public struct FaultPlan: Sendable, Equatable {
    /// Read number → the status to answer with instead of data.
    public var failRead: [Int: NTStatus]
    /// Read number → the most data bytes to answer with (fewer than asked, even before end of
    /// file: a short read).
    public var shortenRead: [Int: Int]
    /// Reply numbers whose signature is corrupted (one bit flipped) after signing. On an
    /// unsigned connection the signature field is corrupted all the same.
    public var corruptSignature: Set<Int>
    /// Reply numbers that are never sent (the sequence numbers are still consumed).
    public var dropReply: Set<Int>
    /// Reply number → nanoseconds to sleep (through the runtime) before sending it.
    public var delayReply: [Int: UInt64]
    /// Request numbers at which the connection is closed instead of answering.
    public var closeConnectionAtRequest: Set<Int>
    /// Read numbers after which the handle the read used is invalidated: the read itself is
    /// served, and the next request naming that FID gets STATUS_INVALID_HANDLE (the kernel
    /// then reopens the file).
    public var invalidateHandleAfterRead: Set<Int>
    /// Authentication numbers that fail with STATUS_LOGON_FAILURE whatever the password.
    public var rejectAuthentication: Set<Int>

    public init(
        failRead: [Int: NTStatus] = [:], shortenRead: [Int: Int] = [:], corruptSignature: Set<Int> = [], dropReply: Set<Int> = [],
        delayReply: [Int: UInt64] = [:], closeConnectionAtRequest: Set<Int> = [],
        invalidateHandleAfterRead: Set<Int> = [], rejectAuthentication: Set<Int> = []
    ) {
        self.failRead = failRead
        self.shortenRead = shortenRead
        self.corruptSignature = corruptSignature
        self.dropReply = dropReply
        self.delayReply = delayReply
        self.closeConnectionAtRequest = closeConnectionAtRequest
        self.invalidateHandleAfterRead = invalidateHandleAfterRead
        self.rejectAuthentication = rejectAuthentication
    }

    /// The data bytes a short read answers with unless told otherwise: two whole pages and part
    /// of a third, so a reader sees filled pages, a partial page and pages the data never reached.
    public static let defaultShortRead = 10_000

    /// True when no fault is planned.
    public var isEmpty: Bool { self == FaultPlan() }
}
