import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The runtime with real concurrency: how `cifstep get` runs against Samba at full speed.
///
/// One `pthread_mutex_t` guards all kernel state; every thread sleeps on its own semaphore
/// with that mutex released, and a ``WaitQueue`` lists the threads to post, so a wake-up
/// reaches only the waiters of that queue (posted once the waker has released the mutex).
/// Tracepoints cost one branch unless a recorder is attached. The random generator is seeded and guarded by the lock, so the
/// sequence of values is reproducible (which thread gets which value depends on the schedule).
///
/// Deadlock detection: while ``runMain(name:_:)`` runs, the runtime counts threads that are not
/// blocked in an untimed wait; when that count drops to zero with threads still alive, it
/// records ``RuntimeError/deadlock(_:)`` and aborts. A thread inside a real socket call counts
/// as running, so waiting on a peer is never mistaken for a deadlock.
public final class FreeRunRuntime: KernelRuntime, @unchecked Sendable {
    public let recorder: TraceRecorder?
    public let isTracing: Bool
    /// The seed of the program's random generator.
    public let seed: UInt64

    let mutex = PThreadMutex()
    private let startMonotonic = monotonicNanoseconds()
    private let startWall = wallClockNanoseconds()

    // Guarded by `mutex`.
    private var generator: SeededGenerator
    private var threads: [KernelThread] = []
    private var foreignWaiters: [KernelThread] = []
    private var live = 0
    private var running = 0
    private var detectionDepth = 0
    private var aborted = false
    private var deadlockReport: [BlockedThread]?
    private let allFinished = WaitQueue("all threads finished")

    /// - Parameters:
    ///   - seed: seeds the program's random generator.
    ///   - recorder: where tracepoints go; `nil` turns tracing off (the fast path).
    public init(seed: UInt64 = 0, recorder: TraceRecorder? = nil) {
        self.seed = seed
        self.generator = SeededGenerator(seed: seed)
        self.recorder = recorder
        self.isTracing = recorder != nil
    }

    // MARK: Lock

    private var selfPointer: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }
    /// `heldRuntimeLockKey`, copied once: reading the lazy global costs a `swift_once` per
    /// `withLock`, and `withLock` runs several times per page.
    private let lockKey = heldRuntimeLockKey

    /// Whether the calling OS thread holds this runtime's lock.
    public var holdsLock: Bool { pthread_getspecific(lockKey) == selfPointer }

    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        let previous = pthread_getspecific(lockKey)
        if previous == selfPointer { return try body() }
        mutex.lock()
        pthread_setspecific(lockKey, selfPointer)
        defer {
            pthread_setspecific(lockKey, previous)
            if pendingSignals.isEmpty {
                mutex.unlock()
            } else {
                // Signal after unlocking, so a woken thread does not wake only to block on the mutex.
                var woken: [KernelThread] = []
                swap(&woken, &pendingSignals)
                mutex.unlock()
                for thread in woken { thread.parker.post() }
            }
        }
        return try body()
    }

    /// Signals deferred until the lock is released (see `withLock`). Guarded by `mutex`, which
    /// already makes every access exclusive (no dynamic exclusivity check on each `withLock`).
    @exclusivity(unchecked) private var pendingSignals: [KernelThread] = []

    /// Releases the mutex, then sends the deferred signals (a thread about to park).
    private func unlockAndFlushSignals() {
        if pendingSignals.isEmpty {
            mutex.unlock()
            return
        }
        var woken: [KernelThread] = []
        swap(&woken, &pendingSignals)
        mutex.unlock()
        for thread in woken { thread.parker.post() }
    }

    // MARK: Threads

    public var currentThread: KernelThread? {
        guard let thread = currentKernelThread(), thread.runtime == ObjectIdentifier(self) else { return nil }
        return thread
    }

    @discardableResult
    public func spawn(name: String, _ body: @escaping @Sendable () throws -> Void) -> KernelThread {
        let thread = withLock {
            let thread = KernelThread(id: threads.count + 1, name: name, runtime: ObjectIdentifier(self))
            threads.append(thread)
            live += 1
            running += 1
            return thread
        }
        let os = Thread { [self] in
            nameCallingOSThread(name)
            setCurrentKernelThread(thread)
            var failure: (any Error)?
            do { try body() } catch { failure = error }
            finish(thread, failure: failure)
            setCurrentKernelThread(nil)
        }
        os.name = name
        os.start()
        return thread
    }

    private func finish(_ thread: KernelThread, failure: (any Error)?) {
        withLock {
            thread.finished = true
            thread.failure = failure
            live -= 1
            running -= 1
            wakeAll(thread.exitQueue)
            if live == 0 { wakeAll(allFinished) }
            detectDeadlock()
        }
    }

    public func join(_ thread: KernelThread) throws {
        guard !holdsLock else { throw RuntimeError.lockHeld(operation: "join") }
        let me = currentThread ?? foreignStandIn()
        let failure: (any Error)? = withLock {
            // Not abortable: after an abort, joining is how unwinding threads wait for each other.
            while !thread.finished {
                block(me, on: thread.exitQueue, deadline: nil, abortable: false)
            }
            return thread.failure
        }
        if let failure { throw failure }
    }

    public func runMain(name: String, _ body: @escaping @Sendable () throws -> Void) throws {
        withLock { detectionDepth += 1 }
        spawn(name: name, body)
        let outcome: (any Error)? = withLock {
            let waiter = KernelThread(id: 0, name: "runMain", runtime: ObjectIdentifier(self), isForeign: true)
            while live > 0 {
                block(waiter, on: allFinished, deadline: nil, abortable: false)
            }
            detectionDepth -= 1
            return outcomeUnderRuntimeLock()
        }
        if let outcome { throw outcome }
    }

    /// The error `runMain` reports, by the documented preference. Runtime lock held.
    private func outcomeUnderRuntimeLock() -> (any Error)? {
        assert(holdsLock, "outcomeUnderRuntimeLock without the runtime lock")
        if let failure = threads.lazy.compactMap(\.failure).first(where: { !($0 is RuntimeAbort) }) {
            return failure
        }
        if let deadlockReport { return RuntimeError.deadlock(deadlockReport) }
        if aborted { return RuntimeAbort() }
        return nil
    }

    public func abort() {
        withLock { abortUnderRuntimeLock() }
    }

    public var isAborted: Bool { withLock { aborted } }

    /// Marks the run aborted and wakes every blocked thread. Runtime lock held.
    private func abortUnderRuntimeLock() {
        assert(holdsLock, "abortUnderRuntimeLock without the runtime lock")
        aborted = true
        for thread in threads + foreignWaiters where thread.blockedOn != nil {
            thread.parker.post()
        }
    }

    // MARK: Waiting

    public func wait(on queue: WaitQueue, until condition: () -> Bool) throws {
        guard holdsLock else { throw RuntimeError.lockNotHeld(operation: "wait on \(queue.name)") }
        if condition() { return }
        let thread = currentThread ?? foreignStandIn()
        repeat {
            if aborted { throw RuntimeAbort() }
            block(thread, on: queue, deadline: nil, abortable: true)
        } while !condition()
    }

    public func wait(on queue: WaitQueue, timeout: UInt64, until condition: () -> Bool) throws -> Bool {
        guard holdsLock else { throw RuntimeError.lockNotHeld(operation: "wait on \(queue.name)") }
        if condition() { return true }
        let deadline = monotonicNanoseconds() &+ timeout
        let thread = currentThread ?? foreignStandIn()
        repeat {
            if aborted { throw RuntimeAbort() }
            if monotonicNanoseconds() >= deadline { return false }
            block(thread, on: queue, deadline: deadline, abortable: true)
        } while !condition()
        return true
    }

    public func sleep(nanoseconds: UInt64) throws {
        guard !holdsLock else { throw RuntimeError.lockHeld(operation: "sleep") }
        let deadline = monotonicNanoseconds() &+ nanoseconds
        let thread = currentThread ?? foreignStandIn()
        try withLock {
            while monotonicNanoseconds() < deadline {
                if aborted { throw RuntimeAbort() }
                block(thread, on: thread.sleepQueue, deadline: deadline, abortable: true)
            }
        }
    }

    private func foreignStandIn() -> KernelThread {
        KernelThread(id: 0, name: "external", runtime: ObjectIdentifier(self), isForeign: true)
    }

    /// Parks `thread` on `queue` until a waker takes it off, the deadline passes or (if
    /// `abortable`) the run is aborted. Lock held on entry and on return.
    private func block(_ thread: KernelThread, on queue: WaitQueue, deadline: UInt64?, abortable: Bool) {
        thread.woken = false
        thread.blockedOn = queue
        queue.waiters.append(thread)
        if thread.isForeign { foreignWaiters.append(thread) }
        thread.countedAsBlocked = deadline == nil && !thread.isForeign
        if thread.countedAsBlocked {
            running -= 1
            detectDeadlock()
        }
        // The thread parks on its own semaphore with the mutex released, not on a condition
        // variable of the mutex: glibc takes a mutex back after a condition wait marked as
        // contended, so the next unlock made a futex system call whether or not anyone waited
        // (one per wake-up: a reader woken per READ_ANDX, cifsiod per completion). A post left
        // over from a timed-out wait only costs one more turn of this loop.
        while !thread.woken && !(abortable && aborted) {
            unlockAndFlushSignals()
            let inTime = deadline.map { thread.parker.wait(untilMonotonic: $0) } ?? {
                thread.parker.wait()
                return true
            }()
            mutex.lock()
            if !inTime { break }
        }
        if !thread.woken {
            // Timed out or aborted: nobody took us off the queue.
            queue.remove(thread)
            if thread.countedAsBlocked { running += 1 }
        }
        thread.countedAsBlocked = false
        thread.blockedOn = nil
        if thread.isForeign, let index = foreignWaiters.firstIndex(where: { $0 === thread }) {
            foreignWaiters.remove(at: index)
        }
    }

    /// Takes `thread` off its queue and signals it. Lock held.
    private func release(_ thread: KernelThread) {
        thread.woken = true
        if thread.countedAsBlocked {
            thread.countedAsBlocked = false
            running += 1
        }
        pendingSignals.append(thread)
    }

    public func wakeAll(_ queue: WaitQueue) {
        withLock {
            guard !queue.waiters.isEmpty else { return }
            let waiters = queue.waiters
            queue.waiters.removeAll(keepingCapacity: true)
            for thread in waiters { release(thread) }
        }
    }

    public func wakeOne(_ queue: WaitQueue) {
        withLock {
            guard !queue.waiters.isEmpty else { return }
            release(queue.waiters.removeFirst())
        }
    }

    /// Declares a deadlock when, during `runMain`, every live thread is blocked. Lock held.
    private func detectDeadlock() {
        guard detectionDepth > 0, running == 0, live > 0, !aborted else { return }
        deadlockReport = threads.filter { !$0.finished }.map {
            BlockedThread(id: $0.id, name: $0.name, waitingFor: $0.blockedOn?.name ?? "?")
        }
        abortUnderRuntimeLock()
    }

    // MARK: Tracing

    public func recordTracepoint(
        function: String, phase: TracePhase, mid: Int?, message: () -> String,
        buffers: () -> [TraceBuffer], diff: () -> [StateDiff]
    ) throws {
        guard let recorder else { return }
        if withLock({ aborted }) { throw RuntimeAbort() }
        let thread = currentThread
        let time = now
        let text = message()
        let attached = buffers()
        let changes = diff()
        recorder.record { sequence in
            TraceEvent(
                sequence: sequence, time: time, threadID: thread?.id ?? 0, threadName: thread?.name ?? "external",
                function: function, phase: phase, mid: mid, message: text, buffers: attached, diff: changes)
        }
    }

    // MARK: Time and randomness

    public var now: UInt64 { monotonicNanoseconds() &- startMonotonic }

    public var unixNanoseconds: UInt64 { startWall &+ now }

    public func randomUInt64() -> UInt64 {
        withLock { generator.next() }
    }

    public func randomBytes(_ count: Int) -> [UInt8] {
        withLock { generator.bytes(count) }
    }
}
