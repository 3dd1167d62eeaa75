import KernelRuntime

/// What a command did: the events it ran through, why it stopped, and what it reports.
public struct CommandResult: Equatable, Sendable {
    /// The events recorded by a forward move, in order (empty for going back and for queries;
    /// the event landed on is then `session.events.last`).
    public var events: [TraceEvent]
    /// Why a moving command stopped; `nil` for commands that do not move.
    public var stop: StopReason?
    /// Events recorded in the run now (the current event's sequence number; 0 at the start).
    public var position: Int
    /// What a query or a setting command returns.
    public var report: Report

    public init(events: [TraceEvent] = [], stop: StopReason? = nil, position: Int, report: Report = .none) {
        self.events = events
        self.stop = stop
        self.position = position
        self.report = report
    }
}

/// Why a moving command stopped.
public enum StopReason: Equatable, Sendable {
    /// The command's own goal was reached: the steps were taken, `next` or `finish` arrived,
    /// the event was reached.
    case done
    /// Breakpoint `number` on `function` stopped the run at `event`.
    case breakpoint(number: Int, function: String, event: Int)
    /// Watch `number` saw the value at `path` change at `event` (`nil`: nothing there).
    case watch(number: Int, path: String, old: StateValue?, new: StateValue?, event: Int)
    /// `stepThread`: the thread blocked before recording an event; it waits as the snapshot says.
    case threadBlocked(ThreadSnapshot)
    /// `stepThread`: the thread's body returned or threw.
    case threadFinished(ThreadSnapshot)
    /// Going back found no earlier stop and reached the start (event 0).
    case start
    /// One moving command ran ``StepperSession/eventLimit`` events without reaching its goal
    /// or the end: the run may be going round in circles (3.8 retries some things forever). The
    /// next command goes on from here.
    case eventLimit(Int)
    /// The driver interrupted the move (``StepperSession/interrupt()``, a Ctrl-C): it stopped
    /// between two events after running `events` of them or — `waiting` not empty — while it
    /// waited for a real server, these threads waiting. Nothing was decided after the last event:
    /// the next command goes on from here.
    case interrupted(events: Int, waiting: [BlockedThread] = [])
    /// No thread could run and the real server sent nothing for `seconds`; these threads wait.
    /// The next command waits again.
    case serverSilent(seconds: Double, waiting: [BlockedThread])
    /// The run is over, this way.
    case end(RunOutcome)
}

/// How a run ended.
public enum RunOutcome: Equatable, Sendable, CustomStringConvertible {
    /// Every thread finished and the program produced `bytesRead` bytes.
    case completed(bytesRead: Int)
    /// The program met an error and ended cleanly: the error is the real cause (an open that
    /// the server refused, a login that failed).
    case programFailed(ProgramFailure)
    /// The run could not go on: a deadlock (what each thread waited for), a thread that kept the
    /// baton too long, a replay that diverged.
    case runtimeFailed(String)
    /// The program could not start (e.g. the server refused its configuration).
    case couldNotStart(String)

    public var description: String {
        switch self {
        case let .completed(bytes): return "completed: \(bytes) bytes read"
        case let .programFailed(failure): return "failed: \(failure)"
        case let .runtimeFailed(reason): return "stopped: \(reason)"
        case let .couldNotStart(reason): return "could not start: \(reason)"
        }
    }
}

/// What a query or a setting command returns.
public enum Report: Equatable, Sendable {
    case none
    /// A breakpoint or watch was set.
    case breakpointSet(Breakpoint)
    /// These were removed.
    case deleted([Breakpoint])
    /// Every breakpoint and watch, by number.
    case breakpoints([Breakpoint])
    /// Every thread, by id.
    case threads([ThreadInfo])
    /// One thread's frames.
    case backtrace(Backtrace)
    /// One path's value now (`nil`: nothing there now — e.g. a mid already freed).
    case value(path: String, value: StateValue?)
    /// `print` of a path that holds nothing now, and why (gone since an event, never there).
    case absent(path: String, reason: StateAbsence)
    /// `print` of a path that holds bytes (a key, a message): the bytes with the trace's field
    /// spans for them when it recorded them.
    case bytes(path: String, value: StateBuffer)
    /// State values, in the program's order (`info state`, and `print` of an object such as
    /// `rdata[0]` or `threads`).
    case values([StateEntry])
    /// The scenario a reset started.
    case scenario(Scenario)
    /// The thread made current.
    case selected(ThreadInfo)
    /// A condition's truth now, and the value at each path it read (`nil`: nothing there).
    case condition(holds: Bool, values: [StateEntryOrAbsent])
    /// Where a buffer came from (`why`).
    case provenance(ProvenanceNode)
    /// A fault armed (`fault`).
    case faultArmed(ArmedFault)
    /// The faults armed in the run, in order (`info faults`).
    case faults([ArmedFault])
    /// Catalogued traced functions (`infoFunctions`).
    case functions([TracepointCatalogue.Entry])
}

extension Report {
    /// The value a `print` report shows: the value, or the bytes of a buffer; `nil` for anything
    /// else (nothing there, an object's fields).
    public var printedValue: StateValue? {
        switch self {
        case let .value(_, value): return value
        case let .bytes(_, buffer): return .bytes(buffer.buffer.bytes)
        default: return nil
        }
    }
}

/// A path and its value now, or `nil` when nothing is there.
public struct StateEntryOrAbsent: Equatable, Sendable {
    public var path: String
    public var value: StateValue?

    public init(path: String, value: StateValue?) {
        self.path = path
        self.value = value
    }
}

/// A breakpoint or a watch.
public struct Breakpoint: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// Stops at the function's `enter` event (or at an unpaired event of it, which stands for
        /// a whole call) where the condition, if any, holds.
        case function(String, condition: String?)
        /// Stops where the value at `path` changes.
        case watch(path: String)
    }

    /// Numbered from 1 in the order set (watches and breakpoints share the numbering, as in gdb).
    public var number: Int
    public var kind: Kind
    /// Deleted the first time a forward move stops at it (``Command/temporaryBreakpoint(function:condition:)``).
    public var temporary: Bool

    public init(number: Int, kind: Kind, temporary: Bool = false) {
        self.number = number
        self.kind = kind
        self.temporary = temporary
    }
}

/// A thread as listed by ``Command/threads``.
public struct ThreadInfo: Equatable, Sendable {
    /// Id, name and status (`blocked on mid 7`, `ready`, `finished`…).
    public var thread: ThreadSnapshot
    /// The current thread for `next`, `finish` and `backtrace`.
    public var isCurrent: Bool
    /// The innermost frame, if any.
    public var frame: Frame?
    /// Sequence number of the thread's last event.
    public var lastEvent: Int?

    public init(thread: ThreadSnapshot, isCurrent: Bool, frame: Frame?, lastEvent: Int?) {
        self.thread = thread
        self.isCurrent = isCurrent
        self.frame = frame
        self.lastEvent = lastEvent
    }
}

/// One thread's calls in progress.
public struct Backtrace: Equatable, Sendable {
    public var thread: ThreadSnapshot
    /// Innermost first.
    public var frames: [Frame]
    /// The thread's last event (where it stands), if it recorded one.
    public var lastEvent: TraceEvent?

    public init(thread: ThreadSnapshot, frames: [Frame], lastEvent: TraceEvent?) {
        self.thread = thread
        self.frames = frames
        self.lastEvent = lastEvent
    }
}
