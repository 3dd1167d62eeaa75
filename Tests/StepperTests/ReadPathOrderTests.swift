import KernelRuntime
import Testing
@testable import Stepper

/// The async read path of the stepper scenario walks the order of the 2013 post "CIFS: Async
/// Reads" (3.8's code): per READ_ANDX, the reader's `cifs_async_readv` → `cifs_call_async`
/// (mid on pending_mid_q, request sent); cifsd's `find_mid` → `cifs_readv_receive` →
/// `cifs_readpages_read_into_pages` → one `cifs_readv_from_socket` per page → `cifs_readv_callback`
/// → [`cifs_verify_signature`] → `queue_work` → `DeleteMidQEntry` → `add_credits`; cifsiod's
/// `cifs_readv_complete` → (`lru_cache_add_file`, `SetPageUptodate`, `unlock_page`) per page; and
/// the reader waking in `lock_page_killable` after the `unlock_page` of its page.
@Suite struct ReadPathOrderTests {
    /// Functions that work on one request: every event of theirs carries that request's MID.
    static let midFrames: Set<String> = [
        "allocate_mid", "cifs_call_async", "SendReceive", "smb_send", "wait_for_response", "find_mid",
        "standard_receive3", "dequeue_mid", "cifs_readv_receive", "cifs_readpages_read_into_pages",
        "cifs_readv_from_socket", "cifs_readv_discard", "cifs_readv_callback", "DeleteMidQEntry",
        "cifs_readv_complete",
    ]

    static let scenarios = [
        Scenario(file: "random-256k.bin"),
        Scenario(signing: .on, file: "random-256k.bin"),
        Scenario(file: "hello.txt"),
    ]

    private func fullRun(_ scenario: Scenario) throws -> StepperSession {
        let session = StepperSession(scenario: scenario, catalogue: Synthetic.catalogue([]))
        let result = try session.must(.continue)
        if case .end(.completed) = result.stop {} else {
            Issue.record("the run did not complete: \(String(describing: result.stop))")
        }
        return session
    }

    /// `page[12]: 4096 bytes` → 12.
    private func pageIndex(_ message: String) -> Int? {
        guard let open = message.range(of: "page["), let close = message[open.upperBound...].firstIndex(of: "]")
        else { return nil }
        return Int(message[open.upperBound..<close])
    }

    /// The events of one thread between two of its events, both included.
    private struct Span {
        /// Positions in the whole run's events of the first and the last.
        var begin: Int
        var end: Int
        /// The thread's events from the first to the last.
        var events: [TraceEvent]
    }

    typealias Match = (TraceEvent) -> Bool

    /// Matches for the enter and the exit of `function`'s frame for `mid`.
    private func frame(_ function: String, mid: Int) -> (enter: Match, exit: Match) {
        ({ $0.function == function && $0.phase == .enter && $0.mid == mid },
         { $0.function == function && $0.phase == .exit && $0.mid == mid })
    }

    /// The events of `thread` from the first one at or after position `start` matching
    /// `bounds.enter` to the first one after it matching `bounds.exit`.
    private func span(_ events: [TraceEvent], thread: String, from start: Int = 0,
                      _ bounds: (enter: Match, exit: Match)) -> Span? {
        guard let begin = events[start...].firstIndex(where: { $0.threadName == thread && bounds.enter($0) }),
              let end = events[begin...].firstIndex(where: { $0.threadName == thread && bounds.exit($0) })
        else { return nil }
        return Span(begin: begin, end: end, events: events[begin...end].filter { $0.threadName == thread })
    }

    @Test("per READ_ANDX: reader, cifsd and cifsiod walk 3.8's order, each event with its mid",
          arguments: [false, true])
    func asyncReadOrder(signed: Bool) throws {
        let session = try fullRun(Self.scenarios[signed ? 1 : 0])
        defer { session.close() }
        let events = session.events
        let readMids = events.filter { $0.function == "cifs_call_async" && $0.phase == .enter }.compactMap(\.mid)
        // random-256k.bin: windows of 30, 15, 15 and 4 pages, 15 pages per READ_ANDX.
        #expect(readMids.count == 5)
        var pagesPerRead: [Int] = []
        for mid in readMids {
            let m = UInt16(mid)
            // The reader: cifs_async_readv → cifs_call_async → allocate_mid, sign, submit and queue, send.
            let readerSpan = span(events, thread: "reader", frame("cifs_call_async", mid: mid))
            let reader = try #require(readerSpan)
            let before = try #require(events[..<reader.begin].last { $0.threadName == "reader" })
            #expect(before.function == "cifs_async_readv", "cifs_call_async for mid \(mid) follows \(before.function)")
            let enters = reader.events.filter { $0.phase == .enter }.map(\.function)
            #expect(enters.first == "cifs_call_async")
            #expect(Array(enters.drop { $0 != "allocate_mid" }.prefix(2)) == ["allocate_mid", "cifs_sign_smb"])
            #expect(enters.last == "smb_send")
            let queued = try #require(reader.events.first { $0.function == "cifs_call_async" && $0.phase == .note })
            #expect(queued.diff.contains { $0.path == "mid[\(mid)].state" && $0.old == "allocated" && $0.new == "submitted" })
            let pending = try #require(queued.diff.first { $0.path == "server.pendingMids" })
            #expect(pending.new?.split(separator: ",").last == Substring(String(mid)), "\(pending)")
            let send = try #require(reader.events.first { $0.function == "smb_send" && $0.phase == .send })
            let request = try #require(send.buffers.first { $0.name == "request" })
            #expect(request.id != nil, "the request buffer is traceable")
            #expect(request.bytes[4] == 0x2E && UInt16(request.bytes[30]) | UInt16(request.bytes[31]) << 8 == m)

            // cifsd: find_mid → receive → the pages one by one → callback → (verify) → queue_work →
            // DeleteMidQEntry → add_credits.
            let cifsdSpan = span(events, thread: "cifsd", from: reader.end,
                                 (frame("find_mid", mid: mid).enter, frame("cifs_readv_callback", mid: mid).exit))
            let cifsd = try #require(cifsdSpan)
            let cifsdEnters = cifsd.events.filter { $0.phase == .enter }
            let pages = cifsdEnters.filter { $0.function == "cifs_readv_from_socket" }.compactMap { pageIndex($0.message) }
            #expect(!pages.isEmpty)
            #expect(pages == Array((pages.first ?? 0)..<((pages.first ?? 0) + pages.count)), "pages in order: \(pages)")
            pagesPerRead.append(pages.count)
            var expected = ["find_mid", "cifs_readv_receive", "cifs_readpages_read_into_pages"]
            expected += Array(repeating: "cifs_readv_from_socket", count: pages.count)
            expected += ["dequeue_mid", "cifs_readv_callback"]
            if signed { expected += ["cifs_verify_signature", "cifs_calculate_signature"] }
            expected += ["queue_work", "DeleteMidQEntry", "add_credits"]
            #expect(cifsdEnters.map(\.function) == expected)
            let deleted = try #require(cifsd.events.first { $0.function == "DeleteMidQEntry" && $0.phase == .exit })
            #expect(deleted.diff.contains { $0.path == "mid[\(mid)].state" && $0.old == "responseReceived" && $0.new == nil })

            // cifsiod: per page, in the order of the pages received: LRU, uptodate, unlock.
            let cifsiodSpan = span(events, thread: "cifsiod", from: cifsd.begin, frame("cifs_readv_complete", mid: mid))
            let cifsiod = try #require(cifsiodSpan)
            let pageSteps = cifsiod.events.filter { $0.phase == .enter && $0.function != "cifs_readv_complete" }
            let expectedSteps = pages.flatMap { page in
                ["lru_cache_add_file", "SetPageUptodate", "unlock_page"].map { "\($0) page[\(page)]" }
            }
            #expect(pageSteps.map { "\($0.function) \($0.message)" } == expectedSteps)
        }
        #expect(pagesPerRead == [15, 15, 15, 15, 4])

        // The reader sleeps on a page and wakes in lock_page_killable only after its unlock_page.
        let sleeps = events.filter { $0.threadName == "reader" && $0.function == "lock_page_killable" && $0.phase == .block }
        #expect(!sleeps.isEmpty)
        for sleep in sleeps {
            let page = try #require(pageIndex(sleep.message))
            let woken = try #require(events.first {
                $0.sequence > sleep.sequence && $0.threadName == "reader" && $0.function == "lock_page_killable"
                    && $0.phase == .exit
            })
            #expect(woken.message.contains("page[\(page)]"))
            // cifsiod's unlock_page of that page (enter and exit) came in between.
            let unlocks = events.filter {
                $0.sequence > sleep.sequence && $0.sequence < woken.sequence && $0.threadName == "cifsiod"
                    && $0.function == "unlock_page"
            }
            let unlock = unlocks.last { $0.phase == .enter && pageIndex($0.message) == page }
            #expect(unlock != nil, "page[\(page)]: woken at #\(woken.sequence) without cifsiod's unlock_page")
            #expect(unlocks.contains { $0.phase == .exit && $0.sequence > (unlock?.sequence ?? .max) })
        }
    }

    @Test("every event of a request's frames carries that request's mid; nested mid frames agree",
          arguments: scenarios)
    func eventsCarryTheirMid(scenario: Scenario) throws {
        let session = try fullRun(scenario)
        defer { session.close() }
        let events = session.events
        // Per thread, the mids of the open mid frames.
        var open: [Int: [(function: String, mid: Int?)]] = [:]
        var checked = 0
        for event in events where Self.midFrames.contains(event.function) {
            #expect(event.mid != nil, "#\(event.sequence) \(event.function) \(event.phase) has no mid")
            var stack = open[event.threadID, default: []]
            switch event.phase {
            case .enter:
                if let outer = stack.last {
                    #expect(outer.mid == event.mid, "#\(event.sequence) \(event.function) mid \(String(describing: event.mid)) inside \(outer.function) mid \(String(describing: outer.mid))")
                }
                stack.append((event.function, event.mid))
            case .exit:
                #expect(stack.last?.function == event.function && stack.last?.mid == event.mid, "#\(event.sequence)")
                stack.removeLast()
            default:
                #expect(stack.last?.function == event.function && stack.last?.mid == event.mid, "#\(event.sequence)")
            }
            open[event.threadID] = stack
            // Where a message names its MID, it is the event's.
            for buffer in event.buffers where buffer.bytes.count >= 32 && buffer.bytes[0..<4] == [0xFF, 0x53, 0x4D, 0x42] {
                #expect(Int(UInt16(buffer.bytes[30]) | UInt16(buffer.bytes[31]) << 8) == event.mid, "#\(event.sequence) \(buffer.name)")
                checked += 1
            }
        }
        let stillOpen = open.values.filter { !$0.isEmpty }
        #expect(stillOpen.isEmpty)
        #expect(checked > 10)
    }

    @Test("every allocate_mid has exactly one DeleteMidQEntry, after it; nothing is left pending",
          arguments: scenarios)
    func everyMidIsFreedOnce(scenario: Scenario) throws {
        let session = try fullRun(scenario)
        defer { session.close() }
        let events = session.events
        let allocated = events.filter { $0.function == "allocate_mid" && $0.phase == .exit }
        let freed = events.filter { $0.function == "DeleteMidQEntry" && $0.phase == .exit }
        #expect(allocated.count >= 8)
        #expect(Set(allocated.compactMap(\.mid)).count == allocated.count, "a MID allocated twice")
        #expect(freed.compactMap(\.mid).sorted() == allocated.compactMap(\.mid).sorted())
        for free in freed {
            let allocation = try #require(allocated.first { $0.mid == free.mid })
            #expect(allocation.sequence < free.sequence)
            #expect(free.diff.contains { $0.path == "mid[\(free.mid ?? -1)].state" && $0.new == nil })
        }
        guard case let .value(_, pending) = try session.must(.print(path: "server.pendingMids")).report else {
            Issue.record("print server.pendingMids gave no value")
            return
        }
        #expect(pending == .text("-"))
        guard case let .values(mids) = try session.must(.infoState(prefix: "mid[")).report else {
            Issue.record("info state mid[ gave no values")
            return
        }
        #expect(mids.isEmpty, "mids left: \(mids)")
    }

    @Test("a mid reads responseReceived between dequeue_mid and DeleteMidQEntry, then is gone")
    func midOutlivesDequeueUntilDeleted() throws {
        let session = StepperSession(scenario: Self.scenarios[0], catalogue: Synthetic.catalogue([]))
        defer { session.close() }
        var dequeued: Set<Int> = []
        var deleted: Set<Int> = []
        var pendingSeen: Set<String> = []
        while case .done? = try session.must(.step()).stop, let event = session.events.last {
            guard let mid = event.mid else { continue }
            let state = try session.must(.print(path: "mid[\(mid)].state")).report
            if event.function == "dequeue_mid", event.phase == .exit {
                #expect(state == .value(path: "mid[\(mid)].state", value: .text("responseReceived")))
                dequeued.insert(mid)
            }
            if event.function == "DeleteMidQEntry", event.phase == .exit {
                // Gone, and the stepper says where: freed at this very DeleteMidQEntry.
                #expect(state == .absent(path: "mid[\(mid)].state", reason: .gone(
                    object: "mid[\(mid)]", event: event.sequence, function: "DeleteMidQEntry", removed: true)))
                deleted.insert(mid)
            }
            if case let .value(_, value?) = try session.must(.print(path: "server.pendingMids")).report {
                pendingSeen.insert(value.description)
            }
        }
        #expect(!dequeued.isEmpty)
        #expect(dequeued == deleted)
        // Two READ_ANDX in flight at once shows as two MIDs on pending_mid_q.
        #expect(pendingSeen.contains { $0.split(separator: ",").count == 2 }, "\(pendingSeen.sorted())")
    }
}
