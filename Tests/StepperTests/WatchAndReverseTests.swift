import KernelRuntime
import Testing
@testable import Stepper

/// Watches, goto, reverse-step and reverse-continue: going back is a replay that lands on the
/// right event, with frames and watched values recomputed.
@Suite struct WatchAndReverseTests {
    /// The value at `path` at the current event.
    private func value(_ session: StepperSession, _ path: String) throws -> StateValue? {
        guard case let .value(_, value) = try session.must(.print(path: path)).report else { Issue.record("unexpected report"); return nil }
        return value
    }

    @Test func aWatchStopsAtTheFirstEventAfterTheValueChanged() throws {
        let session = Synthetic.session(Synthetic.ticking)
        defer { session.close() }
        _ = try session.must(.watch(path: "counter.value"))
        for i in 1...5 {
            let result = try session.must(.continue)
            #expect(result.stop == .watch(number: 1, path: "counter.value", old: .integer(i - 1), new: .integer(i),
                                          event: session.position))
            #expect(session.here == "ticker tick enter i=\(i)")
            // Exactly here: one event earlier the value was still the old one.
            _ = try session.must(.reverseStep())
            #expect(try value(session, "counter.value") == .integer(i - 1))
            _ = try session.must(.step())
            #expect(try value(session, "counter.value") == .integer(i))
        }
        #expect(try session.must(.continue).stop == .end(.completed(bytesRead: 0)))
    }

    @Test func aWatchOnTheRealScenarioStopsWhereTheSequenceNumberMoves() throws {
        let session = StepperSession(scenario: Scenario(signing: .on), catalogue: Synthetic.catalogue([]))
        defer { session.close() }
        _ = try session.must(.watch(path: "server.sequenceNumber"))
        var stops: [(event: Int, old: StateValue?, new: StateValue?)] = []
        while case let .watch(_, _, old, new, event)? = try session.must(.continue).stop {
            stops.append((event, old, new))
            if stops.count == 4 { break }
        }
        try #require(stops.count == 4)
        for stop in stops {
            _ = try session.must(.goto(event: stop.event - 1))
            #expect(try value(session, "server.sequenceNumber") == stop.old)
            _ = try session.must(.goto(event: stop.event))
            #expect(try value(session, "server.sequenceNumber") == stop.new)
        }
        // Numbers only grow while signing.
        let numbers = stops.compactMap { if case let .integer(n)? = $0.new { return n } else { return nil } }
        #expect(numbers == numbers.sorted() && Set(numbers).count == numbers.count)
    }

    @Test func unknownWatchPathsAreRefused() {
        let session = Synthetic.session(Synthetic.ticking)
        defer { session.close() }
        guard case let .failure(.unknownPath(path, closest)) = session.execute(.watch(path: "counter.valeu")) else {
            Issue.record("expected an unknown path")
            return
        }
        #expect(path == "counter.valeu" && closest.first == "counter.value")
        // The program's paths come first; the session's own (mid, threads) may follow.
        guard case let .failure(.unknownPath(bad, nearest)) = session.execute(.print(path: "counter[")) else {
            Issue.record("expected an unknown path")
            return
        }
        #expect(bad == "counter[" && nearest.prefix(2) == ["counter.flag", "counter.value"])
    }

    @Test func gotoAndReverseStepReplayToTheSameEvents() throws {
        let session = Synthetic.session(Synthetic.nested)
        defer { session.close() }
        _ = try session.must(.step(count: 12))
        let original = session.events
        #expect(original.count == 12)
        let back = try session.must(.reverseStep(count: 3))
        #expect(back.stop == .done && back.position == 9)
        #expect(session.events == Array(original.prefix(9)))
        _ = try session.must(.goto(event: 2))
        #expect(session.events == Array(original.prefix(2)))
        _ = try session.must(.goto(event: 12))
        #expect(session.events == original)
        #expect(try session.must(.goto(event: 0)).stop == .start)
        #expect(session.position == 0)
        #expect(try session.must(.reverseStep()).stop == .start)
        // Beyond the end: runs to the end.
        #expect(try session.must(.goto(event: 500)).stop == .end(.completed(bytesRead: 0)))
        #expect(session.position == 18)
        #expect(session.execute(.goto(event: -1)) == .failure(.badNumber(-1, what: "goto: expected an event number ≥ 0")))
        #expect(session.execute(.reverseStep(count: 0)) == .failure(.badNumber(0, what: "reverse-step: expected a positive number of events")))
    }

    @Test func reverseContinueGoesBackToThePreviousStop() throws {
        let session = Synthetic.session(Synthetic.ticking)
        defer { session.close() }
        _ = try session.must(.breakpoint(function: "tick", condition: "counter.value == 2 or counter.value == 4"))
        let second = try session.must(.continue)
        let fourth = try session.must(.continue)
        guard case let .breakpoint(_, _, two)? = second.stop, case let .breakpoint(_, _, four)? = fourth.stop else {
            Issue.record("expected two breakpoint stops")
            return
        }
        _ = try session.must(.step(count: 2))
        // From after the stop at tick 4: back to it, then to tick 2, then to the start.
        #expect(try session.must(.reverseContinue).stop == .breakpoint(number: 1, function: "tick", event: four))
        #expect(session.position == four && session.here == "ticker tick enter i=4")
        #expect(try session.must(.reverseContinue).stop == .breakpoint(number: 1, function: "tick", event: two))
        #expect(session.here == "ticker tick enter i=2")
        #expect(try session.must(.reverseContinue).stop == .start)
        #expect(session.position == 0)
        // And forward again reaches the same stops.
        #expect(try session.must(.continue).stop == .breakpoint(number: 1, function: "tick", event: two))
    }

    @Test func reverseContinueStopsAtWatchesToo() throws {
        let session = Synthetic.session(Synthetic.ticking)
        defer { session.close() }
        _ = try session.must(.goto(event: 10))
        _ = try session.must(.watch(path: "counter.value"))
        // Ticks are 3 events each: i=N's enter is event 3N-2, the first after the value became N.
        #expect(try session.must(.reverseContinue).stop
                == .watch(number: 1, path: "counter.value", old: .integer(2), new: .integer(3), event: 7))
        #expect(try value(session, "counter.value") == .integer(3))
        #expect(try session.must(.reverseContinue).stop
                == .watch(number: 1, path: "counter.value", old: .integer(1), new: .integer(2), event: 4))
        // The watch's value follows the replay: going forward again stops at the next change.
        #expect(try session.must(.continue).stop
                == .watch(number: 1, path: "counter.value", old: .integer(2), new: .integer(3), event: 7))
    }
}
