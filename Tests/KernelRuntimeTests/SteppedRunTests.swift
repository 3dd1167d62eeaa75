import Foundation
import SMBWire
import Testing
@testable import KernelRuntime

/// The fast paths — `run(until:)`, `run(untilEvent:)`, `runToCompletion`, where the simulated
/// threads pass the baton among themselves — against one `step()` at a time.
@Suite struct SteppedRunTests {
    private struct Run {
        let runtime: SteppedRuntime
        let program: SteppedProgram
    }

    private func start(
        seed: UInt64, policy: SchedulingPolicy = .seededRandom, replaying: [SchedulingDecision] = [],
        pages: Int = 12
    ) -> Run {
        let runtime = SteppedRuntime(seed: seed, policy: policy, replaying: replaying)
        let program = SteppedProgram(runtime: runtime, pageCount: pages)
        runtime.spawn(name: "reader") { try program.reader() }
        return Run(runtime: runtime, program: program)
    }

    /// The reference: every event by its own `step()`.
    private func stepped(
        seed: UInt64, policy: SchedulingPolicy = .seededRandom, replaying: [SchedulingDecision] = [],
        pages: Int = 12
    ) throws -> (events: [TraceEvent], decisions: [SchedulingDecision]) {
        let run = start(seed: seed, policy: policy, replaying: replaying, pages: pages)
        while try run.runtime.step() != nil {}
        try run.runtime.runToCompletion()
        #expect(run.program.results.count == pages)
        return (run.runtime.trace.events, run.runtime.decisions)
    }

    @Test(arguments: [
        (UInt64(1), SchedulingPolicy.seededRandom), (2, .seededRandom), (3, .seededRandom),
        (4, .keepRunning), (5, .lowestID),
    ])
    func fastRunsRecordWhatSingleStepsRecord(seed: UInt64, policy: SchedulingPolicy) throws {
        let reference = try stepped(seed: seed, policy: policy)
        #expect(reference.events.count == SteppedProgram(runtime: SteppedRuntime(), pageCount: 12).eventCount)

        let running = start(seed: seed, policy: policy)
        let last = try running.runtime.run { _ in false }
        #expect(last == reference.events.last)
        #expect(running.runtime.trace.events == reference.events)
        #expect(running.runtime.decisions == reference.decisions)

        let completed = start(seed: seed, policy: policy)
        try completed.runtime.runToCompletion()
        #expect(completed.runtime.trace.events == reference.events)
        #expect(completed.runtime.decisions == reference.decisions)

        let counted = start(seed: seed, policy: policy)
        #expect(try counted.runtime.run(untilEvent: 50)?.sequence == 50)
        #expect(counted.runtime.recordedEventCount == 50)
        try counted.runtime.run(untilEvent: .max)
        #expect(counted.runtime.trace.events == reference.events)
        #expect(counted.runtime.decisions == reference.decisions)
    }

    /// Decisions and events recorded by the runtime before the hand-off came in: a fresh run with
    /// the same seed makes the same decisions, and a replay of them re-creates the same events.
    @Test func decisionsRecordedBeforeTheHandOffStillHold() throws {
        let decisions = PreHandoffRecording.decisions.split(whereSeparator: \.isWhitespace).enumerated().map {
            index, text in
            let afterEvent = text.split(separator: ":")[0]
            let rest = text.split(separator: ":")[1].split(separator: ">")
            return SchedulingDecision(
                index: index, afterEvent: Int(afterEvent) ?? -1,
                runnable: rest[0].split(separator: ",").compactMap { Int($0) }, chosen: Int(rest[1]) ?? -1)
        }
        let events = PreHandoffRecording.events.split(separator: "\n").map(String.init)
        let count = events.count
        func rendered(_ runtime: SteppedRuntime) -> [String] {
            runtime.trace.events.map { event in
                let buffers = event.buffers.map { "\($0.name)=\(Hex.encode($0.bytes))" }.joined(separator: " ")
                return "\(event.time) \(event.description)" + (buffers.isEmpty ? "" : " | \(buffers)")
            }
        }

        let fresh = start(seed: PreHandoffRecording.seed, pages: PreHandoffRecording.pageCount)
        try fresh.runtime.run(untilEvent: count)
        #expect(rendered(fresh.runtime) == events)
        #expect(fresh.runtime.decisions == decisions)
        fresh.runtime.abort()

        let replay = start(
            seed: PreHandoffRecording.seed, policy: .lowestID, replaying: decisions, pages: PreHandoffRecording.pageCount)
        try replay.runtime.run(untilEvent: count)
        #expect(rendered(replay.runtime) == events)
        #expect(replay.runtime.decisions == decisions)
        replay.runtime.abort()
    }

    @Test func aReplayReproducesExplicitChoices() throws {
        let original = start(seed: 8)
        let rt = original.runtime
        #expect(try rt.step(choosing: 1)?.threadID == 1)  // reader spawns the others
        #expect(rt.runnableThreadIDs == [1, 2, 3, 4])
        // smbd and cifsd have nothing to receive yet: run alone, each blocks without an event.
        #expect(try rt.step(only: 2) == .blocked(ThreadSnapshot(
            id: 2, name: "smbd", status: .blocked(on: "pipe client→server readable", deadline: nil))))
        guard case .blocked = try rt.step(only: 3) else { Issue.record("cifsd should block"); return }
        try rt.step(choosing: 4)  // cifsiod blocks on its empty queue; the policy picks on
        guard case .event(let event) = try rt.step(only: 1) else { Issue.record("reader should record"); return }
        #expect(event.threadID == 1)
        try rt.run(untilEvent: 30)
        #expect(try rt.step(choosing: rt.runnableThreadIDs.last)?.sequence == 31)
        try rt.run { $0.sequence == 60 }
        _ = try rt.step(only: rt.runnableThreadIDs[0])
        try rt.runToCompletion()
        #expect(original.program.results.count == 12)

        // Replayed under another policy, by every kind of call, the run is the same.
        let decisions = rt.decisions
        let events = rt.trace.events
        let completed = start(seed: 8, policy: .lowestID, replaying: decisions)
        try completed.runtime.runToCompletion()
        #expect(completed.runtime.trace.events == events)
        #expect(completed.runtime.decisions == decisions)
        let single = try stepped(seed: 8, policy: .lowestID, replaying: decisions)
        #expect(single.events == events)
        #expect(single.decisions == decisions)
        let mixed = start(seed: 8, policy: .lowestID, replaying: decisions)
        try mixed.runtime.run(untilEvent: 17)
        #expect(try mixed.runtime.step() == events[17])
        try mixed.runtime.run { $0.sequence == 100 }
        try mixed.runtime.run(untilEvent: .max)
        #expect(mixed.runtime.trace.events == events)
        #expect(mixed.runtime.decisions == decisions)
    }

    @Test func runUntilStopsAtTheFirstEventItMatchesAndStepGoesOn() throws {
        let reference = try stepped(seed: 21)
        let wanted = { (event: TraceEvent) in event.function == "cifs_readv_complete" && event.phase == .exit }
        guard let first = reference.events.firstIndex(where: wanted) else {
            Issue.record("the program completes pages")
            return
        }

        let run = start(seed: 21)
        let seen = Box<[Int]>([])
        let stopped = try run.runtime.run { event in
            seen.value.append(event.sequence)
            return wanted(event)
        }
        #expect(stopped == reference.events[first])
        #expect(seen.value == Array(1...(first + 1)))  // asked once per event, up to the match
        #expect(run.runtime.recordedEventCount == first + 1)
        #expect(run.runtime.threads.map(\.status).contains(.running) == false)
        #expect(try run.runtime.step() == reference.events[first + 1])
        let next = try run.runtime.run(until: wanted)
        #expect(next == reference.events.dropFirst(first + 2).first(where: wanted))
        try run.runtime.runToCompletion()
        #expect(run.runtime.trace.events == reference.events)
        #expect(run.runtime.decisions == reference.decisions)
    }

    /// A stop condition reads kernel state through `withLock`, as the controller does between
    /// steps, even while a parked thread holds the lock: it runs at once, and sees what a check
    /// after each `step()` sees.
    @Test func aStopConditionReadsStateLikeTheController() throws {
        let reference = start(seed: 13)
        var expected: Int?
        while let event = try reference.runtime.step() {
            if reference.runtime.withLock({ reference.program.pending }) >= 2 {
                expected = event.sequence
                break
            }
        }
        #expect(expected != nil)
        reference.runtime.abort()

        let run = start(seed: 13)
        let event = try run.runtime.run { _ in
            run.runtime.currentThread == nil && run.runtime.withLock { run.program.pending } >= 2
        }
        #expect(event?.sequence == expected)
        run.runtime.abort()
    }

    @Test func aDeadlockInAFastRunIsReported() throws {
        let expected = RuntimeError.deadlock([
            BlockedThread(id: 1, name: "reader", waitingFor: "page[0]"),
            BlockedThread(id: 2, name: "cifsd", waitingFor: "pipe client→server readable"),
        ])
        for call in 0..<3 {
            let rt = SteppedRuntime(seed: 4)
            rt.spawn(name: "reader") { try deadlockedReader(rt) }
            #expect(throws: expected) {
                switch call {
                case 0: try rt.run { _ in false }
                case 1: try rt.run(untilEvent: 1_000)
                default: try rt.runToCompletion()
                }
            }
            #expect(throws: expected) { try rt.step() }  // the run is over
            rt.abort()
            #expect(rt.threads.map(\.status) == [.failed("run aborted"), .failed("run aborted")])
        }
    }

    @Test func anAbortFromAThreadEndsAFastRunAndReleasesEveryone() throws {
        let run = start(seed: 6)
        let rt = run.runtime
        rt.spawn(name: "aborter") {
            for _ in 0..<20 { try rt.tracepoint("aborter", .note, "") }
            rt.abort()
            try rt.tracepoint("aborter", .note, "never recorded")
        }
        let last = try rt.run { _ in false }
        #expect(rt.isAborted)
        #expect(rt.threads.allSatisfy { $0.status == .failed("run aborted") })
        #expect(last == rt.trace.events.last)
        #expect(!rt.trace.events.contains { $0.message == "never recorded" })
        #expect(rt.trace.events.filter { $0.function == "aborter" }.count == 20)
        #expect(try rt.step() == nil)
    }

    @Test func anAbortFromAStopConditionReleasesEveryone() throws {
        let run = start(seed: 7)
        let rt = run.runtime
        let stopped = try rt.run { event in
            if event.sequence == 40 { rt.abort() }
            return event.sequence == 40
        }
        #expect(stopped?.sequence == 40)
        #expect(rt.isAborted)
        #expect(rt.threads.map(\.status) == Array(repeating: .failed("run aborted"), count: 4))
        #expect(rt.recordedEventCount == 40)
        #expect(try rt.step() == nil)
    }

    /// A thread that blocks outside the runtime in the middle of a fast run — not the thread
    /// the controller resumed — is named in the timeout report.
    @Test func aHandoffTimeoutInAFastRunNamesTheThreadHoldingTheBaton() throws {
        let rt = SteppedRuntime(seed: 0, policy: .lowestID, handoffTimeout: .milliseconds(200))
        let release = DispatchSemaphore(value: 0)
        rt.spawn(name: "first") {
            for _ in 0..<3 { try rt.tracepoint("first", .note, "") }
            try rt.withLock { try rt.wait(on: WaitQueue("never")) { false } }
        }
        rt.spawn(name: "blocker") {
            try rt.tracepoint("blocker", .enter, "")
            release.wait()  // a real blocking call: never do this in kernel code
            // Back in the runtime, before or after the abort below: blocks, or throws at once.
            try rt.withLock { try rt.wait(on: WaitQueue("never either")) { false } }
        }
        #expect(throws: RuntimeError.handoffTimedOut(threadID: 2, threadName: "blocker", seconds: 0.2)) {
            try rt.run { _ in false }
        }
        #expect(rt.recordedEventCount == 4)
        #expect(throws: RuntimeError.handoffTimedOut(threadID: 2, threadName: "blocker", seconds: 0.2)) {
            try rt.step()
        }
        release.signal()
        rt.abort()  // waits for the blocker to come back, then releases both
        #expect(rt.threads.map(\.status) == [.failed("run aborted"), .failed("run aborted")])
        #expect(rt.recordedEventCount == 4)
    }

    @Test func sleepersWakeAtTheirDeadlinesInAFastRun() throws {
        func times(_ drive: (SteppedRuntime) throws -> Void) throws -> [UInt64] {
            let rt = SteppedRuntime(seed: 3)
            for n in 1...3 {
                rt.spawn(name: "sleeper\(n)") {
                    for round in 0..<3 {
                        try rt.sleep(nanoseconds: UInt64(n * 1_000_000 + round))
                        try rt.tracepoint("sleeper", .note, "\(n)")
                    }
                }
            }
            try drive(rt)
            return rt.trace.events.map(\.time)
        }
        let stepped = try times { rt in while try rt.step() != nil {} }
        #expect(stepped.count == 9)
        #expect(stepped == stepped.sorted())
        #expect(stepped[0] >= 1_000_000)
        #expect(try times { try $0.run { _ in false } } == stepped)
        #expect(try times { try $0.runToCompletion() } == stepped)
    }
}
