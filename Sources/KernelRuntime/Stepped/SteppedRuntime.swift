import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The runtime that runs one simulated thread at a time, stopping at every tracepoint.
///
/// Every simulated thread is a real OS thread, but only the holder of the **baton** runs. At a
/// tracepoint, or when it blocks, the running thread gives up the baton and parks; the next
/// runnable thread is picked — by ``SchedulingPolicy``, by a replayed decision, or by the caller's
/// explicit choice — the decision is recorded, and that thread resumes. The controller (whoever
/// calls ``step(choosing:)``, ``run(until:)``, ``run(untilEvent:)`` or ``runToCompletion()``)
/// makes the first decision of its call; the later ones are made, with the same inputs, by the
/// thread giving up the baton, which hands it straight on (or keeps running when it is picked
/// again). The controller wakes only when its call is done: the stop condition held, the run
/// ended, or it failed.
/// A thread is runnable when it is stopped at a tracepoint or not started, or when it is blocked
/// and has been woken with its condition now true (or its deadline reached), and the runtime lock
/// it needs back is free.
///
/// Determinism: one seed fixes the program's random values and the scheduler's choices; the clock
/// advances ``nanosecondsPerEvent`` per event and jumps to the earliest deadline when every thread
/// sleeps. Two runs of one program with one seed produce equal events and decisions.
///
/// Reverse step: make a new runtime with the same seed and `replaying:` the decisions, run the
/// same program, and ``run(untilEvent:)`` to the event wanted. Abandon a run with ``abort()``,
/// which makes every parked thread throw ``RuntimeAbort`` and waits for them to unwind.
///
/// - Important: a thread holding the baton must not block outside the runtime (a real socket
///   read, `Thread.sleep`, a foreign lock): the controller would wait forever. It waits at most
///   `handoffTimeout` and then throws ``RuntimeError/handoffTimedOut(threadID:threadName:seconds:)``.
///   So use ``PipeTransport`` in stepped mode, not ``TCPTransport``.
///
/// Finish every run (``runToCompletion()``, ``runMain(name:_:)``) or ``abort()`` it: parked
/// threads hold the runtime alive and would otherwise stay parked for the life of the process.
///
/// Calls from outside the simulated threads (the controller inspecting state with `withLock`,
/// waking a queue, spawning) must happen between steps; `withLock` then runs its body at once,
/// even if a parked thread holds the lock mid-update (which is what an inspector wants to see).
public final class SteppedRuntime: KernelRuntime, @unchecked Sendable {
    /// The seed of the program's and the scheduler's generators.
    public let seed: UInt64
    /// Simulated nanoseconds the clock advances per recorded event.
    public let nanosecondsPerEvent: UInt64
    /// The wall-clock time (Unix nanoseconds) at which the run starts.
    public let epochUnixNanoseconds: UInt64
    /// How long the controller waits for the running thread to hand the baton back.
    public let handoffTimeout: Duration
    /// Every event of the run, in order.
    public let trace: TraceRecorder
    public var recorder: TraceRecorder? { trace }
    public var isTracing: Bool { true }

    /// Recursive so that a condition or message evaluated under it may read `now`.
    let mutex = PThreadMutex(recursive: true)
    /// Where the controller sleeps while a simulated thread holds the baton.
    let controllerParker = Parker()
    /// `handoffTimeout` in nanoseconds.
    let handoffTimeoutNanoseconds: UInt64

    // Guarded by `mutex`.
    var allThreads: [KernelThread] = []
    /// The thread holding the baton; `nil` while the controller has it.
    var current: KernelThread?
    /// Monotonic time at which `current` was last resumed: the handoff timeout counts from here.
    var batonSince: UInt64 = 0
    /// The controller call in progress, whose stop condition the simulated threads check.
    var session: RunSession?
    /// A simulated thread is calling a session's `stop`, on the controller's behalf.
    var callingStop = false
    /// The simulated thread holding the runtime lock.
    var lockOwner: KernelThread?
    var aborted = false
    var clock: UInt64 = 0
    var eventCount = 0
    var lastEvent: TraceEvent?
    var programRandom: SeededGenerator
    var schedulerRandom: SeededGenerator
    var schedulingPolicy: SchedulingPolicy
    let replaying: [SchedulingDecision]
    var recordedDecisions: [SchedulingDecision] = []
    var previousChoice: Int?
    /// A deadlock, replay divergence or handoff timeout: the run cannot continue.
    var fatal: RuntimeError?
    /// Bytes from a real server, taken in at decisions (``attach(_:)``).
    var externalInput: (any ExternalInput)?
    /// The first decision before which the network may be polled again. After the clock jumps
    /// at a decision, new bytes wait for the next one: a replay delivers a decision's logged
    /// bytes before any jump, so taking bytes in after one would make the replay differ.
    var noLivePollBefore = 0
    /// How long a real-time wait for the network lasts before the run stops and says so.
    var silenceLimit: Duration = SteppedRuntime.defaultSilenceLimit

    /// Set from any thread (a signal handler too: it is one atomic store) to end a real-time
    /// wait for the network; cleared when the next controller call starts.
    let interruptRequested = Atomic<Bool>(false)
    /// Also ends a real-time wait for the network when it returns `true`: a driver's own
    /// interruption flag, which no controller call clears (the stepper's Ctrl-C). Set it before
    /// the first controller call; it is called on the controller's thread while it waits.
    public var alsoInterruptedWhen: (@Sendable () -> Bool)?
    /// Set while the controller waits in real time for the network.
    let waitingForInput = Atomic<Bool>(false)

    /// How long the controller waits in real time for a silent server before the call ends with
    /// ``RuntimeError/serverSilent(seconds:waiting:)``: long enough for any server on a working
    /// network, short enough that a headless run against a dead one ends.
    public static let defaultSilenceLimit: Duration = .seconds(60)

    /// 2013-02-19 00:00:00 UTC, the day after Linux 3.8 was released.
    public static let defaultEpochUnixNanoseconds: UInt64 = 1_361_232_000 * 1_000_000_000

    /// - Parameters:
    ///   - seed: fixes the program's random values and the scheduler's choices.
    ///   - policy: how to pick a thread when neither a replayed decision nor the caller does.
    ///   - replaying: decisions of an earlier run to follow first (for replay and reverse step);
    ///     once they are used up, `policy` takes over.
    ///   - nanosecondsPerEvent: how far the simulated clock advances per event.
    ///   - epochUnixNanoseconds: wall-clock time at the start of the run.
    ///   - handoffTimeout: how long the controller waits for the running thread.
    public init(
        seed: UInt64 = 0, policy: SchedulingPolicy = .seededRandom, replaying: [SchedulingDecision] = [],
        nanosecondsPerEvent: UInt64 = 1_000, epochUnixNanoseconds: UInt64 = SteppedRuntime.defaultEpochUnixNanoseconds,
        handoffTimeout: Duration = .seconds(10)
    ) {
        self.seed = seed
        self.schedulingPolicy = policy
        self.replaying = replaying
        self.nanosecondsPerEvent = nanosecondsPerEvent
        self.epochUnixNanoseconds = epochUnixNanoseconds
        self.handoffTimeout = handoffTimeout
        self.handoffTimeoutNanoseconds = nanoseconds(handoffTimeout)
        self.trace = TraceRecorder()
        self.programRandom = SeededGenerator(seed: seed)
        // A distinct stream, so scheduling choices do not shift the program's random values.
        self.schedulerRandom = SeededGenerator(seed: seed ^ 0x5CED_5CED_5CED_5CED)
    }

    // MARK: Lock

    var selfPointer: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    /// Whether the calling OS thread holds this runtime's lock.
    public var holdsLock: Bool { pthread_getspecific(heldRuntimeLockKey) == selfPointer }

    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        let previous = pthread_getspecific(heldRuntimeLockKey)
        if previous == selfPointer { return try body() }
        let me = currentThread
        if let me { acquireLock(me) }
        pthread_setspecific(heldRuntimeLockKey, selfPointer)
        defer {
            pthread_setspecific(heldRuntimeLockKey, previous)
            if let me { releaseLock(me) }
        }
        return try body()
    }

    private func acquireLock(_ me: KernelThread) {
        mutex.lock()
        defer { mutex.unlock() }
        while let owner = lockOwner, owner !== me {
            me.state = .waitingForLock
            park(me)
        }
        lockOwner = me
    }

    private func releaseLock(_ me: KernelThread) {
        mutex.locked {
            if lockOwner === me { lockOwner = nil }
        }
    }

    // MARK: Threads

    public var currentThread: KernelThread? {
        guard let thread = currentKernelThread(), thread.runtime == ObjectIdentifier(self) else { return nil }
        return thread
    }

    @discardableResult
    public func spawn(name: String, _ body: @escaping @Sendable () throws -> Void) -> KernelThread {
        let thread = mutex.locked {
            let thread = KernelThread(id: allThreads.count + 1, name: name, runtime: ObjectIdentifier(self))
            allThreads.append(thread)
            return thread
        }
        let os = Thread { [self] in
            setCurrentKernelThread(thread)
            mutex.lock()
            awaitBaton(thread, posting: nil)
            let skip = aborted
            mutex.unlock()
            var failure: (any Error)?
            if skip {
                failure = RuntimeAbort()
            } else {
                do { try body() } catch { failure = error }
            }
            finish(thread, failure: failure)
            setCurrentKernelThread(nil)
        }
        os.name = name
        os.start()
        return thread
    }

    private func finish(_ thread: KernelThread, failure: (any Error)?) {
        mutex.lock()
        thread.finished = true
        thread.state = .finished
        thread.failure = failure
        if lockOwner === thread { lockOwner = nil }
        wakeAllUnderMutex(thread.exitQueue)
        let next = current === thread ? handOn(from: thread, after: nil) : controllerParker
        mutex.unlock()
        next?.post()
    }

    public func join(_ thread: KernelThread) throws {
        guard let me = currentThread else { throw RuntimeError.notASimulatedThread(operation: "join") }
        guard !holdsLock else { throw RuntimeError.lockHeld(operation: "join") }
        if !mutex.locked({ thread.finished }) {
            // Not abortable: after an abort, joining is how unwinding threads wait for each other.
            try block(
                me, on: thread.exitQueue, condition: { thread.finished }, deadline: nil, reacquiresLock: false,
                abortable: false)
        }
        if let failure = mutex.locked({ thread.failure }) { throw failure }
    }

    /// Gives up the baton — to the next thread picked, or back to the controller — and parks
    /// until it is handed the baton again. `mutex` held exactly once; `me.state` says why it parks.
    /// - Parameter event: the event `me` just recorded, checked against the stop condition.
    func park(_ me: KernelThread, after event: TraceEvent? = nil) {
        let next = current === me ? handOn(from: me, after: event) : controllerParker
        awaitBaton(me, posting: next)
        me.state = .running
    }

    /// Releases `mutex`, posts `next` (so that the thread woken does not find the mutex taken) and
    /// sleeps until `me` holds the baton; returns with `mutex` held (exactly once) and the baton.
    func awaitBaton(_ me: KernelThread, posting next: Parker?) {
        var next = next
        while !me.hasBaton {
            mutex.unlock()
            next?.post()
            next = nil
            me.parker.wait()
            mutex.lock()
        }
        me.hasBaton = false
    }

    // MARK: Waiting

    public func wait(on queue: WaitQueue, until condition: () -> Bool) throws {
        guard let me = currentThread else { throw RuntimeError.notASimulatedThread(operation: "wait on \(queue.name)") }
        guard holdsLock else { throw RuntimeError.lockNotHeld(operation: "wait on \(queue.name)") }
        if condition() { return }
        try block(me, on: queue, condition: condition, deadline: nil, reacquiresLock: true, abortable: true)
    }

    public func wait(on queue: WaitQueue, timeout: UInt64, until condition: () -> Bool) throws -> Bool {
        guard let me = currentThread else { throw RuntimeError.notASimulatedThread(operation: "wait on \(queue.name)") }
        guard holdsLock else { throw RuntimeError.lockNotHeld(operation: "wait on \(queue.name)") }
        if condition() { return true }
        let deadline = mutex.locked { clock &+ timeout }
        try block(me, on: queue, condition: condition, deadline: deadline, reacquiresLock: true, abortable: true)
        return condition()
    }

    public func sleep(nanoseconds: UInt64) throws {
        guard let me = currentThread else { throw RuntimeError.notASimulatedThread(operation: "sleep") }
        guard !holdsLock else { throw RuntimeError.lockHeld(operation: "sleep") }
        let deadline = mutex.locked { clock &+ nanoseconds }
        try block(
            me, on: me.sleepQueue, condition: { false }, deadline: deadline, reacquiresLock: false, abortable: true)
    }

    /// Registers `me` as blocked and parks it until the controller resumes it (condition true,
    /// deadline reached, or run aborted); by then the controller has given the lock back.
    private func block(
        _ me: KernelThread, on queue: WaitQueue, condition: () -> Bool, deadline: UInt64?, reacquiresLock: Bool,
        abortable: Bool
    ) throws {
        try withoutActuallyEscaping(condition) { condition in
            mutex.lock()
            defer { mutex.unlock() }
            if aborted && abortable { throw RuntimeAbort() }
            me.state = .blocked
            me.blockedOn = queue
            me.predicate = condition
            me.woken = false
            me.deadline = deadline
            me.reacquiresLock = reacquiresLock
            me.abortable = abortable
            queue.waiters.append(me)
            if reacquiresLock, lockOwner === me { lockOwner = nil }
            park(me)
            queue.remove(me)
            me.predicate = nil
            me.blockedOn = nil
            me.deadline = nil
            if aborted && abortable { throw RuntimeAbort() }
        }
    }

    public func wakeAll(_ queue: WaitQueue) {
        mutex.locked { wakeAllUnderMutex(queue) }
    }

    func wakeAllUnderMutex(_ queue: WaitQueue) {
        for thread in queue.waiters { thread.woken = true }
        queue.waiters.removeAll()
    }

    public func wakeOne(_ queue: WaitQueue) {
        mutex.locked {
            guard !queue.waiters.isEmpty else { return }
            queue.waiters.removeFirst().woken = true
        }
    }

    // MARK: Tracing

    public func recordTracepoint(
        function: String, phase: TracePhase, mid: Int?, message: () -> String,
        buffers: () -> [TraceBuffer], diff: () -> [StateDiff]
    ) throws {
        let me = currentThread
        if mutex.locked({ aborted }) { throw RuntimeAbort() }
        let text = message()
        let attached = buffers()
        let changes = diff()
        mutex.lock()
        defer { mutex.unlock() }
        if aborted { throw RuntimeAbort() }
        let time = clock
        clock &+= nanosecondsPerEvent
        eventCount += 1
        let event = trace.record { sequence in
            TraceEvent(
                sequence: sequence, time: time, threadID: me?.id ?? 0, threadName: me?.name ?? "controller",
                function: function, phase: phase, mid: mid, message: text, buffers: attached, diff: changes)
        }
        lastEvent = event
        guard let me, current === me else { return }
        me.state = .ready
        park(me, after: event)
        if aborted { throw RuntimeAbort() }
    }

    // MARK: Time and randomness

    public var now: UInt64 { mutex.locked { clock } }

    public var unixNanoseconds: UInt64 { epochUnixNanoseconds &+ now }

    public func randomUInt64() -> UInt64 {
        mutex.locked { programRandom.next() }
    }

    public func randomBytes(_ count: Int) -> [UInt8] {
        mutex.locked { programRandom.bytes(count) }
    }
}
