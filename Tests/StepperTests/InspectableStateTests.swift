import KernelRuntime
import Testing
@testable import Stepper

/// The paths a student inspects at an event — keys, mids, reads, threads, the last messages —
/// answer what the run's own record says: the state diffs, the messages on the wire, the
/// runtime's threads.
@Suite struct InspectableStateTests {
    private func report(_ session: StepperSession, _ path: String) throws -> Report {
        try session.must(.print(path: path)).report
    }

    /// Steps until `done` holds for the last event (at most `limit` events).
    private func step(_ session: StepperSession, limit: Int = 5000, until done: (TraceEvent) -> Bool) throws -> TraceEvent? {
        for _ in 0..<limit {
            guard case .done? = try session.must(.step()).stop, let event = session.events.last else { return nil }
            if done(event) { return event }
        }
        return nil
    }

    private static func hex(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        return stride(from: 0, to: digits.count, by: 2).map {
            UInt8(String(decoding: digits[$0..<($0 + 2)], as: UTF8.self), radix: 16)
        }.reduce(into: [UInt8]?([])) { out, byte in
            if let byte { out?.append(byte) } else { out = nil }
        }
    }

    /// The little-endian integer in the field named `name` of a recorded message.
    private static func field(_ name: String, of buffer: TraceBuffer) -> Int? {
        guard let span = buffer.spans.first(where: { $0.name == name }) else { return nil }
        return buffer.bytes[span.range].reversed().reduce(0) { $0 << 8 | Int($1) }
    }

    // MARK: Keys

    @Test(arguments: [Scenario.Auth.ntlmssp, .ntlm, .ntlmv2])
    func authKeyIsTheMacKeyUntilCifsSetupSessionFreesIt(auth: Scenario.Auth) throws {
        let session = StepperSession(scenario: Scenario(auth: auth))
        defer { session.close() }
        _ = try session.must(.breakpoint(function: "cifs_setup_session"))
        guard case .breakpoint = try session.must(.continue).stop else {
            Issue.record("cifs_setup_session never ran")
            return
        }
        _ = try session.must(.finish)
        let exit = try #require(session.events.last)
        #expect(exit.function == "cifs_setup_session" && exit.phase == .exit)
        // The diff of the exit says what was freed; print agrees, and the key lives on as the MAC key.
        let freed = try #require(exit.diff.first { $0.path == "ses.authKey" })
        #expect(freed.new == "freed")
        let key = try #require(freed.old.flatMap(Self.hex))
        #expect(!key.isEmpty)
        #expect(try report(session, "ses.authKey") == .value(path: "ses.authKey", value: .text("freed")))
        #expect(try report(session, "server.sessionKey").printedValue == .bytes(key))
        #expect(try report(session, "ses.status") == .value(path: "ses.status", value: .text("good")))
        // One event earlier the key is still held: bytes, as the trace recorded them.
        _ = try session.must(.reverseStep())
        guard case let .bytes(_, held) = try report(session, "ses.authKey") else {
            Issue.record("ses.authKey is not bytes before the exit")
            return
        }
        #expect(held.buffer.bytes == key)
        #expect(try report(session, "ses.cryptKey").printedValue.map { if case let .bytes(b) = $0 { b.count } else { 0 } } == 8)
    }

    // MARK: Mids

    @Test func aMidThatWentAwaySaysWhereAndOneThatNeverExistedSaysSo() throws {
        let session = StepperSession(scenario: Scenario(), catalogue: Synthetic.catalogue([]))
        defer { session.close() }
        #expect(try report(session, "mid[3].state")
            == .absent(path: "mid[3].state", reason: .neverExisted(object: "mid[3]", known: [])))
        let created = try #require(try step(session) { $0.diff.contains { $0.path == "mid[3].state" && $0.old == nil } })
        let allocated = try #require(created.diff.first { $0.path == "mid[3].state" }?.new)
        #expect(try report(session, "mid[3].state") == .value(path: "mid[3].state", value: .text(allocated)))
        #expect(try report(session, "mid[3].sequenceNumber").printedValue != nil)
        // Until it leaves the state, mid[3] answers; then it is gone since its last diff.
        _ = try #require(try step(session) { _ in
            guard case .absent = try? self.report(session, "mid[3].state") else { return false }
            return true
        })
        let last = try #require(session.events.last { $0.diff.contains { $0.path.hasPrefix("mid[3].") || $0.path == "mid[3]" } })
        let change = try #require(last.diff.last { $0.path.hasPrefix("mid[3].") || $0.path == "mid[3]" })
        let gone = StateAbsence.gone(object: "mid[3]", event: last.sequence, function: last.function, removed: change.new == nil)
        #expect(try report(session, "mid[3].state") == .absent(path: "mid[3].state", reason: gone))
        #expect(try report(session, "mid[3]") == .absent(path: "mid[3]", reason: gone))
        #expect(gone.description.hasPrefix("gone (") && gone.description.contains("at #\(last.sequence) \(last.function))"))
        // A mid no diff ever named: never existed, listing those that did.
        let seen = Set(session.events.flatMap(\.diff).compactMap { change -> Int? in
            guard change.path.hasPrefix("mid["), let close = change.path.firstIndex(of: "]") else { return nil }
            return Int(change.path[change.path.index(change.path.startIndex, offsetBy: 4)..<close])
        }).sorted()
        #expect(seen.contains(3))
        #expect(try report(session, "mid[999].state")
            == .absent(path: "mid[999].state", reason: .neverExisted(object: "mid[999]", known: seen)))
    }

    // MARK: Reads

    /// rdata[K] (K from 0, in allocation order) against the trace: each READ_ANDX on the wire
    /// names its read's MID, offset and size; completions are counted.
    @Test func readDataFollowsItsReadFromAllocationToCompletion() throws {
        let session = StepperSession(scenario: Scenario(file: "random-256k.bin"), catalogue: Synthetic.catalogue([]))
        defer { session.close() }
        var allocated = 0
        var completed = 0
        var checkedSends = 0
        var checkedCallbacks = 0
        while case .done? = try session.must(.step()).stop, let event = session.events.last {
            switch (event.function, event.phase) {
            case ("cifs_readdata_alloc", .exit):
                allocated += 1
                let k = allocated - 1
                #expect(try report(session, "rdata[\(k)].state") == .value(path: "rdata[\(k)].state", value: .text("allocated")))
                #expect(try report(session, "rdata[\(k)].mid").printedValue == .integer(0))
                #expect(try report(session, "rdata[\(allocated)].state")
                    == .absent(path: "rdata[\(allocated)].state", reason: .neverExisted(object: "rdata[\(allocated)]", known: Array(0..<allocated))))
            case ("cifs_async_readv", .exit):
                // The request just sent carries this read's MID, offset and size.
                let k = allocated - 1
                guard case let .bytes(_, sent) = try report(session, "last.sent") else {
                    Issue.record("no last.sent after cifs_async_readv")
                    continue
                }
                let mid = try #require(Self.field("header.MID", of: sent.buffer))
                let offset = try #require(Self.field("ReadAndXRequest.Offset", of: sent.buffer))
                let count = try #require(Self.field("ReadAndXRequest.MaxCountOfBytesToReturn", of: sent.buffer))
                let high = try #require(Self.field("ReadAndXRequest.Timeout_or_MaxCountHigh", of: sent.buffer))
                #expect(try report(session, "rdata[\(k)].state").printedValue == .text("sent"))
                #expect(try report(session, "rdata[\(k)].mid").printedValue == .integer(mid))
                #expect(try report(session, "rdata[\(k)].offset").printedValue == .integer(offset))
                #expect(try report(session, "rdata[\(k)].bytesAsked").printedValue == .integer((high & 0xFFFF) << 16 | count))
                #expect(try report(session, "rdata[\(k)].firstPage").printedValue == .integer(offset / 4096))
                #expect(try report(session, "rdata[\(k)].pageCount").printedValue == .integer(((high & 0xFFFF) << 16 | count) / 4096))
                checkedSends += 1
            case ("cifs_readv_callback", .enter):
                // The reply header just received names the read that is now received.
                guard case let .bytes(_, received) = try report(session, "last.received") else { continue }
                let mid = try #require(Self.field("header.MID", of: received.buffer))
                guard case let .values(reads) = try report(session, "rdata") else {
                    Issue.record("print rdata is not a listing")
                    continue
                }
                let root = String(try #require(reads.first { $0.path.hasSuffix(".mid") && $0.value == .integer(mid) }?.path.dropLast(4)))
                #expect(reads.first { $0.path == root + ".state" }?.value == .text("received"))
                checkedCallbacks += 1
            case ("cifs_readv_complete", .exit):
                completed += 1
                guard case let .values(reads) = try report(session, "rdata") else { continue }
                #expect(reads.filter { $0.path.hasSuffix(".state") && $0.value == .text("completed") }.count == completed)
            default:
                break
            }
        }
        #expect(session.outcome == .completed(bytesRead: 262_144))
        #expect(allocated >= 3 && checkedSends == allocated && checkedCallbacks == allocated && completed == allocated)
        guard case let .values(reads) = try report(session, "rdata") else { return }
        #expect(reads.filter { $0.path.hasSuffix(".result") }.allSatisfy { $0.value == .integer(0) })
        let received = reads.filter { $0.path.hasSuffix(".bytes") }.map { if case let .integer(n) = $0.value { n } else { 0 } }
        #expect(received.count == allocated)
        // Readahead reads the whole file asynchronously here; what readpage read is not in rdata.
        #expect(received.reduce(0, +) <= 262_144 && received.reduce(0, +) > 0)
    }

    // MARK: Threads

    @Test func threadsShowWhatTheRuntimeSeesEachThreadDoing() throws {
        let session = StepperSession(scenario: Scenario(), catalogue: Synthetic.catalogue([]))
        defer { session.close() }
        // The reader sleeps on a locked page: once another thread has run after its block event,
        // it is blocked there, inside lock_page_killable.
        let block = try #require(try step(session) { $0.threadName == "reader" && $0.function == "lock_page_killable" && $0.phase == .block })
        _ = try #require(try step(session) { $0.threadID != block.threadID })
        #expect(try report(session, "threads[1].name").printedValue == .text("reader"))
        #expect(try report(session, "threads[1].state").printedValue == .text("blocked"))
        #expect(try report(session, "threads[1].function").printedValue == .text("lock_page_killable"))
        #expect(try report(session, "threads[1].lastEvent").printedValue == .integer(block.sequence))
        let waitsOn = try report(session, "threads[1].waitsOn").printedValue
        guard case let .text(queue)? = waitsOn else {
            Issue.record("a blocked thread says what it waits on")
            return
        }
        #expect(session.threads.first { $0.id == 1 }?.status == .blocked(on: queue, deadline: nil))
        guard case let .values(all) = try report(session, "threads") else {
            Issue.record("print threads is not a listing")
            return
        }
        #expect(all.filter { $0.path.hasSuffix(".name") }.map(\.value)
            == [.text("reader"), .text("smbd"), .text("cifsd"), .text("cifsiod")])
        _ = try session.must(.continue)
        #expect(session.outcome == .completed(bytesRead: 38))
        guard case let .values(done) = try report(session, "threads") else { return }
        #expect(done.filter { $0.path.hasSuffix(".state") }.map(\.value) == Array(repeating: .text("finished"), count: 4))
        #expect(!done.contains { $0.path.hasSuffix(".waitsOn") })
        #expect(try report(session, "threads[9].state")
            == .absent(path: "threads[9].state", reason: .neverExisted(object: "threads[9]", known: [1, 2, 3, 4])))
    }

    // MARK: The last messages

    /// At every event of the default run, last.sent and last.received are byte for byte the
    /// buffers of the client's last send and last SMB-message receive (found here by thread: the
    /// server's is smbd).
    @Test func lastSentAndReceivedAreTheClientsLastMessageBuffers() throws {
        let session = StepperSession(scenario: Scenario(), catalogue: Synthetic.catalogue([]))
        defer { session.close() }
        #expect(try report(session, "last.sent") == .absent(path: "last.sent", reason: .notNow))
        var sent: (TraceBuffer, Int)?
        var received: (TraceBuffer, Int)?
        var checked = 0
        while case .done? = try session.must(.step()).stop, let event = session.events.last {
            if event.threadName != "smbd", event.phase == .send, let buffer = event.buffers.first { sent = (buffer, event.sequence) }
            if event.threadName != "smbd", event.phase == .receive,
               let buffer = event.buffers.first(where: { $0.bytes.starts(with: [0xFF, 0x53, 0x4D, 0x42]) }) {
                received = (buffer, event.sequence)
            }
            for (path, expected) in [("last.sent", sent), ("last.received", received)] {
                guard let (buffer, sequence) = expected else {
                    #expect(try report(session, path) == .absent(path: path, reason: .notNow))
                    continue
                }
                guard case let .bytes(_, shown) = try report(session, path) else {
                    Issue.record("#\(event.sequence): \(path) is not bytes")
                    continue
                }
                #expect(shown.buffer.bytes == buffer.bytes && shown.buffer.spans == buffer.spans)
                #expect(shown.origin?.event == sequence)
                checked += 1
            }
        }
        #expect(sent != nil && received != nil && checked > 600)
    }

    // MARK: A bare mid

    /// Thread `worker`: `prepare` (no mid), then `handle` for mids 3, 5 and 7 (each frame traced
    /// with its mid).
    static let requests = StepperProgram(paths: StatePaths([])) { runtime in
        runtime.spawn(name: "worker") {
            try runtime.traced("prepare") { call in try call.note("no request yet") }
            for mid: UInt16 in [3, 5, 7] {
                try runtime.traced("handle", mid: mid, "request \(mid)") { call in try call.note("working on \(mid)") }
            }
        }
        return ClosureProgramRun()
    }

    @Test func aBareMidInAConditionIsTheMidOfTheEventTested() throws {
        let session = StepperSession(scenario: Scenario(), catalogue: Synthetic.catalogue(["prepare", "handle"])) { _ in
            Self.requests
        }
        defer { session.close() }
        #expect(try report(session, "mid") == .absent(path: "mid", reason: .notNow))
        _ = try session.must(.breakpoint(function: "prepare", condition: "mid == 5"))
        _ = try session.must(.breakpoint(function: "handle", condition: "mid == 5"))
        let hit = try session.must(.continue)
        #expect(hit.stop == .breakpoint(number: 2, function: "handle", event: session.position))
        let event = try #require(session.events.last)
        #expect(event.function == "handle" && event.phase == .enter && event.mid == 5)
        // Every earlier handle call had another mid; prepare had none, so its condition was false.
        #expect(session.events.dropLast().filter { $0.function == "handle" && $0.phase == .enter }.map(\.mid) == [3])
        #expect(try report(session, "mid") == .value(path: "mid", value: .integer(5)))
        #expect(try session.must(.evaluate(condition: "mid == 5 and mid > 4")).report
            == .condition(holds: true, values: [StateEntryOrAbsent(path: "mid", value: .integer(5))]))
        // Where an event carries no mid, `mid` is absent: a comparison is false, its negation true.
        _ = try session.must(.delete(.all))
        _ = try session.must(.goto(event: 0))
        _ = try session.must(.breakpoint(function: "prepare", condition: "not (mid == 5)"))
        #expect(try session.must(.continue).stop == .breakpoint(number: 3, function: "prepare", event: 1))
        #expect(session.events.last?.mid == nil)
        // `mid` holds a number.
        #expect(throws: StepperError.self) { try session.must(.breakpoint(function: "handle", condition: "mid has locked")) }
        #expect(throws: StepperError.self) { try session.must(.breakpoint(function: "handle", condition: "mid == submitted")) }
    }

    @Test func aBareMidStopsAtThatREAD_ANDXsCallbackInARealRun() throws {
        let scenario = Scenario(signing: .on, file: "random-256k.bin")
        let probe = StepperSession(scenario: scenario, catalogue: .builtIn)
        _ = try probe.must(.continue)
        let callbacks = probe.events.filter { $0.function == "cifs_readv_callback" && $0.phase == .enter }.compactMap(\.mid)
        probe.close()
        #expect(callbacks.count == 5)
        let wanted = try #require(callbacks.dropFirst(2).first)
        let session = StepperSession(scenario: scenario, catalogue: .builtIn)
        defer { session.close() }
        _ = try session.must(.breakpoint(function: "cifs_verify_signature", condition: "mid == \(wanted)"))
        let hit = try session.must(.continue)
        #expect(hit.stop == .breakpoint(number: 1, function: "cifs_verify_signature", event: session.position))
        let event = try #require(session.events.last)
        #expect(event.function == "cifs_verify_signature" && event.phase == .enter && event.mid == wanted)
        // Inside cifs_readv_callback on cifsd: the READ_ANDX reply's check, with the mid still allocated.
        #expect(event.threadName == "cifsd")
        #expect(try report(session, "mid[\(wanted)].state") == .value(path: "mid[\(wanted)].state", value: .text("responseReceived")))
    }

    // MARK: Every path

    @Test func everyPathTheIssueNamesIsKnown() {
        let paths = StepperSession(scenario: Scenario(), catalogue: Synthetic.catalogue([])).paths
        for path in ["ses.cryptKey", "ses.authKey", "ses.status", "server.sessionKey", "server.sequenceNumber",
                     "server.tcpStatus", "mid[5].state", "mid[5].sequenceNumber", "page[0].flags", "rdata[0].state",
                     "rdata[0].offset", "rdata[0].bytesAsked", "rdata[0].firstPage", "rdata[0].pageCount", "rdata[0].mid",
                     "rdata[0].result", "ra.start", "ra.size", "ra.async_size", "tcon.tid", "threads[1].state",
                     "last.sent", "last.received", "mid"] {
            #expect(paths.pattern(for: path) != nil, "\(path)")
        }
        for object in ["threads", "rdata[0]", "mid[5]", "server"] {
            #expect(paths.pattern(for: object) == nil && paths.isObject(object), "\(object)")
        }
    }

    @Test func anObjectPrintsButCannotBeWatched() throws {
        let session = StepperSession(scenario: Scenario(), catalogue: Synthetic.catalogue([]))
        defer { session.close() }
        guard case let .values(fields) = try report(session, "server") else {
            Issue.record("print server is not a listing")
            return
        }
        #expect(fields.contains { $0.path == "server.tcpStatus" } && fields.allSatisfy { $0.path.hasPrefix("server.") })
        guard case .failure(.unknownPath("rdata[0]", _)) = session.execute(.watch(path: "rdata[0]")) else {
            Issue.record("a watch on an object must be refused")
            return
        }
        guard case .failure(.badCondition) = session.execute(.evaluate(condition: "threads == 1")) else {
            Issue.record("a condition on an object must be refused")
            return
        }
    }

    /// At events through a 256 KiB run, every value `info state` lists prints as that value.
    @Test func everyListedValuePrints() throws {
        let session = StepperSession(scenario: Scenario(signing: .on, file: "random-256k.bin"), catalogue: Synthetic.catalogue([]))
        defer { session.close() }
        var checked = 0
        var listed: Set<String> = []
        while true {
            guard case let .values(entries) = try session.must(.infoState()).report else {
                Issue.record("info state is not a listing")
                return
            }
            for entry in entries {
                listed.insert(StatePaths.shape(of: entry.path))
                #expect(try report(session, entry.path).printedValue == entry.value, "#\(session.position) \(entry.path)")
                checked += 1
            }
            guard case .done? = try session.must(.step(count: 97)).stop else { break }
        }
        #expect(checked > 1000)
        for shape in ["ses.authKey", "rdata[N].state", "last.sent", "last.received", "threads[N].state", "mid[N].state",
                      "page[N].flags"] {
            #expect(listed.contains(shape), "info state never listed \(shape)")
        }
    }
}
