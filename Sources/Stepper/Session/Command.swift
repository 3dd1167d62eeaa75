/// Everything a driver (the REPL, a lesson) can ask of a ``StepperSession``: one type, run with
/// ``StepperSession/execute(_:)``.
///
/// Commands that move (step, next, finish, continue, goto, reverse-step, reverse-continue,
/// reset) return a ``StopReason``; going back is always a replay from the start that follows the
/// recorded scheduling decisions, so every earlier state is recomputed, never stored.
/// Forward moves other than `stepThread` stop early at a breakpoint or a watch.
public enum Command: Equatable, Sendable {
    // MARK: Moving forward

    /// Runs `count` events, whichever threads the policy picks.
    case step(count: Int = 1)
    /// Runs only thread `id` — the others stay frozen (gdb's scheduler-locking) — for `count`
    /// events. If the thread blocks or finishes first, stops and says what it waits on.
    case stepThread(id: Int, count: Int = 1)
    /// Runs until the current thread's next event at the same or a shallower frame depth:
    /// steps over nested calls, while other threads may run.
    case next
    /// Runs until the current frame of the current thread returns (its `exit`).
    case finish
    /// Runs until a breakpoint or a watch stops it, or the end.
    case `continue`

    // MARK: Moving anywhere

    /// Goes to event `event` (0 = before the first event): back by replay, forward by running.
    case goto(event: Int)
    /// Goes back `count` events (a replay).
    case reverseStep(count: Int = 1)
    /// Goes back to the previous stop: the last earlier event where a breakpoint or a watch
    /// would have stopped, or the start.
    case reverseContinue
    /// Starts over with the current scenario changed by `key=value` settings (none: the same
    /// scenario again). Breakpoints and watches stay.
    case reset(settings: [String] = [])

    // MARK: Stops

    /// Stops at every call of `function` (its `enter` event), which must be in the tracepoint
    /// catalogue; with a condition (``StateExpression`` text), only where it holds.
    case breakpoint(function: String, condition: String? = nil)
    /// A breakpoint (as ``breakpoint(function:condition:)``) that is deleted the first time a
    /// forward move stops at it (gdb's `tbreak`).
    case temporaryBreakpoint(function: String, condition: String? = nil)
    /// Stops when the value at a state path changes.
    case watch(path: String)
    /// Removes breakpoints and watches.
    case delete(DeleteTarget)

    // MARK: Looking

    /// Makes thread `id` the current thread (for `next`, `finish`, `backtrace`).
    case selectThread(id: Int)
    /// The frames of a thread (default: the current one), innermost first.
    case backtrace(thread: Int? = nil)
    /// Every thread, what it is doing and what it waits on.
    case threads
    /// The value at a state path now.
    case print(path: String)
    /// Every state value now, or those under a path prefix.
    case infoState(prefix: String? = nil)
    /// The breakpoints and watches.
    case infoBreakpoints
    /// Whether a condition (``StateExpression`` text) holds now, with the values it read — what a
    /// lesson's checkpoint asks.
    case evaluate(condition: String)
    /// Where a buffer's bytes came from, walked back through the recorded derivations: `target`
    /// is a buffer id (`$12`), a state path holding bytes (`server.sessionKey`), or the name of
    /// a buffer (`signature`: the last one recorded so far).
    case why(target: String)
    /// Arms a fault now, counting from this point. It becomes part of the run: going back and
    /// forward replays it at the same event; the recorded future after this point is dropped.
    case fault(StepperFault)
    /// The faults armed in this run.
    case infoFaults
    /// The bytes `target` names, with their field spans: a state path holding bytes
    /// (`last.sent`), a buffer id (`$12`) or the name of a recorded buffer (`signature`: the
    /// last one so far) — what a driver's `x` shows.
    case examine(target: String)
    /// The catalogued traced functions whose name (or 3.8 name) contains `matching`
    /// (case-insensitive; all without it), in catalogue order.
    case infoFunctions(matching: String? = nil)
}

/// Which breakpoints ``Command/delete(_:)`` removes.
public enum DeleteTarget: Equatable, Sendable {
    case all
    /// The breakpoint or watch with this number.
    case number(Int)
    /// Every breakpoint on this function.
    case function(String)
}
