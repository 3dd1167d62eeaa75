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
    ///   `thread N`). If it blocks without an event, the policy picks the next ones.
    /// - Throws: ``RuntimeError/deadlock(_:)`` when no thread can run and not all have finished;
    ///   ``RuntimeError/replayDiverged(decision:expectedRunnable:actualRunnable:)``;
    ///   ``RuntimeError/handoffTimedOut(threadID:threadName:seconds:)``. After any of these the
    ///   run is over: call ``abort()``. ``RuntimeError/notRunnable(threadID:runnable:)`` (a bad
    ///   choice) leaves the run intact.
    @discardableResult
    public func step(choosing threadID: Int? = nil) throws -> TraceEvent? {
        mutex.lock()
        defer { mutex.unlock() }
        if let fatal { throw fatal }
        let eventsBefore = eventCount
        var requested = threadID
        while eventCount == eventsBefore {
            if aborted {
                // Aborted from inside a simulated thread: release everyone now.
                drainLocked()
                return nil
            }
            let runnable = allThreads.filter(isRunnable)
            if runnable.isEmpty {
                if allThreads.allSatisfy(\.finished) { return nil }
                if let deadline = earliestDeadline() {
                    clock = max(clock, deadline)
                    continue
                }
                let report = RuntimeError.deadlock(blockedReport())
                fatal = report
                throw report
            }
            let ids = runnable.map(\.id)
            let index = recordedDecisions.count
            let chosen: Int
            if let wanted = requested {
                guard ids.contains(wanted) else { throw RuntimeError.notRunnable(threadID: wanted, runnable: ids) }
                chosen = wanted
                requested = nil
            } else if index < replaying.count {
                let recorded = replaying[index]
                guard recorded.runnable == ids, ids.contains(recorded.chosen) else {
                    let divergence = RuntimeError.replayDiverged(
                        decision: index, expectedRunnable: recorded.runnable, actualRunnable: ids)
                    fatal = divergence
                    throw divergence
                }
                chosen = recorded.chosen
            } else {
                let context = SchedulingContext(
                    runnable: runnable.map(snapshot), previous: previousChoice, decision: index,
                    random: schedulerRandom.next())
                chosen = schedulingPolicy.choose(context)
                guard ids.contains(chosen) else { throw RuntimeError.notRunnable(threadID: chosen, runnable: ids) }
            }
            recordedDecisions.append(
                SchedulingDecision(index: index, afterEvent: eventCount, runnable: ids, chosen: chosen))
            previousChoice = chosen
            guard let thread = runnable.first(where: { $0.id == chosen }) else { continue }
            do {
                try resume(thread)
            } catch let error as RuntimeError {
                fatal = error
                throw error
            }
        }
        return lastEvent
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
    /// run ends, and returns the last event recorded, if any.
    ///
    /// `stop` may be called on any thread while the runtime is mid-handoff: it must only look at
    /// the event and at state it owns (no runtime calls, no locks).
    @discardableResult
    public func run(until stop: (TraceEvent) -> Bool) throws -> TraceEvent? {
        while let event = try step() {
            if stop(event) { return event }
        }
        return mutex.locked { lastEvent }
    }

    /// Steps until event number `sequence` has been recorded (or every thread finished).
    /// - Returns: the last event recorded, if any.
    @discardableResult
    public func run(untilEvent sequence: Int) throws -> TraceEvent? {
        while recordedEventCount < sequence {
            guard try step() != nil else { break }
        }
        return mutex.locked { lastEvent }
    }

    /// Steps until every thread has finished, then throws the first error (in thread-id order)
    /// that a thread threw other than ``RuntimeAbort``.
    public func runToCompletion() throws {
        while try step() != nil {}
        if let failure = mutex.locked({ firstFailure() }) { throw failure }
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
    /// Called from a simulated thread, it only marks the run aborted (that thread's next
    /// tracepoint throws) and the controller's next ``step(choosing:)`` releases the others.
    public func abort() {
        mutex.lock()
        defer { mutex.unlock() }
        aborted = true
        if currentThread == nil { drainLocked() }
    }

    public var isAborted: Bool { mutex.locked { aborted } }

    // MARK: Internals (mutex held)

    /// Resumes parked threads one at a time, lowest id first, until none can run.
    private func drainLocked() {
        // A thread that overran the handoff timeout may still hand the baton back.
        if current != nil { try? awaitBaton() }
        while let next = allThreads.first(where: isRunnable) {
            do { try resume(next) } catch { return }
        }
    }

    /// Hands the baton to `thread` and waits until it parks again or finishes.
    private func resume(_ thread: KernelThread) throws {
        if thread.state == .waitingForLock || (thread.state == .blocked && thread.reacquiresLock) {
            lockOwner = thread
        }
        thread.state = .running
        current = thread
        thread.hasBaton = true
        thread.condition.signal()
        try awaitBaton()
    }

    /// Waits for the baton to come back, at most `handoffTimeout`.
    private func awaitBaton() throws {
        let deadline = monotonicNanoseconds() &+ nanoseconds(handoffTimeout)
        while let running = current {
            if !controllerCondition.wait(mutex, untilMonotonic: deadline), current === running {
                let (seconds, attoseconds) = handoffTimeout.components
                throw RuntimeError.handoffTimedOut(
                    threadID: running.id, threadName: running.name,
                    seconds: Double(seconds) + Double(attoseconds) / 1e18)
            }
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
    private func earliestDeadline() -> UInt64? {
        allThreads.lazy
            .filter { $0.state == .blocked && !($0.reacquiresLock && self.lockOwner != nil) }
            .compactMap(\.deadline)
            .min()
    }

    private func blockedReport() -> [BlockedThread] {
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
            } else {
                status = .blocked(on: thread.blockedOn?.name ?? "?", deadline: thread.deadline)
            }
        case .finished:
            status = thread.failure.map { .failed(String(describing: $0)) } ?? .finished
        }
        return ThreadSnapshot(id: thread.id, name: thread.name, status: status)
    }
}
