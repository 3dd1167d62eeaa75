/// Thrown out of a tracepoint, a wait or a sleep once the run has been aborted.
///
/// Kernel code must let it propagate (never swallow it): that is how a stepped run that is
/// abandoned — reverse step, a failed replay, a deadlock — releases its parked threads.
public struct RuntimeAbort: Error, Equatable, Sendable, CustomStringConvertible {
    public init() {}
    public var description: String { "run aborted" }
}

/// A thread that could not make progress, as named in a ``RuntimeError/deadlock(_:)`` report.
public struct BlockedThread: Equatable, Sendable, Codable, CustomStringConvertible {
    /// The thread's id (spawn order, from 1).
    public var id: Int
    /// The thread's name, e.g. `reader`.
    public var name: String
    /// What it waits for: a wait queue's name, or `runtime lock (held by 2 cifsd)`.
    public var waitingFor: String

    public init(id: Int, name: String, waitingFor: String) {
        self.id = id
        self.name = name
        self.waitingFor = waitingFor
    }

    public var description: String { "\(id) \(name) waiting for \(waitingFor)" }
}

/// Misuse of the runtime, or a run that cannot continue.
public enum RuntimeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No thread can run and not all have finished.
    case deadlock([BlockedThread])
    /// Stepped mode: the thread holding the baton neither reached a tracepoint nor blocked in time —
    /// typically a real blocking call (socket read, `Thread.sleep`, a foreign lock) made while running.
    case handoffTimedOut(threadID: Int, threadName: String, seconds: Double)
    /// `wait` was called without holding the runtime lock (call it inside `withLock`).
    case lockNotHeld(operation: String)
    /// A blocking call that must not hold the runtime lock (`sleep`) was made inside `withLock`.
    case lockHeld(operation: String)
    /// Stepped mode: a blocking call came from a thread the runtime did not spawn.
    case notASimulatedThread(operation: String)
    /// A replayed decision does not match the threads that are runnable now: the program is not
    /// the one that was recorded, or it is not deterministic.
    case replayDiverged(decision: Int, expectedRunnable: [Int], actualRunnable: [Int])
    /// The controller (a policy or `step(choosing:)`) picked a thread that cannot run now.
    case notRunnable(threadID: Int, runnable: [Int])
    /// A real-time wait for the network was interrupted (Ctrl-C). Nothing was decided: the run
    /// can go on.
    case interrupted(waiting: [BlockedThread])
    /// No thread could run and the network brought nothing for `seconds`. Nothing was decided:
    /// the run can go on (and wait again).
    case serverSilent(seconds: Double, waiting: [BlockedThread])
    /// No thread can run and nothing more can arrive from outside (a saved recording ran out).
    case inputEnded(String, waiting: [BlockedThread])

    /// Whether the run can go on after this error: nothing was decided (an interrupted or
    /// fruitless wait for the network).
    public var leavesRunIntact: Bool {
        switch self {
        case .interrupted, .serverSilent, .notRunnable: return true
        default: return false
        }
    }

    /// Whether this is ``notRunnable(threadID:runnable:)``.
    public var isNotRunnable: Bool {
        if case .notRunnable = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case let .deadlock(threads):
            return "deadlock: " + threads.map(\.description).joined(separator: "; ")
        case let .handoffTimedOut(id, name, seconds):
            return "thread \(id) \(name) kept the baton for more than \(seconds) s "
                + "(a real blocking call while stepping?)"
        case let .lockNotHeld(operation):
            return "\(operation) requires the runtime lock (call it inside withLock)"
        case let .lockHeld(operation):
            return "\(operation) must not be called while holding the runtime lock"
        case let .notASimulatedThread(operation):
            return "\(operation) called from a thread the runtime did not spawn"
        case let .replayDiverged(decision, expected, actual):
            return "replay diverged at decision \(decision): recorded runnable \(expected), now \(actual)"
        case let .notRunnable(id, runnable):
            return "thread \(id) is not runnable (runnable: \(runnable))"
        case let .interrupted(threads):
            return "interrupted while waiting for the server: " + threads.map(\.description).joined(separator: "; ")
        case let .inputEnded(reason, threads):
            return reason + ": " + threads.map(\.description).joined(separator: "; ")
        case let .serverSilent(seconds, threads):
            return "the server sent nothing for \(Int(seconds.rounded())) s: "
                + threads.map(\.description).joined(separator: "; ")
        }
    }
}
