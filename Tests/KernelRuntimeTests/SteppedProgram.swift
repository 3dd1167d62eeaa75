import KernelRuntime
import SMBWire

/// A page of ``SteppedProgram``: locked until `cifsiod` fills it.
final class ProgramPage: @unchecked Sendable {
    let index: Int
    var locked = true
    var inFlight = false
    var data: [UInt8] = []
    let queue: WaitQueue

    init(index: Int) {
        self.index = index
        self.queue = WaitQueue("page[\(index)]")
    }
}

/// A synthetic four-thread program shaped like an asynchronous kernel read, traced the way the
/// client core traces (enter/exit frames, small annotated buffers, diffs from `StateChanges`):
///
/// - `reader` sends a 32-byte request per page (up to `window` in flight), then waits on each
///   page's own queue (`lock_page_killable`);
/// - `smbd` receives each request and answers with a 64-byte reply;
/// - `cifsd` receives the replies and queues them for `cifsiod` (one work queue);
/// - `cifsiod` copies each reply into its page and unlocks it.
///
/// Every thread blocks and wakes the others, so a stepped run makes many decisions between
/// events. 15 events per page, plus one at the end. Used by the stepped benchmarks and by the
/// tests that compare fast runs with single steps.
final class SteppedProgram: @unchecked Sendable {
    static let requestSize = 32
    static let replySize = 64
    /// Events each page costs: reader 3 + 2, smbd 3, cifsd 4, cifsiod 3.
    static let eventsPerPage = 15

    let runtime: any KernelRuntime
    let pages: [ProgramPage]
    let window: Int
    /// Replies `cifsd` queued for `cifsiod`. Guarded by the runtime lock.
    var work: [[UInt8]] = []
    var pending = 0
    var shuttingDown = false
    let workQueue = WaitQueue("cifsiod_wq")
    /// What the reader found in each page, in page order.
    var results: [[UInt8]] = []

    init(runtime: any KernelRuntime, pageCount: Int, window: Int = 4) {
        self.runtime = runtime
        self.pages = (0..<pageCount).map(ProgramPage.init)
        self.window = window
    }

    /// Events a complete run records.
    var eventCount: Int { pages.count * Self.eventsPerPage + 1 }

    /// The reader's body: spawns the other three threads and reads every page.
    func reader() throws {
        let rt = runtime
        // Requests and replies on separate pipes, so that the reader can close its end when done
        // while cifsd still drains the replies.
        let (client, server) = PipeTransport.makePair(runtime: rt, names: ("client", "server"))
        let (serverOut, clientIn) = PipeTransport.makePair(runtime: rt, names: ("smbd", "cifsd"))
        let smbd = rt.spawn(name: "smbd") { try self.serve(server, replyingOn: serverOut) }
        let cifsd = rt.spawn(name: "cifsd") { try self.demultiplex(clientIn) }
        let cifsiod = rt.spawn(name: "cifsiod") { try self.complete() }
        var next = 0
        var waited = 0
        while waited < pages.count {
            while next < pages.count, next - waited < window {
                try request(pages[next], on: client)
                next += 1
            }
            try lockPage(pages[waited])
            waited += 1
        }
        client.close()
        try rt.join(smbd)
        try rt.join(cifsd)
        try rt.join(cifsiod)
    }

    private func request(_ page: ProgramPage, on client: PipeTransport) throws {
        let rt = runtime
        try rt.traced("cifs_async_readv", "page \(page.index)") { call in
            let mid = rt.randomUInt64() & 0xffff
            var frame = [UInt8](repeating: 0, count: Self.requestSize)
            frame[0] = UInt8(truncatingIfNeeded: page.index)
            frame[1] = UInt8(truncatingIfNeeded: page.index >> 8)
            frame[2] = UInt8(truncatingIfNeeded: mid)
            frame[3] = UInt8(truncatingIfNeeded: mid >> 8)
            var changes = StateChanges(rt)
            rt.withLock { changes.set(page, \.inFlight, true, path: "page[\(page.index)].inflight") }
            try call.event(
                .send, "READ_ANDX mid \(mid)",
                buffers: [TraceBuffer(name: "request", bytes: frame, spans: [
                    FieldSpan(range: 0..<2, name: "page", value: "\(page.index)"),
                    FieldSpan(range: 2..<4, name: "mid", value: "\(mid)"),
                ])],
                diff: changes.diffs)
            try client.send(frame)
        }
    }

    private func lockPage(_ page: ProgramPage) throws {
        let rt = runtime
        try rt.traced("lock_page_killable", "page[\(page.index)]") { call in
            let data = try rt.withLock {
                try rt.wait(on: page.queue) { !page.locked }
                return page.data
            }
            results.append(data)
            call.returning("page[\(page.index)] uptodate", buffers: [TraceBuffer(name: "page", bytes: data)])
        }
    }

    private func serve(_ server: PipeTransport, replyingOn out: PipeTransport) throws {
        let rt = runtime
        while true {
            let frame = try server.receive(exactly: Self.requestSize)
            if frame.isEmpty { break }
            try rt.traced("smb_read_andx", "request") { call in
                try call.event(.receive, "READ_ANDX", buffers: [TraceBuffer(name: "request", bytes: frame)])
                var reply = [UInt8](repeating: 0x5a, count: Self.replySize)
                reply[0] = frame[0]
                reply[1] = frame[1]
                reply[2] = frame[2]
                reply[3] = frame[3]
                try out.send(reply)
                call.returning("sent \(reply.count) bytes", buffers: [TraceBuffer(name: "reply", bytes: reply)])
            }
        }
        out.close()
        server.close()
    }

    private func demultiplex(_ client: PipeTransport) throws {
        let rt = runtime
        while true {
            let reply = try client.receive(exactly: Self.replySize)
            if reply.isEmpty { break }
            try rt.traced("cifs_demultiplex_thread", "reply") { call in
                try call.event(.receive, "READ_ANDX response", buffers: [TraceBuffer(name: "reply", bytes: reply)])
                var changes = StateChanges(rt)
                rt.withLock {
                    work.append(reply)
                    changes.set(self, \.pending, pending + 1, path: "cifsiod.pending")
                    rt.wakeAll(workQueue)
                }
                try call.event(.wake, "queue_work", diff: changes.diffs)
            }
        }
        rt.withLock {
            shuttingDown = true
            rt.wakeAll(workQueue)
        }
        try rt.tracepoint("cifs_demultiplex_thread", .note, "end of stream")  // a note: no frame is open here
    }

    private func complete() throws {
        let rt = runtime
        while true {
            let item: [UInt8]? = try rt.withLock {
                try rt.wait(on: workQueue) { !work.isEmpty || shuttingDown }
                return work.isEmpty ? nil : work.removeFirst()
            }
            guard let item else { break }
            let page = pages[Int(item[0]) | Int(item[1]) << 8]
            try rt.traced("cifs_readv_complete", "page \(page.index)") { call in
                var changes = StateChanges(rt)
                rt.withLock {
                    changes.set(self, \.pending, pending - 1, path: "cifsiod.pending")
                    page.data = Array(item[2..<8])
                    changes.set(page, \.inFlight, false, path: "page[\(page.index)].inflight")
                    changes.set(page, \.locked, false, path: "page[\(page.index)].locked")
                    rt.wakeAll(page.queue)
                }
                try call.event(.wake, "unlock_page", diff: changes.diffs)
            }
        }
    }
}
