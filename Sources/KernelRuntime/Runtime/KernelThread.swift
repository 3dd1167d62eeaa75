/// A simulated kernel thread: a real OS thread that the runtime spawned (`reader`, `cifsd`,
/// `cifsiod`, `smbd`…).
///
/// Ids follow spawn order from 1; id 0 stands for any thread the runtime did not spawn (the
/// controller, a test's own thread). Obtain one from ``KernelRuntime/spawn(name:_:)``; wait for it
/// with ``KernelRuntime/join(_:)``.
public final class KernelThread: @unchecked Sendable, CustomStringConvertible {
    /// Spawn order, from 1 (0 for a thread outside the runtime).
    public let id: Int
    /// The name given at spawn, e.g. `cifsd`.
    public let name: String

    // Everything below is guarded by the owning runtime's internal lock.

    /// Which runtime spawned this thread (a thread of runtime A calling runtime B is foreign to B).
    let runtime: ObjectIdentifier
    /// A stand-in for a thread the runtime did not spawn, created for one blocking call.
    let isForeign: Bool
    /// Where the thread sleeps: free-run, until a waker posts it (a wait queue lists the threads
    /// to post); stepped, until it is handed the baton.
    let parker = Parker()
    /// Woken when the thread finishes (join).
    let exitQueue: WaitQueue
    /// Private queue for `sleep`, which nothing wakes but the clock.
    let sleepQueue: WaitQueue

    /// The queue this thread is blocked on, if any.
    var blockedOn: WaitQueue?
    /// Set by a waker (and cleared when the thread blocks): this thread was taken off its queue.
    var woken = false
    /// Free-run: the thread was subtracted from the runtime's running count when it blocked.
    var countedAsBlocked = false
    /// Stepped: where the thread stands.
    var state: SteppedState = .unstarted
    /// Stepped: this thread was handed the baton (by the controller or by the thread that had it).
    var hasBaton = false
    /// Stepped: the blocked thread's condition, evaluated by the controller.
    var predicate: (() -> Bool)?
    /// Deadline on the runtime's clock for a timed wait or sleep.
    var deadline: UInt64?
    /// Stepped: a wait (not a sleep) must get the runtime lock back before it returns.
    var reacquiresLock = true
    /// Stepped: an abort releases this wait (every wait but `join`'s).
    var abortable = true
    /// The thread's body returned or threw.
    var finished = false
    /// What the body threw, if anything.
    var failure: (any Error)?

    init(id: Int, name: String, runtime: ObjectIdentifier, isForeign: Bool = false) {
        self.id = id
        self.name = name
        self.runtime = runtime
        self.isForeign = isForeign
        self.exitQueue = WaitQueue("exit of \(id) \(name)")
        self.sleepQueue = WaitQueue("sleep of \(id) \(name)")
    }

    public var description: String { "\(id) \(name)" }
}

/// Where a stepped thread stands.
enum SteppedState: Equatable {
    case unstarted, ready, running, blocked, waitingForLock, finished
}

/// What a thread is doing, as shown by a controller's thread listing.
public enum ThreadStatus: Equatable, Sendable, Codable, CustomStringConvertible {
    /// Spawned, has not run yet.
    case notStarted
    /// Stopped at a tracepoint, can run.
    case ready
    /// Holds the baton (stepped) or is not blocked in the runtime (free-run).
    case running
    /// Blocked on a wait queue; `deadline` is set for a timed wait.
    case blocked(on: String, deadline: UInt64?)
    /// Was blocked on `queue`, has been woken and its condition holds: it runs when scheduled.
    case woken(from: String)
    /// Sleeping until the clock reaches `until`.
    case sleeping(until: UInt64)
    /// Waiting for the runtime lock.
    case waitingForLock
    /// The body returned.
    case finished
    /// The body threw; the error's description.
    case failed(String)

    public var description: String {
        switch self {
        case .notStarted: return "not started"
        case .ready: return "ready"
        case .running: return "running"
        case let .blocked(queue, deadline):
            return deadline.map { "blocked on \(queue) until \($0) ns" } ?? "blocked on \(queue)"
        case let .woken(queue): return "woken from \(queue), runs when scheduled"
        case let .sleeping(until): return "sleeping until \(until) ns"
        case .waitingForLock: return "waiting for the runtime lock"
        case .finished: return "finished"
        case let .failed(error): return "failed: \(error)"
        }
    }
}

/// A thread as listed by ``SteppedRuntime/threads``.
public struct ThreadSnapshot: Equatable, Sendable, Codable, CustomStringConvertible {
    public var id: Int
    public var name: String
    public var status: ThreadStatus

    public init(id: Int, name: String, status: ThreadStatus) {
        self.id = id
        self.name = name
        self.status = status
    }

    public var description: String { "\(id) \(name): \(status)" }
}
