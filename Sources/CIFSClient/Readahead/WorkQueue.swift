import KernelRuntime

/// One queued piece of work: the model of the kernel's `struct work_struct`.
public struct WorkItem: Sendable {
    /// The kernel function the work runs, e.g. `cifs_readv_complete`.
    public var function: String
    /// What it works on, for the trace, e.g. `mid 12: pages 16...30`.
    public var detail: String
    /// The work itself (the kernel's `work->func`).
    public var run: @Sendable () throws -> Void

    public init(function: String, detail: String, run: @escaping @Sendable () throws -> Void) {
        self.function = function
        self.detail = detail
        self.run = run
    }
}

/// A workqueue served by one kernel thread: the model of `cifsiod_wq`, where
/// `cifs_readv_callback` (on cifsd) queues `cifs_readv_complete` so that the pages of a finished
/// read are marked uptodate and unlocked off the demultiplex thread.
///
/// The worker takes every queued item at once (one lock round-trip for a batch) and runs them
/// in queue order. Its thread is spawned by ``start()`` (the first page-cache read does it) and
/// ends in ``stop()``, which first runs whatever is still queued — pages must never stay locked.
public final class WorkQueue: @unchecked Sendable, CustomStringConvertible {
    /// The queue's name, also the worker thread's: `cifsiod`.
    public let name: String
    let runtime: any KernelRuntime
    /// The worker sleeps here while the queue is empty.
    let queue: WaitQueue

    // Runtime lock.
    private var pending: [WorkItem] = []
    private var worker: KernelThread?
    private var stopping = false
    private var stopped = false
    /// Items run so far (runtime lock).
    public private(set) var itemsRun = 0
    /// Times the worker woke and took a batch (runtime lock).
    public private(set) var batches = 0

    public init(name: String, runtime: any KernelRuntime) {
        self.name = name
        self.runtime = runtime
        self.queue = WaitQueue("\(name) worklist")
    }

    public var description: String { name }

    /// Whether the worker thread runs.
    public var isRunning: Bool { runtime.withLock { worker != nil && !stopped } }

    /// Spawns the worker thread if it is not running. Mirrors `alloc_workqueue` (whose worker
    /// pool the kernel starts at module load, `init_cifs`).
    public func start() throws {
        let spawnNeeded = runtime.withLock { () -> Bool in
            guard worker == nil || stopped else { return false }
            stopping = false
            stopped = false
            return true
        }
        guard spawnNeeded else { return }
        let thread = runtime.spawn(name: name) { [self] in try workerThread() }
        runtime.withLock { worker = thread }
        try runtime.tracepoint("alloc_workqueue", .note, "\(name): worker thread \(thread.id) started")
    }

    /// Queues `item` and wakes the worker. Without a running worker (never started, or
    /// stopped) the item runs at once on the caller's thread, so its pages are still unlocked.
    /// Mirrors `queue_work`.
    public func queueWork(_ item: WorkItem) throws {
        let queued = runtime.withLock { () -> Int? in
            guard worker != nil, !stopping, !stopped else { return nil }
            pending.append(item)
            runtime.wakeOne(queue)
            return pending.count
        }
        guard let queued else {
            try runtime.tracepoint("queue_work", .note, "\(name) not running: \(item.function) runs inline (\(item.detail))")
            try runItem(item)
            return
        }
        try runtime.tracepoint(
            "queue_work", .wake, "\(item.function) queued on \(name) (\(item.detail)); \(queued) pending",
            diff: [StateDiff("\(name).pending", queued - 1, queued)])
    }

    /// Runs what is still queued, then ends the worker thread and waits for it. Mirrors
    /// `flush_workqueue` + `destroy_workqueue`.
    public func stop() throws {
        let thread = runtime.withLock { () -> KernelThread? in
            guard let worker, !stopped else { return nil }
            stopping = true
            runtime.wakeAll(queue)
            return worker
        }
        guard let thread else { return }
        try runtime.join(thread)
        runtime.withLock { stopped = true }
    }

    /// The worker's loop: sleep until work is queued, take the whole batch, run it. Mirrors
    /// the kernel's `worker_thread` / `process_one_work`.
    func workerThread() throws {
        while true {
            let batch: [WorkItem]? = try runtime.withLock {
                try runtime.wait(on: queue) { !pending.isEmpty || stopping }
                guard !pending.isEmpty else { return nil }
                var taken: [WorkItem] = []
                swap(&taken, &pending)
                batches += 1
                return taken
            }
            guard let batch else { return }
            for item in batch {
                try runtime.tracepoint("process_one_work", .enter, "\(item.function): \(item.detail)")
                try runItem(item)
            }
        }
    }

    /// Runs one item; an error other than an abort is traced and dropped (a work function has no
    /// caller to report to).
    private func runItem(_ item: WorkItem) throws {
        do {
            try item.run()
        } catch let abort as RuntimeAbort {
            throw abort
        } catch {
            try runtime.tracepoint("process_one_work", .note, "\(item.function) failed: \(error)")
        }
        runtime.withLock { itemsRun += 1 }
    }
}
