import KernelRuntime
import Testing
@testable import Stepper

@Suite struct BreakpointTests {
    @Test func aBreakpointStopsAtTheFunctionsEnter() throws {
        let session = Synthetic.session(Synthetic.nested)
        defer { session.close() }
        guard case let .breakpointSet(breakpoint) = try session.must(.breakpoint(function: "thrower")).report else {
            Issue.record("no breakpoint set")
            return
        }
        #expect(breakpoint == Breakpoint(number: 1, kind: .function("thrower", condition: nil)))
        let result = try session.must(.continue)
        #expect(result.stop == .breakpoint(number: 1, function: "thrower", event: 9))
        #expect(session.here == "alpha thrower enter ")
        // Its exit does not stop again; the run goes on to the end.
        #expect(try session.must(.continue).stop == .end(.completed(bytesRead: 0)))
    }

    @Test func anUnpairedEventStandsForACall() throws {
        let session = Synthetic.session(Synthetic.nested)
        defer { session.close() }
        _ = try session.must(.breakpoint(function: "leafy"))
        _ = try session.must(.breakpoint(function: "ghost"))
        #expect(try session.must(.continue).stop == .breakpoint(number: 1, function: "leafy", event: 8))
        // An exit without an enter is not a call: the ghost never stops the run.
        #expect(try session.must(.continue).stop == .end(.completed(bytesRead: 0)))
    }

    @Test func conditionsDecideWhetherTheBreakpointStops() throws {
        let session = Synthetic.session(Synthetic.ticking)
        defer { session.close() }
        _ = try session.must(.breakpoint(function: "tick", condition: "counter.value == 3"))
        let hit = try session.must(.continue)
        #expect(hit.stop == .breakpoint(number: 1, function: "tick", event: session.position))
        #expect(session.here == "ticker tick enter i=3")
        // Passed ticks 1 and 2 without stopping.
        #expect(hit.events.filter { $0.function == "tick" && $0.phase == .enter }.map(\.message) == ["i=1", "i=2", "i=3"])
        #expect(try session.must(.continue).stop == .end(.completed(bytesRead: 0)))

        let never = Synthetic.session(Synthetic.ticking)
        defer { never.close() }
        _ = try never.must(.breakpoint(function: "tick", condition: "counter.value > 5 or counter.flag == true"))
        #expect(try never.must(.continue).stop == .end(.completed(bytesRead: 0)))

        let compound = Synthetic.session(Synthetic.ticking)
        defer { compound.close() }
        _ = try compound.must(.breakpoint(function: "tick", condition: "not (counter.value < 4) and counter.value != 5"))
        _ = try compound.must(.continue)
        #expect(compound.here == "ticker tick enter i=4")
    }

    @Test func unknownNamesAreRefusedWithTheClosestOnes() {
        let session = Synthetic.session(Synthetic.nested)
        defer { session.close() }
        guard case let .failure(.unknownFunction(name, closest)) = session.execute(.breakpoint(function: "innr")) else {
            Issue.record("an unknown function must be refused")
            return
        }
        #expect(name == "innr")
        #expect(closest.first == "inner")
        #expect(closest.count <= 5)
        #expect(session.breakpoints.isEmpty)
    }

    @Test func theKernelNameBesideAnEventNameIsAccepted() throws {
        let session = Synthetic.session(Synthetic.nested)
        defer { session.close() }
        let set = try session.must(.breakpoint(function: "renamed_in_3_8"))
        #expect(set.report == .breakpointSet(Breakpoint(number: 1, kind: .function("renamed", condition: nil))))
    }

    @Test func badConditionsAreRefusedWithTheirColumn() {
        let session = Synthetic.session(Synthetic.ticking)
        defer { session.close() }
        guard case let .failure(.badCondition(error)) = session.execute(
            .breakpoint(function: "tick", condition: "counter.valu == 3")) else {
            Issue.record("an unknown path must be refused")
            return
        }
        #expect(error.column == 1)
        #expect(error.message.contains("counter.valu"))
        #expect(error.expected.contains("counter.value"))
        guard case let .failure(.badCondition(typeError)) = session.execute(
            .breakpoint(function: "tick", condition: "counter.flag == 3")) else {
            Issue.record("a number for a boolean must be refused")
            return
        }
        #expect(typeError.column == 17)
        #expect(typeError.expected == "true or false")
        #expect(session.breakpoints.isEmpty)
    }

    @Test func deleteRemovesByNumberOrFunction() throws {
        let session = Synthetic.session(Synthetic.nested)
        defer { session.close() }
        _ = try session.must(.breakpoint(function: "inner"))
        _ = try session.must(.watch(path: "counter.value"))
        _ = try session.must(.breakpoint(function: "thrower"))
        #expect(session.breakpoints.map(\.number) == [1, 2, 3])
        #expect(try session.must(.delete(.number(2))).report == .deleted([Breakpoint(number: 2, kind: .watch(path: "counter.value"))]))
        _ = try session.must(.delete(.function("inner")))
        #expect(session.breakpoints.map(\.number) == [3])
        #expect(session.execute(.delete(.number(9))) == .failure(.noSuchBreakpoint("9")))
        _ = try session.must(.delete(.all))
        #expect(try session.must(.infoBreakpoints).report == .breakpoints([]))
    }

    @Test func conditionsOnTheRealScenarioReadTheClientsState() throws {
        let session = StepperSession(scenario: Scenario(signing: .on), catalogue: Synthetic.catalogue(["cifs_sign_smb"]))
        defer { session.close() }
        _ = try session.must(.breakpoint(function: "cifs_sign_smb", condition: "server.sequenceNumber >= 6"))
        let hit = try session.must(.continue)
        guard case .breakpoint = hit.stop else {
            Issue.record("expected a breakpoint stop, got \(String(describing: hit.stop))")
            return
        }
        guard case let .value(_, value) = try session.must(.print(path: "server.sequenceNumber")).report,
              case let .integer(sequence)? = value else {
            Issue.record("no sequence number")
            return
        }
        #expect(sequence >= 6)
        // Every earlier signing saw a smaller number: the condition held first here.
        _ = try session.must(.delete(.all))
        _ = try session.must(.breakpoint(function: "cifs_sign_smb"))
        let first = try session.must(.reverseContinue)
        guard case .breakpoint = first.stop else {
            Issue.record("expected an earlier signing, got \(String(describing: first.stop))")
            return
        }
        guard case let .value(_, earlier) = try session.must(.print(path: "server.sequenceNumber")).report,
              case let .integer(before)? = earlier else { Issue.record("unexpected report"); return }
        #expect(before < 6)
    }
}
