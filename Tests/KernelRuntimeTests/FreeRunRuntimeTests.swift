import Foundation
import Testing
@testable import KernelRuntime

@Suite struct FreeRunRuntimeTests {
    @Test func producersAndConsumerMove100000ItemsThroughAWaitQueue() throws {
        let rt = FreeRunRuntime(seed: 1)
        let capacity = 64
        let perProducer = 50_000
        let buffer = Box<[Int]>([])
        let received = Box<[Int]>([])
        let notEmpty = WaitQueue("not empty")
        let notFull = WaitQueue("not full")
        try rt.runMain(name: "consumer") {
            let producers = (0..<2).map { p in
                rt.spawn(name: "producer\(p)") {
                    for k in 0..<perProducer {
                        try rt.withLock {
                            try rt.wait(on: notFull) { buffer.value.count < capacity }
                            buffer.value.append(p * perProducer + k)
                            rt.wakeOne(notEmpty)
                        }
                    }
                }
            }
            var local: [Int] = []
            local.reserveCapacity(2 * perProducer)
            for _ in 0..<(2 * perProducer) {
                let item = try rt.withLock {
                    try rt.wait(on: notEmpty) { !buffer.value.isEmpty }
                    let item = buffer.value.removeFirst()
                    rt.wakeAll(notFull)
                    return item
                }
                local.append(item)
            }
            for producer in producers { try rt.join(producer) }
            received.value = local
        }
        #expect(received.value.count == 100_000)
        #expect(received.value.sorted() == Array(0..<100_000))
        // Each producer's items arrive in the order it produced them.
        #expect(received.value.filter { $0 < perProducer } == Array(0..<perProducer))
        #expect(received.value.filter { $0 >= perProducer } == Array(perProducer..<(2 * perProducer)))
    }

    @Test func pageProgramRunsFreeToo() throws {
        let rt = FreeRunRuntime(seed: 42, recorder: TraceRecorder())
        let program = PageProgram(runtime: rt, pageCount: 16)
        try rt.runMain(name: "reader") { try program.reader() }
        #expect(program.results == program.expectedResults)
        var generator = SeededGenerator(seed: 42)
        #expect(program.mids == (0..<16).map { _ in generator.next() & 0xffff })
        let events = rt.recorder?.events ?? []
        #expect(events.count == 16 * 3 + 16 * 2 + 1 + 16 * 2)
        #expect(events.map(\.sequence) == Array(1...events.count))
        #expect(events.filter { $0.threadName == "reader" }.count == 48)
    }

    @Test func tracingOffEvaluatesNothing() throws {
        let rt = FreeRunRuntime(seed: 0)
        let evaluated = Box(0)
        @Sendable func expensive() -> String {
            evaluated.value += 1
            return "expensive"
        }
        try rt.runMain(name: "t") {
            for _ in 0..<1_000 { try rt.tracepoint("f", .note, expensive()) }
        }
        #expect(rt.isTracing == false)
        #expect(evaluated.value == 0)
    }

    @Test func deadlockIsDetectedAndReported() throws {
        let rt = FreeRunRuntime(seed: 0)
        #expect(throws: RuntimeError.deadlock([
            BlockedThread(id: 1, name: "reader", waitingFor: "page[0]"),
            BlockedThread(id: 2, name: "cifsd", waitingFor: "pipe client→server readable"),
        ])) {
            try rt.runMain(name: "reader") { try deadlockedReader(rt) }
        }
        #expect(rt.isAborted)
    }

    @Test func threadErrorsPropagate() throws {
        struct Failure: Error, Equatable { let code: Int }
        let rt = FreeRunRuntime(seed: 0)
        let joined = Box<Failure?>(nil)
        #expect(throws: Failure(code: 2)) {
            try rt.runMain(name: "main") {
                let child = rt.spawn(name: "child") { throw Failure(code: 1) }
                do { try rt.join(child) } catch let error as Failure { joined.value = error }
                throw Failure(code: 2)
            }
        }
        #expect(joined.value == Failure(code: 1))
    }

    @Test func abortReleasesBlockedThreads() throws {
        let rt = FreeRunRuntime(seed: 0)
        let queue = WaitQueue("forever")
        let outcome = Box<[String]>([])
        let blocked = (0..<3).map { n in
            rt.spawn(name: "w\(n)") {
                do {
                    try rt.withLock { try rt.wait(on: queue) { false } }
                } catch {
                    rt.withLock { outcome.value.append("\(error)") }
                    throw error
                }
            }
        }
        // Abort only once all three are blocked on the queue, so the abort has to release them.
        let allBlocked = BlockedThreads.eventually { blocked.allSatisfy { BlockedThreads.isWaiting($0, in: rt) } }
        #expect(allBlocked)
        #expect(rt.withLock { queue.waiters.count } == 3)
        rt.abort()
        for thread in blocked {
            #expect(throws: RuntimeAbort()) { try rt.join(thread) }
        }
        #expect(outcome.value == ["run aborted", "run aborted", "run aborted"])
    }

    @Test func timedWaitAndSleepUseTheClock() throws {
        let rt = FreeRunRuntime(seed: 0)
        let results = Box<[UInt64]>([])
        try rt.runMain(name: "t") {
            let start = rt.now
            try rt.sleep(nanoseconds: 20_000_000)
            let slept = rt.now - start
            let timedOut = try rt.withLock { try rt.wait(on: WaitQueue("never"), timeout: 10_000_000) { false } }
            let waited = rt.now - start - slept
            results.value = [slept >= 20_000_000 ? 1 : 0, timedOut ? 1 : 0, waited >= 10_000_000 ? 1 : 0]
        }
        #expect(results.value == [1, 0, 1])
    }

    @Test func misuseIsReportedAsTypedErrors() throws {
        let rt = FreeRunRuntime(seed: 0)
        let queue = WaitQueue("q")
        #expect(throws: RuntimeError.lockNotHeld(operation: "wait on q")) {
            try rt.wait(on: queue) { false }
        }
        #expect(throws: RuntimeError.lockHeld(operation: "sleep")) {
            try rt.withLock { try rt.sleep(nanoseconds: 1) }
        }
    }

    @Test func randomValuesFollowTheSeed() {
        let a = FreeRunRuntime(seed: 42)
        let b = FreeRunRuntime(seed: 42)
        #expect(a.randomUInt64() == 0x1578_0B2E_0C2E_C716)
        #expect(b.randomUInt64() == 0x1578_0B2E_0C2E_C716)
        #expect(a.randomBytes(12) == b.randomBytes(12))
        #expect(FreeRunRuntime(seed: 43).randomUInt64() != 0x1578_0B2E_0C2E_C716)
    }

    @Test func kernelMutexExcludes() throws {
        let rt = FreeRunRuntime(seed: 0)
        let counter = Box(0)
        let mutex = KernelMutex("srv_mutex")
        try rt.runMain(name: "main") {
            let workers = (0..<4).map { n in
                rt.spawn(name: "worker\(n)") {
                    for _ in 0..<500 {
                        try rt.withMutex(mutex) {
                            let seen = rt.withLock { counter.value }
                            sched_yield()
                            rt.withLock { counter.value = seen + 1 }
                        }
                    }
                }
            }
            for worker in workers { try rt.join(worker) }
        }
        #expect(counter.value == 2_000)
    }
}
