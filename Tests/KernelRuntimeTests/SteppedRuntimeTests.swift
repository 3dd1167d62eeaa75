import Foundation
import Testing
@testable import KernelRuntime

@Suite struct SteppedRuntimeTests {
    @Test func pageProgramCompletesWithCorrectData() throws {
        let run = try steppedPageRun(seed: 42)
        #expect(run.program.results == run.program.expectedResults)
        #expect(run.program.results.count == 3)
        // 3 sends + 3×2 waits by reader, 3×2 by cifsd + its exit, 3×2 by cifsiod.
        #expect(run.events.count == 9 + 7 + 6)
        #expect(run.events.map(\.sequence) == Array(1...22))
        #expect(run.events.map(\.time) == (0..<22).map { UInt64($0) * 1_000 })
        // The reader's mids come from the seeded generator, in order.
        var generator = SeededGenerator(seed: 42)
        #expect(run.program.mids == (0..<3).map { _ in generator.next() & 0xffff })
    }

    @Test func sameSeedGivesIdenticalEventsAndDecisions() throws {
        let first = try steppedPageRun(seed: 7)
        let second = try steppedPageRun(seed: 7)
        #expect(first.events == second.events)
        #expect(first.decisions == second.decisions)
        #expect(first.decisions.count >= first.events.count)
    }

    @Test func differentSeedsInterleaveDifferentlyButEachThreadDoesTheSame() throws {
        var orders = Set<[Int]>()
        var perThread: [Int: [String]]?
        for seed in UInt64(1)...12 {
            let run = try steppedPageRun(seed: seed)
            #expect(run.program.results == run.program.expectedResults)
            orders.insert(run.events.map(\.threadID))
            // Each thread's own events are program order, whatever the schedule; messages that
            // carry random mids are left out because mids depend on the seed.
            let byThread = Dictionary(grouping: run.events, by: \.threadID)
                .mapValues { $0.map { "\($0.function) \($0.phase)" } }
            if let perThread { #expect(byThread == perThread) } else { perThread = byThread }
        }
        #expect(orders.count > 1)
    }

    @Test func replayReproducesTheRunUnderAnotherPolicy() throws {
        let original = try steppedPageRun(seed: 11)
        let replayed = try steppedPageRun(seed: 11, policy: .lowestID, replaying: original.decisions)
        #expect(replayed.events == original.events)
        #expect(replayed.decisions == original.decisions)
        let unreplayed = try steppedPageRun(seed: 11, policy: .lowestID)
        #expect(unreplayed.events.map(\.threadID) != original.events.map(\.threadID))
    }

    @Test func reverseStepIsARerunToThePreviousEvent() throws {
        let first = SteppedRuntime(seed: 3)
        let program = PageProgram(runtime: first)
        first.spawn(name: "reader") { try program.reader() }
        let tenth = try first.run(untilEvent: 10)
        #expect(tenth?.sequence == 10)
        let eventsToTen = first.trace.events
        first.abort()
        #expect(first.threads.allSatisfy { $0.status == .finished || $0.status == .failed("run aborted") })

        // Step back: a new run with the same seed, replaying, stopped one event earlier.
        let second = first.makeReplay()
        #expect(second.seed == 3)
        let again = PageProgram(runtime: second)
        second.spawn(name: "reader") { try again.reader() }
        try second.run(untilEvent: 9)
        #expect(second.trace.events == Array(eventsToTen.prefix(9)))
        // And forward again to the same tenth event.
        #expect(try second.step() == eventsToTen[9])
        try second.runToCompletion()
        #expect(again.results == again.expectedResults)
    }

    @Test func explicitChoicesAreRecordedAndReplayed() throws {
        let rt = SteppedRuntime(seed: 5)
        let program = PageProgram(runtime: rt)
        rt.spawn(name: "reader") { try program.reader() }
        try rt.step(choosing: 1)  // reader spawns cifsd and cifsiod, stops at its first send
        #expect(rt.threads.map(\.name) == ["reader", "cifsd", "cifsiod"])
        #expect(rt.runnableThreadIDs == [1, 2, 3])
        let event = try rt.step(choosing: 3)
        #expect(event == nil || event?.threadID != 0)
        #expect(rt.decisions[1].chosen == 3)
        #expect(throws: RuntimeError.notRunnable(threadID: 9, runnable: rt.runnableThreadIDs)) {
            try rt.step(choosing: 9)
        }
        try rt.runToCompletion()
        let replay = try steppedPageRun(seed: 5, policy: .lowestID, replaying: rt.decisions)
        #expect(replay.events == rt.trace.events)
    }

    @Test func replayOfAnotherProgramDiverges() throws {
        let original = try steppedPageRun(seed: 2)
        var decisions = original.decisions
        decisions[0] = SchedulingDecision(index: 0, afterEvent: 0, runnable: [1, 2], chosen: 2)
        #expect(throws: RuntimeError.replayDiverged(decision: 0, expectedRunnable: [1, 2], actualRunnable: [1])) {
            _ = try steppedPageRun(seed: 2, replaying: decisions)
        }
    }

    @Test func abortReleasesEveryParkedThread() throws {
        let rt = SteppedRuntime(seed: 9)
        let program = PageProgram(runtime: rt)
        rt.spawn(name: "reader") { try program.reader() }
        try rt.run(untilEvent: 5)
        #expect(rt.threads.count == 3)
        rt.abort()
        #expect(rt.isAborted)
        #expect(rt.threads.map(\.status) == Array(repeating: .failed("run aborted"), count: 3))
        #expect(try rt.step() == nil)
        #expect(rt.recordedEventCount == 5)
    }

    @Test func unwindingThreadsCanJoinAfterAnAbort() throws {
        let rt = SteppedRuntime(seed: 0)
        let log = Box<[String]>([])
        rt.spawn(name: "main") {
            let child = rt.spawn(name: "child") {
                defer { log.value.append("child unwound") }
                try rt.tracepoint("child", .note, "")
                try rt.withLock { try rt.wait(on: WaitQueue("never")) { false } }
            }
            defer {
                _ = try? rt.join(child)
                log.value.append("main joined")
            }
            try rt.tracepoint("main", .note, "")
            try rt.withLock { try rt.wait(on: WaitQueue("never either")) { false } }
        }
        #expect(try rt.step(choosing: 1)?.function == "main")
        #expect(try rt.step(choosing: 2)?.function == "child")
        rt.abort()  // main unwinds first (lowest id) and joins child, which then unwinds
        #expect(log.value == ["child unwound", "main joined"])
        #expect(rt.threads.map(\.status) == [.failed("run aborted"), .failed("run aborted")])
    }

    @Test func abortReleasesThreadsNotYetStarted() throws {
        let rt = SteppedRuntime(seed: 1)
        rt.spawn(name: "a") { try rt.tracepoint("a", .note, "") }
        rt.spawn(name: "b") { try rt.tracepoint("b", .note, "") }
        rt.abort()
        #expect(rt.threads.map(\.status) == [.failed("run aborted"), .failed("run aborted")])
        #expect(rt.recordedEventCount == 0)
    }

    @Test func deadlockIsReportedWithWhatEachThreadWaitsFor() throws {
        let rt = SteppedRuntime(seed: 4)
        #expect(throws: RuntimeError.deadlock([
            BlockedThread(id: 1, name: "reader", waitingFor: "page[0]"),
            BlockedThread(id: 2, name: "cifsd", waitingFor: "pipe client→server readable"),
        ])) {
            try rt.runMain(name: "reader") { try deadlockedReader(rt) }
        }
        #expect(rt.threads.map(\.status) == [.failed("run aborted"), .failed("run aborted")])
    }

    @Test func randomValuesRepeatWithTheSeed() throws {
        func draw(seed: UInt64) throws -> [[UInt8]] {
            let rt = SteppedRuntime(seed: seed)
            let box = Box<[[UInt8]]>([])
            try rt.runMain(name: "a") {
                let other = rt.spawn(name: "b") {
                    for _ in 0..<3 {
                        let bytes = rt.randomBytes(5)
                        rt.withLock { box.value.append(bytes) }
                        try rt.tracepoint("b", .note, "")
                    }
                }
                for _ in 0..<3 {
                    let value = rt.randomUInt64()
                    rt.withLock { box.value.append(withUnsafeBytes(of: value.littleEndian, Array.init)) }
                    try rt.tracepoint("a", .note, "")
                }
                try rt.join(other)
            }
            return box.value
        }
        let first = try draw(seed: 42)
        #expect(try draw(seed: 42) == first)
        #expect(try draw(seed: 43) != first)
        #expect(first.count == 6)
    }

    @Test func clockAdvancesPerEventAndJumpsToSleepDeadlines() throws {
        let rt = SteppedRuntime(seed: 0, policy: .lowestID)
        let times = Box<[UInt64]>([])
        try rt.runMain(name: "sleeper") {
            try rt.tracepoint("t", .note, "before")   // at 0, clock → 1000
            try rt.sleep(nanoseconds: 5_000_000)       // every thread sleeps: clock jumps to 5_001_000
            rt.withLock { times.value.append(rt.now) }
            try rt.tracepoint("t", .note, "after")     // at 5_001_000
            let timedOut = try rt.withLock {
                try rt.wait(on: WaitQueue("never"), timeout: 2_000) { false }
            }
            rt.withLock { times.value.append(timedOut ? 1 : 0) }
            rt.withLock { times.value.append(rt.now) }
        }
        #expect(times.value == [5_001_000, 0, 5_004_000])
        #expect(rt.trace.events.map(\.time) == [0, 5_001_000])
        #expect(rt.unixNanoseconds == SteppedRuntime.defaultEpochUnixNanoseconds + 5_004_000)
    }

    @Test func aTracepointInsideTheLockMakesOthersWaitForIt() throws {
        let rt = SteppedRuntime(seed: 0, policy: .lowestID)
        rt.spawn(name: "holder") {
            try rt.withLock {
                try rt.tracepoint("holder", .enter, "")
                try rt.tracepoint("holder", .exit, "")
            }
        }
        rt.spawn(name: "contender") {
            try rt.withLock { try rt.tracepoint("contender", .note, "") }
        }
        #expect(try rt.step()?.function == "holder")          // holder parks holding the lock
        #expect(try rt.step(choosing: 2)?.function == "holder") // contender blocks; holder goes on
        #expect(rt.threads[1].status == .waitingForLock)
        #expect(try rt.step()?.function == "contender")
        #expect(try rt.step() == nil)
    }

    @Test func misuseIsReportedAsTypedErrors() throws {
        let rt = SteppedRuntime(seed: 0)
        let queue = WaitQueue("q")
        #expect(throws: RuntimeError.notASimulatedThread(operation: "wait on q")) {
            try rt.withLock { try rt.wait(on: queue) { false } }
        }
        try rt.runMain(name: "t") {
            #expect(throws: RuntimeError.lockNotHeld(operation: "wait on q")) {
                try rt.wait(on: queue) { false }
            }
            #expect(throws: RuntimeError.lockHeld(operation: "sleep")) {
                try rt.withLock { try rt.sleep(nanoseconds: 1) }
            }
        }
    }

    @Test func aRealBlockingCallWhileHoldingTheBatonTimesOut() throws {
        let rt = SteppedRuntime(seed: 0, handoffTimeout: .milliseconds(200))
        rt.spawn(name: "sleepy") {
            try rt.tracepoint("sleepy", .enter, "")
            Thread.sleep(forTimeInterval: 0.35)  // a real blocking call: never do this in kernel code
            try rt.tracepoint("sleepy", .exit, "")
        }
        #expect(try rt.step()?.function == "sleepy")
        #expect(throws: RuntimeError.handoffTimedOut(threadID: 1, threadName: "sleepy", seconds: 0.2)) {
            try rt.step()
        }
        rt.abort()  // waits for the sleeper to come back, whose next tracepoint throws
        #expect(rt.threads.map(\.status) == [.failed("run aborted")])
    }

    @Test func threadErrorsPropagateFromRunMainAndJoin() throws {
        struct Failure: Error, Equatable { let code: Int }
        let rt = SteppedRuntime(seed: 0)
        let joined = Box<Failure?>(nil)
        #expect(throws: Failure(code: 7)) {
            try rt.runMain(name: "main") {
                let child = rt.spawn(name: "child") { throw Failure(code: 5) }
                do { try rt.join(child) } catch let error as Failure { joined.value = error }
                throw Failure(code: 7)
            }
        }
        #expect(joined.value == Failure(code: 5))
        #expect(rt.threads.map(\.status) == [.failed("Failure(code: 7)"), .failed("Failure(code: 5)")])
    }

    @Test func kernelMutexExcludesUnderEverySchedule() throws {
        for seed in UInt64(0)..<8 {
            let rt = SteppedRuntime(seed: seed)
            let counter = Box(0)
            let mutex = KernelMutex("srv_mutex")
            try rt.runMain(name: "main") {
                let workers = (0..<3).map { n in
                    rt.spawn(name: "worker\(n)") {
                        for _ in 0..<4 {
                            try rt.withMutex(mutex) {
                                let seen = rt.withLock { counter.value }
                                try rt.tracepoint("smb_send", .send, "")  // a step inside the mutex
                                rt.withLock { counter.value = seen + 1 }
                            }
                        }
                    }
                }
                for worker in workers { try rt.join(worker) }
            }
            #expect(counter.value == 12)
        }
    }
}

/// A reader that waits for a page nobody unlocks while cifsd waits for bytes nobody sends.
func deadlockedReader(_ rt: any KernelRuntime) throws {
    let (client, server) = PipeTransport.makePair(runtime: rt)
    let page = TestPage(index: 0)
    rt.spawn(name: "cifsd") { _ = try server.receive(maxBytes: 4) }
    try rt.withLock { try rt.wait(on: page.queue) { !page.locked } }
    client.close()
}

/// A mutable value shared with `@Sendable` thread bodies; guarded by the runtime lock (or the baton).
final class Box<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
