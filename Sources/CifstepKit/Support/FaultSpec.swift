import SMBServer
import SMBWire

/// `--fault KIND:N[:ARG]` for `cifstep serve`: the server's fault hooks from the command line.
///
/// | spec | effect |
/// | --- | --- |
/// | `read-error:N[:STATUS]` | the Nth READ_ANDX fails (default STATUS_UNEXPECTED_IO_ERROR) |
/// | `short-read:N[:BYTES]` | the Nth READ_ANDX answers at most BYTES data bytes (default 10000) |
/// | `corrupt-signature:N` | the Nth reply's signature has one bit flipped |
/// | `drop-reply:N` | the Nth reply is never sent |
/// | `delay-reply:N:MS` | the Nth reply waits MS milliseconds |
/// | `close:N` | the connection closes at the Nth request |
/// | `invalidate-handle:N` | the handle used by the Nth read becomes invalid |
/// | `reject-login:N` | the Nth login fails with STATUS_LOGON_FAILURE |
enum FaultSpec {
    static let kinds = ["read-error", "short-read", "corrupt-signature", "drop-reply", "delay-reply", "close",
                        "invalidate-handle", "reject-login"]

    static func apply(_ spec: String, to plan: inout FaultPlan) throws {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, let n = Int(parts[1]), n >= 1 else {
            throw CLIError.usage("--fault: expected KIND:N[:ARG] with N ≥ 1, got '\(spec)' (kinds: \(kinds.joined(separator: ", ")))")
        }
        let arg = parts.count > 2 ? parts[2] : nil
        switch parts[0] {
        case "read-error":
            var status = NTStatus.unexpectedIOError
            if let arg {
                guard let named = NTStatus(name: arg) ?? NTStatus(name: "STATUS_" + arg) else {
                    throw CLIError.usage("--fault \(spec): unknown NT status '\(arg)'")
                }
                status = named
            }
            plan.failRead[n] = status
        case "short-read":
            guard let bytes = arg.map({ Int($0) }) ?? FaultPlan.defaultShortRead, bytes >= 0 else {
                throw CLIError.usage("--fault \(spec): expected short-read:N[:BYTES] with BYTES ≥ 0")
            }
            plan.shortenRead[n] = bytes
        case "corrupt-signature": plan.corruptSignature.insert(n)
        case "drop-reply": plan.dropReply.insert(n)
        case "delay-reply":
            guard let ms = arg.flatMap(UInt64.init) else { throw CLIError.usage("--fault \(spec): expected delay-reply:N:MS") }
            plan.delayReply[n] = ms * 1_000_000
        case "close": plan.closeConnectionAtRequest.insert(n)
        case "invalidate-handle": plan.invalidateHandleAfterRead.insert(n)
        case "reject-login": plan.rejectAuthentication.insert(n)
        default:
            throw CLIError.usage("--fault: unknown kind '\(parts[0])' (kinds: \(kinds.joined(separator: ", ")))")
        }
    }
}
