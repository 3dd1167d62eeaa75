import KernelRuntime

/// Why a command was refused. The session is unchanged after any of these.
public enum StepperError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `break` on a name the tracepoint catalogue does not list; `closest` are the nearest names.
    case unknownFunction(String, closest: [String])
    /// A breakpoint condition that does not parse or check.
    case badCondition(ExpressionError)
    /// A state path the program cannot show; `closest` are the nearest path patterns.
    case unknownPath(String, closest: [String])
    /// A scenario setting that was refused.
    case badSetting(Scenario.SettingError)
    /// A count or event number out of range (`what` names it).
    case badNumber(Int, what: String)
    /// No thread with this id has been spawned; `known` lists the ids that exist.
    case noSuchThread(Int, known: [Int])
    /// `stepThread` on a thread that cannot run now (blocked or finished).
    case threadNotRunnable(ThreadSnapshot, runnable: [Int])
    /// No breakpoint or watch with this number (or on this function).
    case noSuchBreakpoint(String)
    /// `finish` with no frame to finish on the thread.
    case noFrame(thread: Int)
    /// `next`, `finish` or `backtrace` before any thread ran.
    case noCurrentThread
    /// `why` found nothing to walk back from.
    case noProvenance(String)
    /// A fault could not be armed (misspelt, or nothing to inject it into).
    case faultRefused(String)
    /// `examine` of something that holds no bytes (an integer, an object); says what it holds.
    case notBytes(String)
    /// The change would alter a run a real server took part in, before the end of what it
    /// answered: only a new connection (`reset`) can do that.
    case needsNewConnection(String)

    public var description: String {
        switch self {
        case let .unknownFunction(name, closest):
            return "no traced function '\(name)'" + (closest.isEmpty ? "" : "; closest: " + closest.joined(separator: ", "))
        case let .badCondition(error):
            return "bad condition: \(error)"
        case let .unknownPath(path, closest):
            return "no state path '\(path)'" + (closest.isEmpty ? "" : "; closest: " + closest.joined(separator: ", "))
        case let .badSetting(error):
            return error.description
        case let .badNumber(value, what):
            return "\(what), got \(value)"
        case let .noSuchThread(id, known):
            return "no thread \(id) (threads: \(known.map(String.init).joined(separator: ", ")))"
        case let .threadNotRunnable(thread, runnable):
            return "thread \(thread.id) \(thread.name) cannot run now: \(thread.status) (runnable: "
                + (runnable.isEmpty ? "none" : runnable.map(String.init).joined(separator: ", ")) + ")"
        case let .noSuchBreakpoint(what):
            return "no breakpoint \(what)"
        case let .noFrame(thread):
            return "thread \(thread) is in no traced function: nothing to finish"
        case .noCurrentThread:
            return "no thread has run yet"
        case let .noProvenance(why):
            return why
        case let .faultRefused(why):
            return "fault: " + why
        case let .notBytes(why):
            return why
        case let .needsNewConnection(why):
            return why
        }
    }
}
