import KernelRuntime

// Moving: forward runs with their goals and stops, replays, explicit thread choices.

extension StepperSession {
    /// Where a forward run is headed.
    enum Goal {
        /// After this many events.
        case steps(Int)
        /// At `thread`'s next event of level ≤ `level`.
        case next(thread: Int, level: Int)
        /// At the `exit` that leaves `thread` with fewer than `depth` frames.
        case finish(thread: Int, depth: Int)
        /// Only a stop or the end.
        case forever
        /// Once event number `sequence` is recorded.
        case event(Int)
    }

    // MARK: Forward

    /// Runs toward `goal`, stopping early at breakpoints and watches when `honourStops`.
    ///
    /// Without watches, events go through ``SteppedRuntime/run(until:)`` whose `stop` closure
    /// only looks at the event and the session's own frames: it stops at the goal or at a call
    /// of a breakpoint's function, and the condition (which reads live state) is tested after
    /// the runtime returns — a false one just continues. With watches, each event is one
    /// ``SteppedRuntime/step(choosing:)`` and the watched values are read after it.
    ///
    /// - Parameters:
    ///   - collect: keep the events for the result (off for replays and scans).
    ///   - onStop: called for each stop a breakpoint or watch would make; return `false` to run on
    ///     (`reverseContinue` scans this way). Without it every such stop stops.
    func advance(
        _ goal: Goal, honourStops: Bool, collect: Bool = true, onStop: ((StopReason) -> Bool)? = nil
    ) -> (events: [TraceEvent], stop: StopReason) {
        if let ended { return ([], .end(ended)) }
        var seen: [TraceEvent] = []
        var taken = 0
        let functions = honourStops ? Set(stopPoints.compactMap(\.function)) : []
        let watching = honourStops && stopPoints.contains { $0.watchedPath != nil }
        var goalReached = false
        var callHit = false
        // A fault armed after an event this run replays: stop there to arm it again.
        var faultDue = nextFaultEvent
        var faultHit = false
        // Only moves a driver asked for stop on an interruption; a replay always finishes.
        let interruptible = collect
        var interruptHit = false
        var tracker = self.tracker
        defer { self.tracker = tracker }

        // Pure with respect to the runtime: safe inside `run(until:)`.
        func consider(_ event: TraceEvent) -> Bool {
            let level = tracker.absorb(event)
            if collect { seen.append(event) }
            taken += 1
            switch goal {
            case let .steps(count): goalReached = taken >= count
            case let .next(thread, target): goalReached = event.threadID == thread && level <= target
            case let .finish(thread, depth):
                goalReached = event.threadID == thread && event.phase == .exit
                    && tracker.stack(of: event.threadID).count < depth
            case .forever: goalReached = false
            case let .event(sequence): goalReached = event.sequence >= sequence
            }
            callHit = functions.contains(event.function) && Self.isCall(event, level: level, tracker: tracker)
            faultHit = faultDue.map { event.sequence >= $0 } ?? false
            interruptHit = interruptible && interruption.isRequested
            return goalReached || callHit || faultHit || interruptHit || (honourStops && taken >= eventLimit)
        }

        while true {
            var stopped: TraceEvent?
            do {
                if watching {
                    guard let event = try runtime.step() else {
                        self.tracker = tracker
                        return (seen, endRun(error: nil))
                    }
                    _ = consider(event)
                    stopped = event
                } else {
                    try runtime.run { event in
                        guard consider(event) else { return false }
                        stopped = event
                        return true
                    }
                    guard stopped != nil else {
                        self.tracker = tracker
                        return (seen, endRun(error: nil))
                    }
                }
            } catch let error as RuntimeError where error.leavesRunIntact {
                // A wait for a real server was interrupted or went unanswered: nothing was decided.
                self.tracker = tracker
                syncTimeline()
                if case .interrupted = error { interruption.clear() }
                return (seen, Self.stopReason(for: error, after: taken))
            } catch {
                self.tracker = tracker
                return (seen, endRun(error: error))
            }
            guard let event = stopped else { continue }
            self.tracker = tracker
            if faultHit {
                applyFaults(through: event.sequence)
                faultDue = nextFaultEvent
            }
            // Between steps now: conditions and watches may read the program's state. Read the
            // watches first, so a breakpoint stop at the same event does not leave a change to be
            // reported one event late.
            let change = watching ? changedWatch(at: event) : nil
            if callHit, let hit = firstBreakpoint(hitBy: event) {
                let reason = StopReason.breakpoint(number: hit.number, function: event.function, event: event.sequence)
                if onStop?(reason) ?? true {
                    syncTimeline()
                    return (seen, reason)
                }
            }
            if let change {
                if onStop?(change) ?? true {
                    syncTimeline()
                    return (seen, change)
                }
            }
            if goalReached {
                syncTimeline()
                return (seen, .done)
            }
            if interruptHit {
                interruption.clear()
                syncTimeline()
                return (seen, .interrupted(events: taken))
            }
            if honourStops, taken >= eventLimit {
                syncTimeline()
                return (seen, .eventLimit(taken))
            }
        }
    }

    /// Whether `event` stands for a call of its function: its `enter`, or an unpaired event
    /// outside any frame of that function (a leaf).
    static func isCall(_ event: TraceEvent, level: Int, tracker: FrameTracker) -> Bool {
        switch event.phase {
        case .enter: return true
        case .exit: return false
        default: return level > tracker.stack(of: event.threadID).count
        }
    }

    /// The run is over: works out how it ended, from the program's own report first.
    func endRun(error: (any Error)?) -> StopReason {
        syncTimeline()
        let outcome: RunOutcome
        if let failure = run?.failure {
            outcome = .programFailed(failure)
        } else if let error {
            outcome = .runtimeFailed(String(describing: error))
        } else if let failed = runtime.threads.first(where: { if case .failed = $0.status { return true }; return false }),
                  case let .failed(message) = failed.status {
            outcome = .programFailed(ProgramFailure(thread: failed.name, error: message))
        } else {
            outcome = .completed(bytesRead: run?.output.count ?? 0)
        }
        // After a deadlock the threads stay parked where they wait, so `info threads` still says
        // on what; the next replay or reset (or close) aborts them. Any other failure aborts now.
        if let error, !Self.isDeadlock(error) { runtime.abort() }
        ended = outcome
        return .end(outcome)
    }

    /// The stop of a move that a wait for the network ended, after `events` events.
    static func stopReason(for error: RuntimeError, after events: Int) -> StopReason {
        switch error {
        case let .serverSilent(seconds, waiting): return .serverSilent(seconds: seconds, waiting: waiting)
        case let .interrupted(waiting): return .interrupted(events: events, waiting: waiting)
        default: return .interrupted(events: events)
        }
    }

    static func isDeadlock(_ error: any Error) -> Bool {
        if case .deadlock? = error as? RuntimeError { return true }
        return false
    }

    /// Extends the timeline with the decisions the runtime made past it.
    func syncTimeline() {
        let made = runtime.decisions
        if made.count > timeline.count { timeline = made }
    }

    // MARK: next, finish, step thread

    func next() throws(StepperError) -> CommandResult {
        guard let thread = selectedThread ?? runtime.trace.event(sequence: position)?.threadID else {
            throw StepperError.noCurrentThread
        }
        let level = tracker.lastLevel(of: thread) ?? Int.max
        return moved(advance(.next(thread: thread, level: level), honourStops: true))
    }

    func finish() throws(StepperError) -> CommandResult {
        guard let thread = selectedThread ?? runtime.trace.event(sequence: position)?.threadID else {
            throw StepperError.noCurrentThread
        }
        guard let depth = tracker.finishDepth(of: thread) else { throw StepperError.noFrame(thread: thread) }
        return moved(advance(.finish(thread: thread, depth: depth), honourStops: true))
    }

    /// Runs thread `id` alone (``SteppedRuntime/step(only:)``) for up to `count` events.
    func stepThread(_ id: Int, count: Int) throws(StepperError) -> CommandResult {
        let all = runtime.threads
        guard let snapshot = all.first(where: { $0.id == id }) else {
            throw StepperError.noSuchThread(id, known: all.map(\.id))
        }
        if let ended { return CommandResult(stop: .end(ended), position: position) }
        let runnable = runtime.runnableThreadIDs
        guard runnable.contains(id) else { throw StepperError.threadNotRunnable(snapshot, runnable: runnable) }
        try prepareExplicitChoice(id)
        if let ended { return CommandResult(stop: .end(ended), position: position) }
        var seen: [TraceEvent] = []
        var stop = StopReason.done
        selectedThread = id
        stepping: for _ in 0..<count {
            if interruption.isRequested, !seen.isEmpty {
                interruption.clear()
                stop = .interrupted(events: seen.count)
                break stepping
            }
            do {
                switch try runtime.step(only: id) {
                case let .event(event):
                    tracker.absorb(event)
                    seen.append(event)
                case let .blocked(thread):
                    stop = .threadBlocked(thread)
                    break stepping
                case let .finished(thread):
                    stop = .threadFinished(thread)
                    if runtime.threads.allSatisfy(\.status.isOver) { _ = endRun(error: nil) }
                    break stepping
                }
            } catch let error as RuntimeError where error.leavesRunIntact && !error.isNotRunnable {
                if case .interrupted = error { interruption.clear() }
                stop = Self.stopReason(for: error, after: seen.count)
                break stepping
            } catch RuntimeError.notRunnable(_, let now) {
                // Only possible after an earlier iteration: it blocked on the way.
                let current = runtime.threads.first { $0.id == id } ?? snapshot
                stop = now.isEmpty ? endRun(error: nil) : .threadBlocked(current)
                break stepping
            } catch {
                stop = endRun(error: error)
                break stepping
            }
        }
        syncTimeline()
        refreshWatches()
        return CommandResult(events: seen, stop: stop, position: position)
    }

    /// Before choosing thread `id` by hand: if the timeline recorded another choice here, cut
    /// the timeline at this decision and rebuild the run on the shorter one (the runtime checks
    /// every replayed decision against the threads runnable then).
    func prepareExplicitChoice(_ id: Int) throws(StepperError) {
        let made = runtime.decisions.count
        guard made < timeline.count, timeline[made].chosen != id else { return }
        try cutTimeline()
    }

    /// Drops the recorded future — the decisions after the ones made so far and the faults
    /// armed after this event — and rebuilds the run on what is left, back at this point.
    /// - Throws: ``StepperError/needsNewConnection(_:)`` when a real server took part in the
    ///   recorded future: it answered requests this run would no longer send.
    func cutTimeline() throws(StepperError) {
        let made = runtime.decisions.count
        let here = position
        if made < timeline.count, let link = program.link {
            throw StepperError.needsNewConnection(
                "the run from here on was recorded with \(link.server), which answered what it sent; "
                    + "to change it, 'reset' starts over on a new connection (or go to the end first)")
        }
        faults.removeAll { $0.afterEvent > here }
        guard made < timeline.count else { return }
        timeline = Array(timeline.prefix(made))
        replay(to: here)
        // Decisions after the last event (a thread chosen by hand that blocked at once).
        while ended == nil, runtime.decisions.count < timeline.count {
            let decision = timeline[runtime.decisions.count]
            do {
                if case let .event(event) = try runtime.step(only: decision.chosen) { tracker.absorb(event) }
            } catch {
                _ = endRun(error: error)
            }
        }
    }

    // MARK: Going back

    /// Goes to event `target`: back by replay, forward by running (no stops).
    func goto(_ target: Int) -> CommandResult {
        let here = position
        if target < here {
            replay(to: target)
            selectedThread = runtime.trace.event(sequence: position)?.threadID
            let stop: StopReason = ended.map { .end($0) } ?? (target == 0 ? .start : .done)
            return CommandResult(stop: stop, position: position)
        }
        if target == here {
            return CommandResult(stop: ended.map { .end($0) } ?? (here == 0 ? .start : .done), position: position)
        }
        let ran = advance(.event(target), honourStops: false)
        refreshWatches()
        return moved(ran)
    }

    /// Starts over on the timeline and runs to event `target`.
    func replay(to target: Int) {
        restart(replaying: timeline)
        if target > 0 { _ = advance(.event(target), honourStops: false, collect: false) }
        refreshWatches()
    }

    /// Back to the last earlier event where a breakpoint or watch would have stopped: one replay
    /// that scans for stops up to the event before this one, then one to the last stop found.
    func reverseContinue() -> CommandResult {
        let here = position
        guard here > 0 else { return CommandResult(stop: .start, position: 0) }
        restart(replaying: timeline)
        var last: (event: Int, reason: StopReason)?
        if here > 1, ended == nil {
            _ = advance(.event(here - 1), honourStops: true, collect: false) { reason in
                // The first reason at an event wins, as when running forward.
                if let event = reason.event, last?.event != event { last = (event, reason) }
                return false
            }
        }
        guard let last else {
            replay(to: 0)
            selectedThread = nil
            return CommandResult(stop: ended.map { .end($0) } ?? .start, position: position)
        }
        if position != last.event { replay(to: last.event) } else { refreshWatches() }
        selectedThread = runtime.trace.event(sequence: position)?.threadID
        return CommandResult(stop: last.reason, position: position)
    }
}

extension StopReason {
    /// The event a breakpoint or watch stopped at.
    var event: Int? {
        switch self {
        case let .breakpoint(_, _, event), let .watch(_, _, _, _, event): return event
        default: return nil
        }
    }
}

extension ThreadStatus {
    /// Finished or failed: the thread will not run again.
    var isOver: Bool {
        switch self {
        case .finished, .failed: return true
        default: return false
        }
    }
}
