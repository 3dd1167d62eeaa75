import KernelRuntime
import Testing
@testable import Stepper

/// Faults by name: each takes the path Linux 3.8 takes, and going back and forth replays it.
@Suite struct FaultTests {
    static let scenario = Scenario(signing: .on, file: "random-256k.bin")
    static let file = DemoFiles.share(for: "random-256k.bin")["random-256k.bin"] ?? []

    /// A session with `fault` armed after event `after`, run to its end.
    static func run(_ fault: StepperFault, after: Int = 0, scenario: Scenario = scenario) throws -> StepperSession {
        let session = StepperSession(scenario: scenario)
        if after > 0 { _ = try session.must(.goto(event: after)) }
        _ = try session.must(.fault(fault))
        _ = try session.must(.continue)
        return session
    }

    /// The functions of `events` in order, keeping only those named in `wanted`.
    static func calls(_ events: [TraceEvent], _ wanted: Set<String>, phase: TracePhase = .enter) -> [String] {
        events.filter { wanted.contains($0.function) && $0.phase == phase }.map(\.function)
    }

    @Test func badSignatureIsLoggedAsEACCESAndTheDataUsed() throws {
        let session = try Self.run(.badSignature(6))
        defer { session.close() }
        #expect(session.outcome == .completed(bytesRead: Self.file.count))
        #expect(session.output == Self.file && session.firstWrongByte == nil)
        let failed = session.events.filter { $0.function == "cifs_verify_signature" && $0.phase == .exit
            && $0.message.contains("-13 (EACCES)") }
        #expect(failed.count == 1)
        #expect(failed.first?.message.contains("the data is used anyway") == true)
        #expect(failed.first?.buffers.first { $0.name == "signature comparison" }?.bytes == [0])
        #expect(failed.first?.diff.contains { $0.path == "server.signatureFailures" && $0.new == "1" } == true)
        // The server corrupted exactly that reply.
        #expect(session.events.contains { $0.threadName == "smbd" && $0.message.contains("signature corrupted (reply 6)") })
    }

    @Test func aReadErrorIsDiscardedAndTheReaderFallsBackToReadpage() throws {
        let session = try Self.run(.readError(1))
        defer { session.close() }
        #expect(session.outcome == .completed(bytesRead: Self.file.count) && session.output == Self.file)
        // The first READ_ANDX: discarded on cifsd, its callback, completed without uptodate on
        // cifsiod, then page 0 by the reader's readpage.
        let discard = try #require(session.events.first { $0.function == "cifs_readv_discard" && $0.phase == .enter })
        let mid = try #require(discard.mid)
        let path = session.events.filter { $0.mid == mid && $0.phase == .enter }.map(\.function)
            .filter { ["cifs_readv_discard", "cifs_readv_callback", "cifs_readv_complete"].contains($0) }
        #expect(path == ["cifs_readv_discard", "cifs_readv_callback", "cifs_readv_complete"])
        #expect(discard.threadName == "cifsd")
        let complete = try #require(session.events.first { $0.function == "cifs_readv_complete" && $0.phase == .enter
            && $0.mid == mid })
        #expect(complete.message.contains("unlock only") && complete.message.contains("STATUS_UNEXPECTED_IO_ERROR"))
        let readpage = try #require(session.events.first { $0.function == "cifs_readpage" && $0.phase == .enter })
        #expect(readpage.threadName == "reader" && readpage.message.hasPrefix("page[0] "))
        #expect(readpage.sequence > complete.sequence)
    }

    @Test func aShortReadIsZeroFilledAs38DidAndTheReaderSeesZeros() throws {
        let session = try Self.run(.shortRead(2))
        defer { session.close() }
        #expect(session.outcome == .completed(bytesRead: Self.file.count))
        // 3.8: the second reply stops 10000 bytes in; the rest of that page is zeros, uptodate.
        let start = 61_440 + 10_000
        #expect(session.firstWrongByte == start)
        #expect(session.output[start..<73_728].allSatisfy { $0 == 0 })
        #expect(Array(session.output[73_728...]) == Array(Self.file[73_728...]), "later pages come from readpage")
        #expect(session.events.contains { $0.function == "cifs_readpages_read_into_pages" && $0.phase == .note
            && $0.message.hasPrefix("3.8: page[17] zero-filled after 1808 bytes") })
    }

    @Test func getDoesNotZeroFillAShortRead() throws {
        // The same fault with cifstep get's mount options: the partial page goes to readpage.
        let session = StepperSession(scenario: Self.scenario, catalogue: .builtIn) { scenario in
            .cifsRead(scenario, files: DemoFiles.share(for: scenario.file), mountOptions: {
                var mount = $0
                mount.shortReadZeroFill = false
                return mount
            })
        }
        defer { session.close() }
        _ = try session.must(.fault(.shortRead(2)))
        _ = try session.must(.continue)
        #expect(session.outcome == .completed(bytesRead: Self.file.count))
        #expect(session.output == Self.file && session.firstWrongByte == nil)
    }

    @Test func aWrongPasswordEndsTheMountWithLogonFailure() throws {
        let session = try Self.run(.wrongPassword)
        defer { session.close() }
        guard case let .programFailed(failure)? = session.outcome else {
            Issue.record("expected the mount to fail, got \(String(describing: session.outcome))")
            return
        }
        #expect(failure.thread == "reader" && failure.errno == -13 && failure.error.contains("STATUS_LOGON_FAILURE"))
        #expect(session.events.contains { $0.function == "cifs_mount" && $0.phase == .exit
            && $0.message.hasPrefix("error:") && $0.message.contains("STATUS_LOGON_FAILURE") })
    }

    @Test func aDisconnectReconnectsRetriesReopensAndCompletes() throws {
        let session = try Self.run(.disconnect(10))
        defer { session.close() }
        #expect(session.outcome == .completed(bytesRead: Self.file.count) && session.output == Self.file)
        let path = Self.calls(session.events, ["cifs_reconnect", "CIFSSMBNegotiate", "cifs_setup_session",
                                               "cifs_reopen_file"])
        #expect(path == ["CIFSSMBNegotiate", "cifs_setup_session", "cifs_reconnect", "CIFSSMBNegotiate",
                         "cifs_setup_session", "cifs_reopen_file"])
        let reconnect = try #require(session.events.first { $0.function == "cifs_reconnect" && $0.phase == .enter })
        #expect(reconnect.threadName == "cifsd")
        // A mid in flight was marked for retry and its read came back -EAGAIN, then was sent again.
        #expect(session.events.contains { $0.function == "cifs_readv_callback" && $0.message.contains("retryNeeded") })
        #expect(session.events.contains { $0.function == "cifs_retry_async_readv" && $0.message.hasPrefix("-EAGAIN") })
    }

    @Test func aDroppedReplyLeavesTheReaderWaitingAndTheStepperSaysOnWhat() throws {
        let session = try Self.run(.dropReply(8))
        defer { session.close() }
        guard case let .runtimeFailed(reason)? = session.outcome else {
            Issue.record("expected the run to stop, got \(String(describing: session.outcome))")
            return
        }
        // 3.8 has no timeout there: every thread waits, and the stepper names what on.
        #expect(reason.contains("deadlock") && reason.contains("reader waiting for page frame"))
        #expect(reason.contains("cifsd waiting for pipe"))
        // The threads stay where they wait, so the thread list says it too (not "run aborted").
        let reader = try #require(session.threads.first { $0.name == "reader" })
        guard case let .blocked(on: queue, _) = reader.status else {
            Issue.record("the reader is \(reader.status)")
            return
        }
        #expect(queue.hasPrefix("page frame"))
    }

    @Test func aStaleHandleFailsTheSynchronousReadWithEBADF() throws {
        let session = try Self.run(.staleHandle(1))
        defer { session.close() }
        guard case let .programFailed(failure)? = session.outcome else {
            Issue.record("expected the read to fail, got \(String(describing: session.outcome))")
            return
        }
        #expect(failure.errno == -9 && failure.error.contains("STATUS_INVALID_HANDLE"))
        // The async read after the first fails, then the reader's readpage fails too: no reopen.
        #expect(session.events.contains { $0.function == "cifs_readpage" && $0.phase == .exit && $0.message.hasPrefix("error:") })
        #expect(!session.events.contains { $0.function == "cifs_reopen_file" })
    }

    static let everyFault: [StepperFault] = [
        .badSignature(6), .readError(1), .shortRead(2), .wrongPassword, .disconnect(10), .dropReply(8), .staleHandle(1),
    ]

    @Test(arguments: everyFault)
    func goingBackAndForthReplaysTheFault(fault: StepperFault) throws {
        // Armed mid-run, after event 300 (after login for all but wrong-password, armed at 0).
        let after = fault == .wrongPassword ? 0 : 300
        let session = try Self.run(fault, after: after)
        defer { session.close() }
        let first = session.events
        let outcome = session.outcome
        #expect(session.faults.map(\.afterEvent) == [after] && session.faults.map(\.fault) == [fault])
        _ = try session.must(.goto(event: max(1, after / 2)))
        _ = try session.must(.continue)
        #expect(session.events == first, "\(fault): the replay differs")
        #expect(session.outcome == outcome)
        // Back past the end and forward by steps: the same events one by one.
        _ = try session.must(.goto(event: 0))
        _ = try session.must(.goto(event: first.count))
        #expect(session.events == first)
    }

    @Test func armingAFaultDropsTheRecordedFutureAndALaterArmedFault() throws {
        let session = try Self.run(.readError(1), after: 600)
        defer { session.close() }
        let withLateFault = session.events
        _ = try session.must(.goto(event: 300))
        _ = try session.must(.fault(.badSignature(3)))
        #expect(session.faults.map(\.fault) == [.badSignature(3)], "the fault armed at 600 belonged to the old future")
        _ = try session.must(.continue)
        #expect(session.events != withLateFault)
        #expect(session.events.contains { $0.message.contains("-13 (EACCES)") })
        #expect(!session.events.contains { $0.function == "cifs_readv_discard" })
    }

    @Test func aMoveStopsAtTheEventLimitAndTheNextGoesOn() throws {
        let session = StepperSession(scenario: Self.scenario)
        defer { session.close() }
        session.eventLimit = 100
        #expect(try session.must(.continue).stop == .eventLimit(100))
        #expect(session.position == 100)
        #expect(try session.must(.continue).stop == .eventLimit(100))
        #expect(session.position == 200)
        // goto is not a run that may go round in circles: it reaches its event.
        #expect(try session.must(.goto(event: 450)).stop == .done && session.position == 450)
    }

    @Test(arguments: ["bad-signature:0", "nonsense", "read-error:x", "wrong-password:2", "drop-reply 1 2"])
    func misspeltFaultsAreRefusedSayingWhy(text: String) {
        #expect(throws: StepperFault.ParseError.self) { try StepperFault(parsing: text) }
    }

    @Test func faultNamesParse() throws {
        #expect(try StepperFault(parsing: "bad-signature:2") == .badSignature(2))
        #expect(try StepperFault(parsing: "disconnect 3") == .disconnect(3))
        #expect(try StepperFault(parsing: "read-error") == .readError(1))
        #expect(try StepperFault(parsing: "wrong-password") == .wrongPassword)
        #expect(StepperFault.names.allSatisfy { (try? StepperFault(parsing: $0))?.name == $0 })
        let refused = #expect(throws: StepperFault.ParseError.self) { try StepperFault(parsing: "bad-signatur") }
        #expect(refused?.description.contains("closest: bad-signature") == true)
    }
}
