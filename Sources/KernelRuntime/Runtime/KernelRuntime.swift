/// Everything kernel-shaped code may use to run: threads, tracepoints, one lock, wait queues, a
/// clock and one seeded random generator.
///
/// The client core and the in-process server use nothing else for concurrency, time or
/// randomness (no async/await, Dispatch, raw locks or sleeps), so the same code runs at full
/// speed under ``FreeRunRuntime`` and one event at a time under ``SteppedRuntime``.
///
/// ## The lock and wait convention
/// All shared kernel state lives under **one** lock, taken with ``withLock(_:)``. It is
/// re-entrant: a nested `withLock` on the same thread just runs its body.
///
/// ``wait(on:until:)`` works like a condition variable (the kernel's `wait_event`): call it
/// **inside** `withLock`. It evaluates the condition with the lock held; if false, it releases
/// the lock, blocks on the queue, and re-acquires the lock before evaluating again. It returns
/// with the lock held and the condition true. Whoever changes the state a condition reads calls
/// ``wakeAll(_:)`` (or ``wakeOne(_:)``) on the matching queue, inside or outside the lock.
/// A condition must only read state: no tracepoints, waits or transport calls in it.
///
/// ```swift
/// // lock_page_killable
/// try rt.withLock {
///     try rt.wait(on: page.queue) { !page.locked }
///     page.locked = true
/// }
/// // unlock_page
/// rt.withLock { page.locked = false; rt.wakeAll(page.queue) }
/// ```
///
/// ``sleep(nanoseconds:)`` and transport calls must be made **outside** `withLock` (a real
/// socket call under the lock would stall every thread). To hold a lock across blocking calls,
/// use a ``KernelMutex`` (the kernel's `srv_mutex`).
///
/// ## Tracepoints
/// ``tracepoint(_:_:_:buffers:diff:)`` records a ``TraceEvent``. In stepped mode it is also where
/// the thread hands the baton back, so every tracepoint is a step. It throws ``RuntimeAbort``
/// once the run is aborted: let that error propagate.
public protocol KernelRuntime: AnyObject, Sendable {
    // MARK: Threads

    /// Starts a simulated kernel thread running `body` (a real OS thread in both modes).
    /// Under ``SteppedRuntime`` the thread first runs when the controller picks it.
    @discardableResult
    func spawn(name: String, _ body: @escaping @Sendable () throws -> Void) -> KernelThread

    /// Blocks until `thread` finishes, then rethrows what its body threw, if anything.
    /// Call it outside `withLock`. Stepped mode: only from a simulated thread.
    ///
    /// Unlike other waits, `join` is not cut short by ``abort()``: it still waits for the thread
    /// to unwind (which an abort makes quick), so unwinding code may join its helpers.
    func join(_ thread: KernelThread) throws

    /// Runs `body` as a simulated thread named `name` and returns once **every** thread of the
    /// runtime has finished.
    ///
    /// Throws, in this order of preference: the first error (in thread-id order) that a thread
    /// threw other than ``RuntimeAbort``; ``RuntimeError/deadlock(_:)`` when no thread could
    /// progress (the runtime then aborts so all threads unwind); ``RuntimeAbort`` when the run
    /// was aborted. Call it from a thread the runtime did not spawn. In free-run mode, deadlock
    /// detection assumes that only the runtime's threads wake its queues during the call.
    func runMain(name: String, _ body: @escaping @Sendable () throws -> Void) throws

    /// The simulated thread the caller runs on, or `nil` outside the runtime.
    var currentThread: KernelThread? { get }

    /// Makes every pending and future tracepoint, wait and sleep (not `join`) throw
    /// ``RuntimeAbort`` so that threads unwind and exit. Stepped mode: call it from the controller, between steps; it
    /// returns after releasing every parked thread.
    func abort()

    /// `true` once ``abort()`` was called or a deadlock was detected.
    var isAborted: Bool { get }

    // MARK: Tracing

    /// `false` when tracepoints record nothing (free-run without a recorder). Check it before
    /// building anything expensive that is not passed through the autoclosures.
    var isTracing: Bool { get }

    /// The recorder events go to, if any.
    var recorder: TraceRecorder? { get }

    /// Records an event. Kernel code calls ``tracepoint(_:_:_:buffers:diff:)`` instead, whose
    /// autoclosures make a disabled tracepoint nearly free.
    /// - Parameter mid: the request the event's frame works on, if any (``TraceEvent/mid``).
    func recordTracepoint(
        function: String, phase: TracePhase, mid: Int?, message: () -> String,
        buffers: () -> [TraceBuffer], diff: () -> [StateDiff]
    ) throws

    // MARK: Lock and wait queues

    /// Runs `body` holding the runtime lock (re-entrant).
    func withLock<T>(_ body: () throws -> T) rethrows -> T

    /// Whether the calling thread holds the runtime lock (is inside ``withLock(_:)``). For
    /// checking a lock rule — `assert(runtime.holdsLock)` in a function documented "runtime
    /// lock held" — not for deciding what to do.
    var holdsLock: Bool { get }

    /// Blocks until `condition` holds. Call inside ``withLock(_:)``; see the type's discussion.
    /// - Throws: ``RuntimeAbort`` if the run is aborted; ``RuntimeError/lockNotHeld(operation:)``
    ///   outside `withLock`; ``RuntimeError/notASimulatedThread(operation:)`` (stepped mode) from a
    ///   thread the runtime did not spawn.
    func wait(on queue: WaitQueue, until condition: () -> Bool) throws

    /// Like ``wait(on:until:)``, giving up after `timeout` nanoseconds of the runtime's clock
    /// (the kernel's `wait_event_timeout`).
    /// - Returns: whether `condition` holds on return (`false` = timed out).
    func wait(on queue: WaitQueue, timeout: UInt64, until condition: () -> Bool) throws -> Bool

    /// Wakes every thread blocked on `queue` (each re-checks its condition). Mirrors `wake_up_all`.
    func wakeAll(_ queue: WaitQueue)

    /// Wakes the longest-waiting thread blocked on `queue`. Mirrors an exclusive `wake_up`.
    /// If that thread's condition is false again it goes back to sleep and the wake-up is spent,
    /// so use it only where any waiter can take what was released (a mutex, one work item).
    func wakeOne(_ queue: WaitQueue)

    // MARK: Time and randomness

    /// Nanoseconds since the run started. Stepped: simulated (a fixed amount per event, plus
    /// jumps to the next deadline when every thread sleeps). Free-run: the monotonic clock.
    var now: UInt64 { get }

    /// Wall-clock time in nanoseconds since the Unix epoch (for FILETIMEs). Stepped: a fixed
    /// epoch plus ``now``.
    var unixNanoseconds: UInt64 { get }

    /// Sleeps for `nanoseconds` of the runtime's clock. Call outside `withLock`.
    func sleep(nanoseconds: UInt64) throws

    /// The next value of the run's one seeded generator.
    func randomUInt64() -> UInt64

    /// `count` bytes from the run's one seeded generator.
    func randomBytes(_ count: Int) -> [UInt8]
}

extension KernelRuntime {
    /// Records a trace event: `function` is the kernel function the code mirrors.
    ///
    /// `message`, `buffers` and `diff` are only evaluated when ``isTracing`` is true.
    /// - Throws: ``RuntimeAbort`` once the run is aborted (stepped mode; free-run only while
    ///   tracing).
    @inline(__always)
    public func tracepoint(
        _ function: String, _ phase: TracePhase, _ message: @autoclosure () -> String,
        buffers: @autoclosure () -> [TraceBuffer] = [], diff: @autoclosure () -> [StateDiff] = []
    ) throws {
        guard isTracing else { return }
        try recordTracepoint(function: function, phase: phase, mid: nil, message: message, buffers: buffers, diff: diff)
    }

    /// ``runMain(name:_:)`` with the thread named `main`.
    public func runMain(_ body: @escaping @Sendable () throws -> Void) throws {
        try runMain(name: "main", body)
    }

    /// Id of the calling simulated thread (0 outside the runtime).
    public var currentThreadID: Int { currentThread?.id ?? 0 }

    /// Takes `mutex`, blocking (through the runtime) while another thread holds it.
    /// Mirrors the kernel's `mutex_lock`.
    public func lock(_ mutex: KernelMutex) throws {
        let me = currentThreadID
        try withLock {
            try wait(on: mutex.queue) { mutex.holder == nil }
            mutex.holder = me
        }
    }

    /// Releases `mutex` and wakes one waiter. Mirrors the kernel's `mutex_unlock`.
    public func unlock(_ mutex: KernelMutex) {
        withLock {
            mutex.holder = nil
            wakeOne(mutex.queue)
        }
    }

    /// Runs `body` holding `mutex` (outside the runtime lock, so `body` may block and send).
    public func withMutex<T>(_ mutex: KernelMutex, _ body: () throws -> T) throws -> T {
        try lock(mutex)
        defer { unlock(mutex) }
        return try body()
    }
}
