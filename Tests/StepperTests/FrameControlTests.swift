import KernelRuntime
import Testing
@testable import Stepper

/// `next`, `finish` and `backtrace` on frames rebuilt from enter/exit events.
@Suite struct FrameControlTests {
    @Test func nextStepsOverNestedCallsAndAThrow() throws {
        let session = Synthetic.session(Synthetic.nested)
        defer { session.close() }
        _ = try session.must(.step())
        #expect(session.here == "alpha outer enter start")
        _ = try session.must(.next)
        #expect(session.here == "alpha outer note a1")
        let overInner = try session.must(.next)
        #expect(session.here == "alpha outer note a2")
        #expect(overInner.events.map(\.function) == ["inner", "inner", "inner", "inner", "outer"])
        #expect(overInner.stop == .done)
        // Over an unpaired note (a leaf) and a call that throws: its exit carries the error.
        let overThrow = try session.must(.next)
        #expect(session.here == "alpha outer note a3")
        #expect(overThrow.events.contains { $0.function == "thrower" && $0.phase == .exit && $0.message == "error: boom" })
        #expect(overThrow.events.contains { $0.function == "leafy" })
        // Over an exit that has no enter (a leaf too), to the frame's own exit.
        _ = try session.must(.next)
        #expect(session.here == "alpha outer exit done")
        // No more alpha events: the run goes to its end.
        let last = try session.must(.next)
        #expect(last.stop == .end(.completed(bytesRead: 0)))
        #expect(last.events.allSatisfy { $0.threadName == "beta" })
    }

    @Test func finishRunsToTheCurrentFramesExitAlsoWhenItThrows() throws {
        let session = Synthetic.session(Synthetic.nested)
        defer { session.close() }
        _ = try session.must(.goto(event: 4))
        #expect(session.here == "alpha inner note i1")
        _ = try session.must(.finish)
        #expect(session.here == "alpha inner exit ")
        // At an exit, the current frame is the caller's.
        _ = try session.must(.finish)
        #expect(session.here == "alpha outer exit done")

        _ = try session.must(.goto(event: 10))
        #expect(session.here == "alpha thrower note t1")
        let result = try session.must(.finish)
        #expect(session.here == "alpha thrower exit error: boom")
        #expect(result.events.count == 1)
        // At an enter, finish runs that call to its end.
        _ = try session.must(.goto(event: 3))
        #expect(session.here == "alpha inner enter ")
        _ = try session.must(.finish)
        #expect(session.here == "alpha inner exit ")
    }

    @Test func finishWithoutAFrameAndBeforeAnyThreadAreErrors() throws {
        let session = Synthetic.session(Synthetic.nested)
        defer { session.close() }
        #expect(session.execute(.finish) == .failure(.noCurrentThread))
        #expect(session.execute(.next) == .failure(.noCurrentThread))
        _ = try session.must(.goto(event: 14))
        #expect(session.here == "alpha outer exit done")
        #expect(session.execute(.finish) == .failure(.noFrame(thread: 1)))
    }

    @Test func backtraceListsTheFramesInnermostFirst() throws {
        let session = Synthetic.session(Synthetic.nested)
        defer { session.close() }
        _ = try session.must(.goto(event: 10))
        guard case let .backtrace(trace) = try session.must(.backtrace()).report else {
            Issue.record("no backtrace")
            return
        }
        #expect(trace.thread.id == 1)
        #expect(trace.frames.map(\.function) == ["thrower", "outer"])
        #expect(trace.frames.map(\.enterEvent) == [9, 1])
        #expect(trace.lastEvent?.sequence == 10)
        // Beta has not run yet: no frames; an unknown thread is an error.
        guard case let .backtrace(beta) = try session.must(.backtrace(thread: 2)).report else { Issue.record("unexpected report"); return }
        #expect(beta.frames.isEmpty && beta.lastEvent == nil)
        #expect(session.execute(.backtrace(thread: 9)) == .failure(.noSuchThread(9, known: [1, 2])))
        // Going back recomputes the frames.
        _ = try session.must(.goto(event: 8))
        guard case let .backtrace(back) = try session.must(.backtrace()).report else { Issue.record("unexpected report"); return }
        #expect(back.frames.map(\.function) == ["outer"])
        #expect(back.lastEvent?.function == "leafy")
    }

    @Test func nextOnOneThreadLetsOtherThreadsRun() throws {
        // Under seeded random scheduling the threads interleave; next must still stop only at the
        // current thread's events.
        var interleaved = false
        for seed in UInt64(1)...12 {
            let session = Synthetic.session(Synthetic.nested, policy: .random, seed: seed)
            defer { session.close() }
            while session.here != "alpha outer note a1" {
                guard try session.must(.step()).stop == .done else { break }
            }
            try #require(session.here == "alpha outer note a1")
            _ = try session.must(.selectThread(id: 1))
            let result = try session.must(.next)
            #expect(session.here == "alpha outer note a2", "seed \(seed)")
            let alpha = result.events.filter { $0.threadName == "alpha" }.map(\.function)
            #expect(alpha == ["inner", "inner", "inner", "inner", "outer"], "seed \(seed)")
            if result.events.contains(where: { $0.threadName == "beta" }) { interleaved = true }
        }
        #expect(interleaved, "no seed interleaved beta inside alpha's next: the test shows nothing")
    }

    @Test func nextAndFinishOnTheRealScenario() throws {
        let session = StepperSession(scenario: Scenario(), catalogue: Synthetic.catalogue([]))
        defer { session.close() }
        let full = try session.must(.continue)
        #expect(full.stop == .end(.completed(bytesRead: DemoFiles.hello.count)))
        let negotiate = try #require(session.events.first {
            $0.threadName == "reader" && $0.function == "CIFSSMBNegotiate" && $0.phase == .enter
        })
        _ = try session.must(.goto(event: negotiate.sequence))
        _ = try session.must(.next)
        #expect(session.events.last?.function == "CIFSSMBNegotiate")
        #expect(session.events.last?.phase == .exit)
        #expect(session.events.last?.threadName == "reader")
        let exitEvent = session.position

        _ = try session.must(.goto(event: negotiate.sequence))
        _ = try session.must(.finish)
        #expect(session.position == exitEvent)
    }
}
