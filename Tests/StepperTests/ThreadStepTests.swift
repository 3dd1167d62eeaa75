import KernelRuntime
import Testing
@testable import Stepper

/// `step thread N`: one thread runs, the others stay frozen; a thread that blocks is reported,
/// never waited for.
@Suite struct ThreadStepTests {
    @Test func stepThreadRunsOnlyThatThreadAndReportsWhereItBlocks() throws {
        let session = Synthetic.session(Synthetic.waiting)
        defer { session.close() }
        // Ask for more events than the waiter can make alone: it stops where it blocks.
        let first = try session.must(.stepThread(id: 1, count: 10))
        #expect(first.events.map(\.message) == ["", "about to wait"])
        #expect(first.events.allSatisfy { $0.threadID == 1 })
        guard case let .threadBlocked(waiter)? = first.stop else {
            Issue.record("expected the waiter to be reported blocked, got \(String(describing: first.stop))")
            return
        }
        #expect(waiter.id == 1)
        #expect(waiter.status == .blocked(on: "flag", deadline: nil))
        // The setter never ran.
        #expect(session.threads.first { $0.id == 2 }?.status == .notStarted)
        // Asking again is refused, with what it waits on and who could run.
        guard case let .failure(.threadNotRunnable(snapshot, runnable)) = session.execute(.stepThread(id: 1)) else {
            Issue.record("a blocked thread must be refused")
            return
        }
        #expect(snapshot.status == .blocked(on: "flag", deadline: nil))
        #expect(runnable == [2])
        // The setter alone: it sets the flag; then the waiter can go on.
        let setter = try session.must(.stepThread(id: 2, count: 5))
        #expect(setter.events.allSatisfy { $0.threadID == 2 })
        #expect(setter.events.map(\.message).contains("s2"))
        let woke = try session.must(.stepThread(id: 1))
        #expect(woke.events.map(\.message) == ["woke"])
        #expect(session.execute(.stepThread(id: 7)) == .failure(.noSuchThread(7, known: [1, 2])))
    }

    @Test func aThreadThatFinishesIsReportedAndTheRunEnds() throws {
        let session = Synthetic.session(Synthetic.waiting)
        defer { session.close() }
        _ = try session.must(.stepThread(id: 2, count: 10))
        let result = try session.must(.stepThread(id: 1, count: 10))
        guard case let .threadFinished(waiter)? = result.stop else {
            Issue.record("expected the waiter to finish, got \(String(describing: result.stop))")
            return
        }
        #expect(waiter.id == 1 && waiter.status == .finished)
        #expect(session.outcome == .completed(bytesRead: 0))
        #expect(try session.must(.step()).stop == .end(.completed(bytesRead: 0)))
    }

    @Test func stepThreadOnTheRealScenarioFreezesTheServer() throws {
        let session = StepperSession(scenario: Scenario(), catalogue: Synthetic.catalogue([]))
        defer { session.close() }
        // The reader alone: it mounts until it waits for the NEGOTIATE reply that no one sends.
        let result = try session.must(.stepThread(id: 1, count: 500))
        #expect(result.events.allSatisfy { $0.threadName == "reader" })
        guard case let .threadBlocked(reader)? = result.stop, case let .blocked(queue, _) = reader.status else {
            Issue.record("expected the reader to block, got \(String(describing: result.stop))")
            return
        }
        #expect(queue.contains("mid"))
        #expect(result.events.contains { $0.phase == .send })
    }
}
