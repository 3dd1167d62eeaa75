import KernelRuntime
import Testing
@testable import Stepper

/// Watches after moves that run without stops (goto, step thread), a watch and a breakpoint on
/// one event, and conditions nested beyond the parser's bound. On `Synthetic.ticking`, tick i
/// sets `counter.value = i` just before its enter, event 3i − 2.
@Suite struct WatchInteractionTests {
    @Test func aWatchAfterAForwardGotoReportsTheNextChange() throws {
        let session = Synthetic.session(Synthetic.ticking)
        defer { session.close() }
        _ = try session.must(.watch(path: "counter.value"))
        _ = try session.must(.goto(event: 7))
        #expect(try session.must(.continue).stop
            == .watch(number: 1, path: "counter.value", old: .integer(3), new: .integer(4), event: 10))
    }

    @Test func aWatchAfterStepThreadReportsTheNextChange() throws {
        let session = Synthetic.session(Synthetic.ticking)
        defer { session.close() }
        _ = try session.must(.watch(path: "counter.value"))
        _ = try session.must(.step())
        let ticker = try #require(session.threads.first { $0.name == "ticker" }?.id)
        _ = try session.must(.stepThread(id: ticker, count: 6))
        #expect(session.position == 7)
        #expect(try session.must(.continue).stop
            == .watch(number: 1, path: "counter.value", old: .integer(3), new: .integer(4), event: 10))
    }

    @Test func aBreakpointAndAWatchOnOneEventReportTheBreakpointAndKeepTheWatchInStep() throws {
        let session = Synthetic.session(Synthetic.ticking)
        defer { session.close() }
        _ = try session.must(.breakpoint(function: "tick", condition: "counter.value == 2"))
        _ = try session.must(.watch(path: "counter.value"))
        #expect(try session.must(.continue).stop
            == .watch(number: 2, path: "counter.value", old: .integer(0), new: .integer(1), event: 1))
        #expect(try session.must(.continue).stop == .breakpoint(number: 1, function: "tick", event: 4))
        // The change to 2 happened at event 4 with the breakpoint: the next stop is the change to 3.
        #expect(try session.must(.continue).stop
            == .watch(number: 2, path: "counter.value", old: .integer(2), new: .integer(3), event: 7))
        // Going back, the same event gives the same (first) reason.
        #expect(try session.must(.reverseContinue).stop == .breakpoint(number: 1, function: "tick", event: 4))
    }

    @Test func conditionsNestedPastTheBoundAreRefusedNotOverflowed() throws {
        let session = Synthetic.session(Synthetic.ticking)
        defer { session.close() }
        let fine = String(repeating: "not ", count: ExpressionParser.maximumNesting) + "counter.value == 0"
        #expect((try? session.execute(.evaluate(condition: fine)).get()) != nil)
        for deep in [String(repeating: "not ", count: 100_000) + "counter.value == 0",
                     String(repeating: "(", count: 100_000) + "counter.value == 0"] {
            guard case let .failure(error) = session.execute(.evaluate(condition: deep)) else {
                Issue.record("a condition nested 100,000 deep was accepted")
                continue
            }
            #expect("\(error)".contains("at most \(ExpressionParser.maximumNesting) nested"))
        }
    }
}
