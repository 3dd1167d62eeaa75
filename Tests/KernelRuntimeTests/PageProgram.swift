import KernelRuntime
import SMBWire

/// A page that `reader` waits on until `cifsiod` fills and unlocks it.
final class TestPage: @unchecked Sendable {
    let index: Int
    var locked = true
    var data: [UInt8] = []
    let queue: WaitQueue

    init(index: Int) {
        self.index = index
        self.queue = WaitQueue("page[\(index)]")
    }
}

/// A three-thread program shaped like a kernel read: `reader` sends one 4-byte request per page
/// into a pipe and waits for each page; `cifsd` receives the frames and queues work; `cifsiod`
/// copies each frame's payload into its page and unlocks it. Runs on any runtime.
final class PageProgram: @unchecked Sendable {
    let runtime: any KernelRuntime
    let pages: [TestPage]
    var work: [[UInt8]] = []
    var shuttingDown = false
    let workQueue = WaitQueue("cifsiod_wq")
    /// What the reader saw in each page, in page order.
    var results: [[UInt8]] = []
    /// The mids the reader drew from the runtime's generator.
    var mids: [UInt64] = []

    init(runtime: any KernelRuntime, pageCount: Int = 3) {
        self.runtime = runtime
        self.pages = (0..<pageCount).map(TestPage.init)
    }

    /// The reader's body (run it with `runMain(name: "reader")`).
    func reader() throws {
        let rt = runtime
        let (client, server) = PipeTransport.makePair(runtime: rt)
        let cifsd = rt.spawn(name: "cifsd") { try self.demultiplex(server) }
        let cifsiod = rt.spawn(name: "cifsiod") { try self.worker() }
        for page in pages {
            let mid = rt.randomUInt64() & 0xffff
            mids.append(mid)
            let frame: [UInt8] = [UInt8(page.index), UInt8(mid & 0xff), UInt8(mid >> 8), 0xAA]
            try rt.tracepoint(
                "cifs_readpage", .send, "page \(page.index) mid \(mid)",
                buffers: [TraceBuffer(name: "request", bytes: frame, spans: [
                    FieldSpan(range: 0..<1, name: "page", value: "\(page.index)"),
                    FieldSpan(range: 1..<3, name: "mid", value: "\(mid)"),
                ])])
            try client.send(frame)
        }
        for page in pages {
            try rt.tracepoint("lock_page_killable", .enter, "page[\(page.index)]")
            let data = try rt.withLock {
                try rt.wait(on: page.queue) { !page.locked }
                return page.data
            }
            results.append(data)
            try rt.tracepoint("lock_page_killable", .exit, "page[\(page.index)] = \(Hex.encode(data))")
        }
        client.close()
        try rt.join(cifsd)
        try rt.join(cifsiod)
    }

    private func demultiplex(_ server: PipeTransport) throws {
        let rt = runtime
        while true {
            let frame = try server.receive(exactly: 4)
            if frame.isEmpty { break }
            try rt.tracepoint(
                "cifs_demultiplex_thread", .receive, "frame for page \(frame[0])",
                buffers: [TraceBuffer(name: "frame", bytes: frame)])
            let pending = rt.withLock {
                work.append(frame)
                rt.wakeAll(workQueue)
                return work.count
            }
            try rt.tracepoint("queue_work", .wake, "cifsiod_wq", diff: [StateDiff(path: "cifsiod_wq.pending", old: "\(pending - 1)", new: "\(pending)")])
        }
        rt.withLock {
            shuttingDown = true
            rt.wakeAll(workQueue)
        }
        try rt.tracepoint("cifs_demultiplex_thread", .exit, "end of stream")
    }

    private func worker() throws {
        let rt = runtime
        while true {
            let item: [UInt8]? = try rt.withLock {
                try rt.wait(on: workQueue) { !work.isEmpty || shuttingDown }
                return work.isEmpty ? nil : work.removeFirst()
            }
            guard let item else { break }
            let page = pages[Int(item[0])]
            try rt.tracepoint("cifs_readv_complete", .enter, "page \(page.index)")
            rt.withLock {
                page.data = Array(item[1...])
                page.locked = false
                rt.wakeAll(page.queue)
            }
            try rt.tracepoint("unlock_page", .wake, "page[\(page.index)]", diff: [StateDiff(path: "page[\(page.index)].locked", old: "true", new: "false")])
        }
    }

    /// What each page must hold once read: the mid (little-endian) and 0xAA.
    var expectedResults: [[UInt8]] {
        mids.map { [UInt8($0 & 0xff), UInt8($0 >> 8), 0xAA] }
    }
}

/// Runs the page program under a fresh stepped runtime to completion.
func steppedPageRun(
    seed: UInt64, policy: SchedulingPolicy = .seededRandom, replaying: [SchedulingDecision] = []
) throws -> (events: [TraceEvent], decisions: [SchedulingDecision], program: PageProgram) {
    let rt = SteppedRuntime(seed: seed, policy: policy, replaying: replaying)
    let program = PageProgram(runtime: rt)
    try rt.runMain(name: "reader") { try program.reader() }
    return (rt.trace.events, rt.decisions, program)
}
