// The controller's side of the stepped runtime: choosing, resuming, aborting, reporting.
// Call these from one thread the runtime did not spawn (a test, the REPL).

extension SteppedRuntime {
    /// Every scheduling decision made so far, in order.
    public var decisions: [SchedulingDecision] { mutex.locked { recordedDecisions } }

    /// How many events have been recorded.
    public var recordedEventCount: Int { mutex.locked { eventCount } }

    /// The policy used when neither a replayed decision nor the caller picks a thread.
    public var policy: SchedulingPolicy {
        get { mutex.locked { schedulingPolicy } }
        set { mutex.locked { schedulingPolicy = newValue } }
    }

    /// A fresh runtime with this run's seed, policy and clock settings that replays this run's
    /// decisions so far. Start the same program on it and ``run(untilEvent:)`` to any event already
    /// seen — reverse step is `makeReplay()` then `run(untilEvent: n - 1)` (abort this run first
    /// if it is not finished).
    public func makeReplay() -> SteppedRuntime {
        mutex.locked {
            SteppedRuntime(
                seed: seed, policy: schedulingPolicy, replaying: recordedDecisions,
                nanosecondsPerEvent: nanosecondsPerEvent, epochUnixNanoseconds: epochUnixNanoseconds,
                handoffTimeout: handoffTimeout)
        }
    }

    /// Every thread spawned so far and what it is doing, by id.
    public var threads: [ThreadSnapshot] {
        mutex.locked { allThreads.map(snapshot) }
    }

    /// Ids of the threads that could run now, ascending. May evaluate blocked threads'
    /// conditions (between steps, that is safe).
    public var runnableThreadIDs: [Int] {
        mutex.locked { allThreads.filter(isRunnable).map(\.id) }
    }

    /// Runs until the next event and returns it; `nil` once every thread has finished (or the
    /// run was aborted).
    ///
    /// - Parameter threadID: run this thread first instead of asking the policy (the REPL's
    ///   `thread N`). If it blocks without an event, the policy picks the next ones (those
    ///   decisions are made by the thread that blocks, which hands the baton straight on).
    /// - Throws: ``RuntimeError/deadlock(_:)`` when no thread can run and not all have finished;
    ///   ``RuntimeError/replayDiverged(decision:expectedRunnable:actualRunnable:)``;
    ///   ``RuntimeError/handoffTimedOut(threadID:threadName:seconds:)``. After any of these the
    ///   run is over: call ``abort()``. ``RuntimeError/notRunnable(threadID:runnable:)`` (a bad
    ///   choice) leaves the run intact.
    @discardableResult
    public func step(choosing threadID: Int? = nil) throws -> TraceEvent? {
        mutex.lock()
        defer { mutex.unlock() }
        return try drive(requested: threadID, stop: .afterEvent)
    }

    /// Runs thread `threadID` alone — gdb's scheduler-locking: no other thread is resumed —
    /// until it records its next event, blocks, or finishes. Never hangs: a thread that blocks
    /// without an event is reported as ``StepOutcome/blocked(_:)`` and left parked.
    ///
    /// The choice is recorded as a decision like any other, so a replay reproduces it.
    /// - Throws: ``RuntimeError/notRunnable(threadID:runnable:)`` when the thread cannot run now
    ///   (blocked, finished, unknown); the run stays intact. The fatal errors of
    ///   ``step(choosing:)``.
    public func step(only threadID: Int) throws -> StepOutcome {
        mutex.lock()
        defer { mutex.unlock() }
        if let fatal { throw fatal }
        deliverExternalInput()
        let runnable = allThreads.filter(isRunnable)
        let ids = runnable.map(\.id)
        guard let thread = runnable.first(where: { $0.id == threadID }) else {
            throw RuntimeError.notRunnable(threadID: threadID, runnable: ids)
        }
        let eventsBefore = eventCount
        let index = recordedDecisions.count
        recordedDecisions.append(SchedulingDecision(index: index, afterEvent: eventCount, runnable: ids, chosen: threadID))
        previousChoice = threadID
        do {
            try resume(thread)
        } catch let error as RuntimeError {
            fatal = error
            throw error
        }
        if eventCount > eventsBefore, let lastEvent { return .event(lastEvent) }
        if thread.finished { return .finished(snapshot(thread)) }
        return .blocked(snapshot(thread))
    }

    /// Steps until `stop` returns `true` for a recorded event (checked after every event) or the
    /// run ends, and returns the last event recorded, if any. The events and decisions are those
    /// of repeated ``step(choosing:)`` calls; only the controller is not woken for each event.
    ///
    /// `stop` runs on the simulated thread that recorded the event, while the runtime is
    /// mid-handoff and its internal lock is held, but as if on the controller: it may read kernel
    /// state (`withLock` runs its body at once, as between steps) and ``abort()`` the run; it must
    /// not step, run, spawn, wait or sleep, nor take other locks.
    @discardableResult
    public func run(until stop: (TraceEvent) -> Bool) throws -> TraceEvent? {
        try withoutActuallyEscaping(stop) { stop in
            mutex.lock()
            defer { mutex.unlock() }
            return try drive(requested: nil, stop: .when(stop)) ?? lastEvent
        }
    }

    /// Steps until event number `sequence` has been recorded (or every thread finished): a
    /// replay's "go to event N". Like ``run(until:)``, it wakes the controller only at the end.
    /// - Returns: the last event recorded, if any.
    @discardableResult
    public func run(untilEvent sequence: Int) throws -> TraceEvent? {
        mutex.lock()
        defer { mutex.unlock() }
        if eventCount < sequence { _ = try drive(requested: nil, stop: .atEventCount(sequence)) }
        return lastEvent
    }

    /// Steps until every thread has finished, then throws the first error (in thread-id order)
    /// that a thread threw other than ``RuntimeAbort``.
    public func runToCompletion() throws {
        try mutex.locked {
            _ = try drive(requested: nil, stop: .never)
            if let failure = firstFailure() { throw failure }
        }
    }

    public func runMain(name: String, _ body: @escaping @Sendable () throws -> Void) throws {
        spawn(name: name, body)
        do {
            try runToCompletion()
        } catch let error as RuntimeError {
            abort()
            if let failure = mutex.locked({ firstFailure() }) { throw failure }
            throw error
        }
        if mutex.locked({ aborted }) { throw RuntimeAbort() }
    }

    /// Aborts the run: every parked thread is resumed in turn and its tracepoint, wait or sleep
    /// throws ``RuntimeAbort``, until all threads have finished. Returns when no thread can be
    /// released any more (check ``threads``: only a thread stuck outside the runtime can remain).
    ///
    /// Called from a simulated thread (or from a ``run(until:)`` condition), it only marks the
    /// run aborted (that thread's next tracepoint throws); the controller releases the others as
    /// soon as the baton comes back to it — in the call in progress, or at its next step.
    public func abort() {
        mutex.lock()
        defer { mutex.unlock() }
        aborted = true
        if currentThread == nil && !callingStop { drainUnderMutex() }
    }

    public var isAborted: Bool { mutex.locked { aborted } }

    /// Takes bytes from outside (a real server) into this run at its decisions. Attach before
    /// the first step, once.
    public func attach(_ input: any ExternalInput) {
        mutex.locked {
            precondition(externalInput == nil && recordedDecisions.isEmpty, "attach an input once, before the run starts")
            externalInput = input
        }
    }

    /// How long a real-time wait for the network lasts before the controller call ends with
    /// ``RuntimeError/serverSilent(seconds:waiting:)`` (default ``defaultSilenceLimit``).
    public var networkSilenceLimit: Duration {
        get { mutex.locked { silenceLimit } }
        set { mutex.locked { silenceLimit = newValue } }
    }

    /// Whether the controller is waiting in real time for the network right now (for a "waiting
    /// for the server" indicator). Safe from any thread.
    public var isWaitingForNetwork: Bool { waitingForInput.load(ordering: .acquiring) }

    /// Ends a real-time wait for the network in progress (or the next one of this controller
    /// call) with ``RuntimeError/interrupted(waiting:)``. Safe from any thread, and from a signal
    /// handler: it is a single atomic store.
    public func interrupt() {
        interruptRequested.store(true, ordering: .relaxed)
    }

    // MARK: Internals (mutex held)

    /// Resumes parked threads one at a time, lowest id first, until none can run.
    func drainUnderMutex() {
        // A thread that overran the handoff timeout may still hand the baton back.
        if current != nil { try? awaitControl(posting: nil) }
        while let next = allThreads.first(where: isRunnable) {
            do { try resume(next) } catch { return }
        }
    }

    /// Whether the controller may resume `thread` now. Consumes a wake-up whose condition is
    /// false again (the thread goes back onto its queue, as with a condition variable).
    func isRunnable(_ thread: KernelThread) -> Bool {
        switch thread.state {
        case .unstarted, .ready:
            return true
        case .running, .finished:
            return false
        case .waitingForLock:
            return lockOwner == nil
        case .blocked:
            if thread.reacquiresLock && lockOwner != nil { return false }
            if aborted && thread.abortable { return true }
            if let deadline = thread.deadline, clock >= deadline { return true }
            guard thread.woken else { return false }
            if thread.predicate?() ?? true { return true }
            thread.woken = false
            thread.blockedOn?.waiters.append(thread)
            return false
        }
    }

    /// The earliest deadline of a blocked thread that only waits for the clock.
    func earliestDeadline() -> UInt64? {
        allThreads.lazy
            .filter { $0.state == .blocked && !($0.reacquiresLock && self.lockOwner != nil) }
            .compactMap(\.deadline)
            .min()
    }

    func blockedReport() -> [BlockedThread] {
        allThreads.filter { !$0.finished }.map { thread in
            let waitingFor: String
            switch thread.state {
            case .waitingForLock:
                waitingFor = "runtime lock (held by \(lockOwner.map(\.description) ?? "nobody"))"
            default:
                waitingFor = thread.blockedOn?.name ?? "?"
            }
            return BlockedThread(id: thread.id, name: thread.name, waitingFor: waitingFor)
        }
    }

    func firstFailure() -> (any Error)? {
        allThreads.lazy.compactMap(\.failure).first { !($0 is RuntimeAbort) }
    }

    func snapshot(_ thread: KernelThread) -> ThreadSnapshot {
        let status: ThreadStatus
        switch thread.state {
        case .unstarted: status = .notStarted
        case .ready: status = .ready
        case .running: status = .running
        case .waitingForLock: status = .waitingForLock
        case .blocked:
            if thread.blockedOn === thread.sleepQueue {
                status = .sleeping(until: thread.deadline ?? clock)
            } else if thread.woken, !(thread.reacquiresLock && lockOwner != nil), thread.predicate?() ?? true {
                // Its wait is over; it only waits for the scheduler (read, not consumed).
                status = .woken(from: thread.blockedOn?.name ?? "?")
            } else {
                status = .blocked(on: thread.blockedOn?.name ?? "?", deadline: thread.deadline)
            }
        case .finished:
            status = thread.failure.map { .failed(String(describing: $0)) } ?? .finished
        }
        return ThreadSnapshot(id: thread.id, name: thread.name, status: status)
    }
}
