/// A fault the stepper can inject at any point of a run, by name: what goes wrong, and which
/// occurrence (counted from the moment it is armed: 1 = the next one).
public enum StepperFault: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The Nth reply from now has its signature corrupted: `cifs_verify_signature` fails, 3.8
    /// logs -EACCES and uses the data anyway.
    case badSignature(Int)
    /// The Nth READ_ANDX from now is answered with an error: `cifs_readv_discard`, the pages
    /// left not uptodate, the reader's synchronous `cifs_readpage`.
    case readError(Int)
    /// The Nth READ_ANDX from now returns fewer bytes than asked, before end of file.
    case shortRead(Int)
    /// The next login fails with STATUS_LOGON_FAILURE whatever the password.
    case wrongPassword
    /// The connection drops at the Nth request from now, before its reply: `cifs_reconnect`.
    case disconnect(Int)
    /// The Nth reply from now is never sent: 3.8's `wait_for_response` has no timeout.
    case dropReply(Int)
    /// The handle the Nth READ_ANDX from now used is forgotten by the server once that read is
    /// served: the next request naming it gets STATUS_INVALID_HANDLE.
    case staleHandle(Int)

    /// Every fault's name, as the REPL and `--fault` spell it.
    public static let names = [
        "bad-signature", "read-error", "short-read", "wrong-password", "disconnect", "drop-reply", "stale-handle",
    ]

    /// The fault's name, e.g. `bad-signature`.
    public var name: String {
        switch self {
        case .badSignature: return "bad-signature"
        case .readError: return "read-error"
        case .shortRead: return "short-read"
        case .wrongPassword: return "wrong-password"
        case .disconnect: return "disconnect"
        case .dropReply: return "drop-reply"
        case .staleHandle: return "stale-handle"
        }
    }

    /// Which occurrence from now (1 for `wrong-password`: the next login).
    public var count: Int {
        switch self {
        case let .badSignature(n), let .readError(n), let .shortRead(n), let .disconnect(n), let .dropReply(n),
             let .staleHandle(n):
            return n
        case .wrongPassword:
            return 1
        }
    }

    /// `bad-signature:2`, `wrong-password`: the form `--fault` takes and a trace records.
    public var description: String { self == .wrongPassword ? name : "\(name):\(count)" }

    /// What the count counts, for people: `the 2nd reply from now`.
    public var target: String {
        let what: String
        switch self {
        case .badSignature, .dropReply: what = "reply"
        case .readError, .shortRead, .staleHandle: what = "READ_ANDX"
        case .disconnect: what = "request"
        case .wrongPassword: return "the next login"
        }
        return "the \(Self.ordinal(count)) \(what) from now"
    }

    static func ordinal(_ n: Int) -> String {
        let suffix: String
        switch (n % 10, n % 100) {
        case (1, let h) where h != 11: suffix = "st"
        case (2, let h) where h != 12: suffix = "nd"
        case (3, let h) where h != 13: suffix = "rd"
        default: suffix = "th"
        }
        return "\(n)\(suffix)"
    }

    /// Why a fault's spelling was refused.
    public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The largest count accepted (a run has far fewer replies; this only keeps typos sane).
    public static let maximumCount = 1_000_000

    /// Parses `NAME`, `NAME N` or `NAME:N` (`N` defaults to 1).
    public init(parsing text: String) throws(ParseError) {
        let parts = text.split(whereSeparator: { $0 == ":" || $0 == " " }).map(String.init)
        guard let name = parts.first, parts.count <= 2 else {
            throw ParseError(description: "expected NAME[:N], e.g. bad-signature:2 (faults: \(Self.names.joined(separator: ", ")))")
        }
        var n = 1
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), parsed >= 1, parsed <= Self.maximumCount else {
                throw ParseError(description: "\(name): N must be a whole number from 1 to \(Self.maximumCount), got '\(parts[1])'")
            }
            n = parsed
        }
        switch name {
        case "bad-signature": self = .badSignature(n)
        case "read-error": self = .readError(n)
        case "short-read": self = .shortRead(n)
        case "wrong-password":
            guard parts.count == 1 || n == 1 else {
                throw ParseError(description: "wrong-password takes no count: it fails the next login")
            }
            self = .wrongPassword
        case "disconnect": self = .disconnect(n)
        case "drop-reply": self = .dropReply(n)
        case "stale-handle": self = .staleHandle(n)
        default:
            let closest = EditDistance.closest(to: name, among: Self.names)
            throw ParseError(description: "no fault '\(name)'" + (closest.isEmpty ? "" : "; closest: " + closest.joined(separator: ", "))
                + " (faults: \(Self.names.joined(separator: ", ")))")
        }
    }
}

/// A fault as the session armed it: after which event, and what the program made of it.
public struct ArmedFault: Equatable, Sendable, CustomStringConvertible {
    /// The event after which it was armed (0: before the run's first event).
    public var afterEvent: Int
    public var fault: StepperFault
    /// What the program targets, e.g. `reply 31 of the server (the 2nd from now)`.
    public var detail: String

    public init(afterEvent: Int, fault: StepperFault, detail: String) {
        self.afterEvent = afterEvent
        self.fault = fault
        self.detail = detail
    }

    /// `bad-signature:2@143`: how a trace's scenario records it.
    public var recorded: String { "\(fault)@\(afterEvent)" }

    public var description: String { "\(fault) after event \(afterEvent): \(detail)" }
}
