import KernelRuntime
import Testing
@testable import Stepper

@Suite struct SchedulingTests {
    private static let readAndX: UInt8 = 0x2E

    private func fullRun(_ scenario: Scenario) throws -> StepperSession {
        let session = StepperSession(scenario: scenario, catalogue: Synthetic.catalogue([]))
        let result = try session.must(.continue)
        guard case .end(.completed) = result.stop else {
            Issue.record("the run did not complete: \(String(describing: result.stop))")
            return session
        }
        return session
    }

    /// The MID of an SMB1 READ_ANDX in one of `event`'s buffers, if it is a request (or a reply).
    private func readAndXMid(_ event: TraceEvent, reply: Bool) -> UInt16? {
        for buffer in event.buffers {
            let bytes = buffer.bytes
            for start in [0, 4] where bytes.count >= start + 32
                && Array(bytes[start..<(start + 4)]) == [0xFF, 0x53, 0x4D, 0x42] {
                let isReply = bytes[start + 9] & 0x80 != 0
                if bytes[start + 4] == Self.readAndX, isReply == reply {
                    return UInt16(bytes[start + 30]) | UInt16(bytes[start + 31]) << 8
                }
            }
        }
        return nil
    }

    @Test func theDefaultScenarioHasTwoReadAndXInFlightBeforeTheFirstReply() throws {
        let session = try fullRun(Scenario(file: "random-256k.bin"))
        defer { session.close() }
        let events = session.events
        var requestOrder: [UInt16] = []
        for event in events where event.threadName == "reader" {
            if let mid = readAndXMid(event, reply: false), !requestOrder.contains(mid) { requestOrder.append(mid) }
        }
        let firstReply = try #require(events.first { $0.threadName == "cifsd" && readAndXMid($0, reply: true) != nil })
        var sentBefore: [UInt16] = []
        for event in events where event.sequence < firstReply.sequence && event.threadName == "reader" {
            if let mid = readAndXMid(event, reply: false), !sentBefore.contains(mid) { sentBefore.append(mid) }
        }
        #expect(sentBefore.count == 2, "READ_ANDX sent before cifsd received the first reply: mids \(sentBefore)")
        // 15 pages (61,440 bytes) each, the 3.8 default rsize: windows of 30, 15, 15 and 4 pages.
        #expect(requestOrder.count == 5)
        guard case let .value(_, maxInFlight) = try session.must(.print(path: "server.maxInFlight")).report else { Issue.record("unexpected report"); return }
        #expect(maxInFlight == .integer(2))
        guard case let .value(_, raPages) = try session.must(.print(path: "ra.ra_pages")).report else { Issue.record("unexpected report"); return }
        #expect(raPages == .integer(15))
    }

    /// (thread, function, phases) — nil phases: any phase.
    private typealias Step = (thread: String, function: String, phases: Set<TracePhase>?)

    @Test func theTeachingOrderTellsTheCanonicalStory() throws {
        let session = try fullRun(Scenario(file: "random-256k.bin"))
        defer { session.close() }
        let story: [Step] = [
            ("reader", "cifs_readpages", [.enter]),
            ("reader", "cifs_async_readv", nil),
            ("reader", "cifs_async_readv", nil),
            ("reader", "lock_page_killable", [.block]),
            ("smbd", "reply_read_and_X", nil),
            ("smbd", "srv_send_smb", [.send]),
            ("cifsd", "cifs_readv_receive", nil),
            ("cifsd", "cifs_readv_callback", nil),
            ("cifsiod", "cifs_readv_complete", [.enter]),
            // 3.8's lock_page_killable returns once unlock_page woke it: its exit.
            ("reader", "lock_page_killable", [.exit]),
        ]
        var remaining = story[...]
        var positions: [Int] = []
        for event in session.events {
            guard let step = remaining.first else { break }
            if event.threadName == step.thread, event.function == step.function,
               step.phases?.contains(event.phase) ?? true {
                positions.append(event.sequence)
                remaining = remaining.dropFirst()
            }
        }
        try #require(remaining.isEmpty, "the story stopped before \(remaining.first.map { "\($0.thread) \($0.function)" } ?? "")")
        // Each thread's part is told to the end before the next one starts: between the reader
        // blocking and waking, no reader events; the server answers both reads before cifsd runs.
        let blocked = positions[3], woke = positions[9]
        let middle = session.events.filter { $0.sequence > blocked && $0.sequence < woke }
        #expect(!middle.contains { $0.threadName == "reader" })
        let threadOrder = middle.map(\.threadName).reduce(into: [String]()) { runs, name in
            if runs.last != name { runs.append(name) }
        }
        #expect(threadOrder == ["smbd", "cifsd", "cifsiod"])
    }

    @Test func replayReproducesExplicitChoices() throws {
        let scenario = Scenario(file: "random-256k.bin", policy: .teaching)
        let session = StepperSession(scenario: scenario, catalogue: Synthetic.catalogue([]))
        defer { session.close() }
        // Hand-picked threads where the teaching order would keep the current one.
        var picked = 0
        for stride in [7] + Array(repeating: 40, count: 12) {
            _ = try session.must(.step(count: stride))
            for thread in session.threads where thread.id != session.currentThread {
                if case let .success(result) = session.execute(.stepThread(id: thread.id, count: 2)), !result.events.isEmpty {
                    picked += 1
                    break
                }
            }
        }
        #expect(picked >= 2)
        let end = try session.must(.continue)
        #expect(end.stop == .end(.completed(bytesRead: 256 * 1024)))
        let plain = try fullRun(scenario)
        defer { plain.close() }
        #expect(session.events != plain.events, "the explicit choices changed nothing: the test shows nothing")

        // The same program on a fresh runtime replaying the session's decisions.
        let replay = SteppedRuntime(seed: scenario.seed, policy: scenario.policy.schedulingPolicy(seed: scenario.seed),
                                    replaying: session.decisions)
        let run = try StepperProgram.cifsRead(scenario).start(replay)
        try replay.runToCompletion()
        #expect(replay.trace.events == session.events)
        #expect(run.output == session.output)

        // And inside the session: back to the start and forward again.
        _ = try session.must(.goto(event: 0))
        _ = try session.must(.continue)
        #expect(session.events == replay.trace.events)
    }

    @Test func choosingAnotherThreadAfterGoingBackCutsTheTimeline() throws {
        let session = Synthetic.session(Synthetic.nested)
        defer { session.close() }
        _ = try session.must(.continue)
        let teaching = session.events
        _ = try session.must(.goto(event: 3))
        // The recorded run kept alpha; run beta now instead.
        let beta = try session.must(.stepThread(id: 2))
        #expect(beta.events.map(\.threadName) == ["beta"])
        #expect(session.events.prefix(3) == teaching.prefix(3))
        let rest = try session.must(.continue)
        #expect(rest.stop == .end(.completed(bytesRead: 0)))
        #expect(session.events.count == teaching.count)
        #expect(session.events != teaching)
        // Going back and forth now follows the new run.
        let now = session.events
        _ = try session.must(.goto(event: 1))
        _ = try session.must(.continue)
        #expect(session.events == now)
    }

    @Test func seededRandomIsAPureFunctionOfSeedAndDecision() throws {
        let a = Synthetic.session(Synthetic.nested, policy: .random, seed: 7)
        let b = Synthetic.session(Synthetic.nested, policy: .random, seed: 7)
        defer { a.close(); b.close() }
        _ = try a.must(.continue)
        _ = try b.must(.step(count: 5))
        _ = try b.must(.goto(event: 2))   // a replay that stops following the recorded decisions
        _ = try b.must(.continue)
        #expect(a.events == b.events)
        let other = Synthetic.session(Synthetic.nested, policy: .random, seed: 8)
        defer { other.close() }
        _ = try other.must(.continue)
        var differs = a.events.map(\.threadID) != other.events.map(\.threadID)
        for seed in UInt64(9)...20 where !differs {
            let s = Synthetic.session(Synthetic.nested, policy: .random, seed: seed)
            _ = try s.must(.continue)
            differs = a.events.map(\.threadID) != s.events.map(\.threadID)
            s.close()
        }
        #expect(differs, "every seed gave the same interleaving")
    }
}
