#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Passing the baton. The controller makes the first decision of each call (`step`, `run`…) and
// sleeps; after that, the thread giving the baton up makes the next decision itself — same
// inputs, same code, same record — and hands the baton straight to the thread picked, or keeps
// it when it is picked again. Only when the call's stop condition holds, the run ends or a
// decision fails does the baton go back to the controller. One event then costs at most one
// hand-off between OS threads instead of two (and none when a thread keeps running).

/// One controller call in progress: what ends it, and how it ended. Guarded by the runtime's mutex.
final class RunSession {
    enum Stop {
        /// After the first event (``SteppedRuntime/step(choosing:)``).
        case afterEvent
        /// Once this many events have been recorded (``SteppedRuntime/run(untilEvent:)``).
        case atEventCount(Int)
        /// When the closure returns `true` for an event (``SteppedRuntime/run(until:)``).
        case when((TraceEvent) -> Bool)
        /// Only when the run ends (``SteppedRuntime/runToCompletion()``).
        case never
    }

    let stop: Stop
    /// The event at which `stop` held.
    var stoppedAt: TraceEvent?
    /// What a decision made on a simulated thread threw, for the controller to throw.
    var error: (any Error)?

    init(_ stop: Stop) {
        self.stop = stop
    }
}

/// The outcome of one scheduling decision.
enum Pick {
    /// Run this thread (the decision is recorded).
    case thread(KernelThread)
    /// Every thread has finished.
    case runEnded
    /// The run was aborted: the controller releases every thread.
    case aborted
    /// No thread can run until bytes come from the network: only the controller waits for them
    /// (the hand-off watchdog watches simulated threads, and a wait must not look like a hang).
    case awaitingInput
}

extension SteppedRuntime {
    // MARK: Deciding (mutex held)

    /// Picks the next thread to run and records the decision: the caller's `requested` thread
    /// (used once), else the next replayed decision, else the policy. Jumps the clock to the
    /// earliest deadline when every live thread waits for it.
    ///
    /// Runs on the controller or on the simulated thread giving the baton up; the inputs are the
    /// same either way, so the decisions are too.
    /// - Throws: ``RuntimeError/deadlock(_:)`` and ``RuntimeError/replayDiverged(decision:expectedRunnable:actualRunnable:)``
    ///   (both also stored in `fatal`); ``RuntimeError/notRunnable(threadID:runnable:)`` for a
    ///   requested or policy-chosen thread that cannot run (nothing recorded).
    func pickUnderMutex(requested: inout Int?, mayWait: Bool) throws -> Pick {
        while true {
            if aborted { return .aborted }
            deliverExternalInput()
            let runnable = allThreads.filter(isRunnable)
            if runnable.isEmpty {
                if allThreads.allSatisfy(\.finished) { return .runEnded }
                let deadline = earliestDeadline()
                if let input = externalInput, input.awaitsArrival(live: isLiveDecision) {
                    guard mayWait else { return .awaitingInput }
                    try awaitExternalInput(input, deadline: deadline)
                    continue
                }
                if let deadline {
                    jumpClock(to: deadline)
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
            return .thread(thread)
        }
    }

    // MARK: Input from outside (mutex held)

    /// Whether the decision about to be made is past the replayed ones.
    var isLiveDecision: Bool { recordedDecisions.count >= replaying.count }

    /// Lets the external input move what is due before the next decision into the transports,
    /// and wakes their readers.
    func deliverExternalInput() {
        guard let input = externalInput else { return }
        let decision = recordedDecisions.count
        let live = isLiveDecision && decision >= noLivePollBefore
        for queue in input.deliver(beforeDecision: decision, live: live) { wakeAllUnderMutex(queue) }
    }

    /// Moves the clock to `deadline`; no new bytes are taken in before the next decision.
    func jumpClock(to deadline: UInt64) {
        clock = max(clock, deadline)
        noLivePollBefore = recordedDecisions.count + 1
    }

    /// Waits in real time, the mutex released, for the network — at most until the simulated
    /// `deadline` of a timer (then the clock jumps to it, as with no network) or the silence limit.
    /// - Throws: ``RuntimeError/interrupted(waiting:)`` and ``RuntimeError/serverSilent(seconds:waiting:)``;
    ///   neither ends the run (nothing was decided), so they are not stored in `fatal`;
    ///   ``RuntimeError/inputEnded(_:waiting:)``, which does.
    func awaitExternalInput(_ input: any ExternalInput, deadline: UInt64?) throws {
        let limit = nanoseconds(silenceLimit)
        let untilTimer = deadline.map { $0 > clock ? $0 - clock : 0 }
        let patience = min(untilTimer ?? limit, limit)
        mutex.unlock()
        waitingForInput.store(true, ordering: .releasing)
        let outcome = input.waitForArrival(nanoseconds: patience) { [self] in
            interruptRequested.load(ordering: .relaxed) || alsoInterruptedWhen?() == true
        }
        waitingForInput.store(false, ordering: .releasing)
        mutex.lock()
        switch outcome {
        case .arrived:
            return
        case .interrupted:
            throw RuntimeError.interrupted(waiting: blockedReport())
        case let .ended(reason):
            let error = RuntimeError.inputEnded(reason, waiting: blockedReport())
            fatal = error
            throw error
        case .timedOut:
            if let deadline, untilTimer.map({ $0 <= limit }) ?? false {
                jumpClock(to: deadline)
                return
            }
            let (seconds, attoseconds) = silenceLimit.components
            throw RuntimeError.serverSilent(
                seconds: Double(seconds) + Double(attoseconds) / 1e18, waiting: blockedReport())
        }
    }

    /// Makes `thread` the baton holder (the decision is already recorded); it runs once it wakes.
    func grantBaton(to thread: KernelThread) {
        if thread.state == .waitingForLock || (thread.state == .blocked && thread.reacquiresLock) {
            lockOwner = thread
        }
        thread.state = .running
        current = thread
        thread.hasBaton = true
        batonSince = monotonicNanoseconds()
    }

    // MARK: The simulated thread's side (mutex held)

    /// Called by `me`, the baton holder, as it stops (at a tracepoint, blocking, or finishing):
    /// checks the controller call's stop condition, then makes the next decision on the
    /// controller's behalf.
    /// - Parameter event: the event `me` just recorded, if it stops at a tracepoint.
    /// - Returns: whom to wake once the mutex is released: the thread picked, or the controller;
    ///   `nil` when `me` itself was picked and just keeps running.
    func handOn(from me: KernelThread, after event: TraceEvent?) -> Parker? {
        guard let session else {
            // A single resume (`step(only:)`, releasing threads after an abort): back to the controller.
            current = nil
            return controllerParker
        }
        if let event, shouldStop(session, at: event) {
            session.stoppedAt = event
            current = nil
            return controllerParker
        }
        do {
            var requested: Int?
            switch try pickUnderMutex(requested: &requested, mayWait: false) {
            case .thread(let next):
                grantBaton(to: next)
                return next === me ? nil : next.parker
            case .runEnded, .aborted, .awaitingInput:
                break  // the controller ends the call (after an abort releases everyone) or waits
            }
        } catch {
            session.error = error
        }
        current = nil
        return controllerParker
    }

    /// Whether the controller call ends at `event`. A ``run(until:)`` closure runs here, on the
    /// simulated thread that recorded the event, but as if on the controller: `currentThread` is
    /// `nil` and `withLock` runs its body at once.
    private func shouldStop(_ session: RunSession, at event: TraceEvent) -> Bool {
        switch session.stop {
        case .afterEvent:
            return true
        case .atEventCount(let count):
            return eventCount >= count
        case .never:
            return false
        case .when(let stop):
            let thread = pthread_getspecific(currentKernelThreadKey)
            let lock = pthread_getspecific(heldRuntimeLockKey)
            pthread_setspecific(currentKernelThreadKey, nil)
            pthread_setspecific(heldRuntimeLockKey, nil)
            callingStop = true
            defer {
                callingStop = false
                pthread_setspecific(currentKernelThreadKey, thread)
                pthread_setspecific(heldRuntimeLockKey, lock)
            }
            return stop(event)
        }
    }

    // MARK: The controller's side (mutex held exactly once)

    /// Runs one controller call: decides, hands the baton out and sleeps until it comes back
    /// with the stop condition met, the run over, or a failure.
    /// - Returns: the event at which `stop` held; `nil` when the run ended or was aborted.
    func drive(requested: Int?, stop: RunSession.Stop) throws -> TraceEvent? {
        precondition(!callingStop, "a run(until:) condition must not step, run or abort the runtime")
        if let fatal { throw fatal }
        interruptRequested.store(false, ordering: .relaxed)
        let session = RunSession(stop)
        self.session = session
        defer { self.session = nil }
        var requested = requested
        while true {
            switch try pickUnderMutex(requested: &requested, mayWait: true) {
            case .awaitingInput:
                // Only a thread deciding on the controller's behalf gives up this way.
                preconditionFailure("the controller's own decision waits for the network itself")
            case .aborted:
                // Aborted from inside a simulated thread: release everyone now.
                self.session = nil
                drainUnderMutex()
                return nil
            case .runEnded:
                return nil
            case .thread(let thread):
                grantBaton(to: thread)
                do {
                    try awaitControl(posting: thread.parker)
                } catch let error as RuntimeError {
                    fatal = error
                    throw error
                }
                if let error = session.error { throw error }
                if aborted {
                    // `stop` aborted the run: release everyone, as an abort from the controller does.
                    self.session = nil
                    drainUnderMutex()
                    return session.stoppedAt
                }
                if let event = session.stoppedAt { return event }
            }
        }
    }

    /// Hands the baton to `thread` and waits until it comes back.
    func resume(_ thread: KernelThread) throws {
        grantBaton(to: thread)
        try awaitControl(posting: thread.parker)
    }

    /// Releases the mutex, wakes `parker` and sleeps until the baton is back with the controller
    /// (`current == nil`). Throws when one holder keeps it longer than `handoffTimeout` (counted
    /// from when it got the baton, but never less than the timeout from this call).
    func awaitControl(posting parker: Parker?) throws {
        var parker = parker
        let start = monotonicNanoseconds()
        while current != nil {
            let deadline = max(batonSince, start) &+ handoffTimeoutNanoseconds
            mutex.unlock()
            parker?.post()
            parker = nil
            let woken = controllerParker.wait(untilMonotonic: deadline)
            mutex.lock()
            if !woken, let holder = current,
                monotonicNanoseconds() >= max(batonSince, start) &+ handoffTimeoutNanoseconds
            {
                let (seconds, attoseconds) = handoffTimeout.components
                throw RuntimeError.handoffTimedOut(
                    threadID: holder.id, threadName: holder.name,
                    seconds: Double(seconds) + Double(attoseconds) / 1e18)
            }
        }
    }
}
