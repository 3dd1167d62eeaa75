import KernelRuntime
import Testing
@testable import Stepper

/// The library side of the gdb-style REPL: interrupting a move, temporary breakpoints, `x`'s
/// bytes and `info functions`.
@Suite struct InterruptAndExamineTests {
    /// Where a test program finds the session's interruption once the session exists.
    final class Hook: @unchecked Sendable {
        var interruption: StepperInterruption?
    }

    /// One thread, `looper`, in one traced call that notes 1,000 times and asks for an
    /// interruption just before its 100th note (as a SIGINT handler would, from another thread
    /// than the controller's).
    static func looping(_ hook: Hook) -> StepperSession {
        let program = StepperProgram(paths: StatePaths([])) { runtime in
            runtime.spawn(name: "looper") {
                try runtime.traced("loop") { call in
                    for i in 1...1000 {
                        if i == 100 { hook.interruption?.request() }
                        try call.note("n\(i)")
                    }
                }
            }
            return ClosureProgramRun()
        }
        let session = StepperSession(scenario: Scenario(), catalogue: Synthetic.catalogue(["loop"]), program: { _ in program })
        hook.interruption = session.interruption
        return session
    }

    @Test func anInterruptionStopsAContinueBetweenTwoEventsAndTheNextMoveGoesOn() throws {
        let hook = Hook()
        let session = Self.looping(hook)
        defer { session.close() }
        let first = try session.execute(.continue).get()
        // Event 1 is the enter, 2…100 the first 99 notes; the request comes before note 100 (event 101).
        #expect(first.stop == .interrupted(events: 101))
        #expect(first.position == 101 && first.events.count == 101)
        #expect(session.outcome == nil)
        hook.interruption = nil
        let rest = try session.execute(.continue).get()
        #expect(rest.stop == .end(.completed(bytesRead: 0)))
        #expect(rest.position == 1002)
    }

    @Test func aRequestMadeBetweenCommandsIsNotTheNextCommands() throws {
        let hook = Hook()
        let session = Self.looping(hook)
        defer { session.close() }
        hook.interruption = nil
        session.interrupt()
        let result = try session.execute(.step(count: 5)).get()
        #expect(result.stop == .done && result.position == 5)
    }

    @Test func aTemporaryBreakpointIsDeletedWhenItFirstStops() throws {
        let session = StepperSession(scenario: Scenario(), catalogue: Synthetic.catalogue(["outer", "inner", "b_work"]),
                                     program: { _ in Synthetic.nested })
        defer { session.close() }
        let set = try session.execute(.temporaryBreakpoint(function: "inner")).get()
        #expect(set.report == .breakpointSet(Breakpoint(number: 1, kind: .function("inner", condition: nil), temporary: true)))
        let hit = try session.execute(.continue).get()
        guard case .breakpoint(1, "inner", _) = hit.stop else {
            Issue.record("expected a stop at inner, got \(String(describing: hit.stop))")
            return
        }
        #expect(hit.report == .deleted([Breakpoint(number: 1, kind: .function("inner", condition: nil), temporary: true)]))
        #expect(session.breakpoints.isEmpty)
        // A plain breakpoint stays.
        _ = try session.execute(.breakpoint(function: "b_work")).get()
        let plain = try session.execute(.continue).get()
        #expect(plain.report == Report.none)
        #expect(session.breakpoints.count == 1)
    }

    @Test func examineGivesTheBytesOfABufferAPathOrAnIdAndRefusesValuesThatAreNotBytes() throws {
        let session = StepperSession(scenario: Scenario(auth: .ntlm, signing: .on))
        defer { session.close() }
        _ = try session.execute(.breakpoint(function: "cifs_calculate_signature")).get()
        _ = try session.execute(.continue).get()
        _ = try session.execute(.finish).get()
        guard case let .bytes(name, signature) = try session.execute(.examine(target: "signature")).get().report else {
            Issue.record("examine signature gave no bytes")
            return
        }
        #expect(name == "signature" && signature.buffer.bytes.count == 8)
        #expect(signature.origin?.function == "cifs_calculate_signature" && signature.origin?.event == session.position)
        // The same buffer by its id.
        let id = try #require(signature.buffer.id)
        guard case let .bytes(_, byID) = try session.execute(.examine(target: "\(id)")).get().report else {
            Issue.record("examine \(id) gave no bytes")
            return
        }
        #expect(byID.buffer.bytes == signature.buffer.bytes)
        guard case let .bytes(_, sent) = try session.execute(.examine(target: "last.sent")).get().report else {
            Issue.record("examine last.sent gave no bytes")
            return
        }
        #expect(sent.buffer.bytes.prefix(4) == [0xff, 0x53, 0x4d, 0x42] && !sent.buffer.spans.isEmpty)
        guard case let .failure(.notBytes(why)) = session.execute(.examine(target: "server.sequenceNumber")) else {
            Issue.record("an integer is not bytes")
            return
        }
        #expect(why.hasPrefix("server.sequenceNumber = ") && why.contains("not bytes"))
        guard case .failure(.noProvenance) = session.execute(.examine(target: "$999999")) else {
            Issue.record("an unknown id must be refused")
            return
        }
    }

    @Test func infoFunctionsMatchesTracedAnd38NamesWhateverTheCase() throws {
        let session = StepperSession()
        defer { session.close() }
        guard case let .functions(signing) = try session.execute(.infoFunctions(matching: "SIGN")).get().report else {
            Issue.record("no functions report")
            return
        }
        #expect(signing.map(\.function).contains("cifs_sign_smb"))
        #expect(signing.allSatisfy { ($0.function + ($0.kernelName ?? "")).lowercased().contains("sign") })
        guard case let .functions(byKernelName) = try session.execute(.infoFunctions(matching: "calc_sig")).get().report else {
            Issue.record("no functions report")
            return
        }
        #expect(byKernelName.map(\.function) == ["cifs_calculate_signature"])
        guard case let .functions(all) = try session.execute(.infoFunctions()).get().report else { return }
        #expect(all == session.catalogue.entries)
    }
}
