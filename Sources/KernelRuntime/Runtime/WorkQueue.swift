/// One queued piece of work: the model of the kernel's `struct work_struct`.
///
/// ```swift
/// try cifsiod.queueWork(WorkItem(function: "cifs_readv_complete", detail: "mid 12") {
///     try complete(rdata)
/// })
/// ```
public struct WorkItem: Sendable {
    /// The kernel function the work runs, e.g. `cifs_readv_complete`.
    public var function: String
    /// What it works on, for the trace, e.g. `mid 12: pages 16...30` (may be empty when
    /// nothing is traced).
    public var detail: String
    /// The work itself (the kernel's `work->func`).
    public var run: @Sendable () throws -> Void

    /// - Parameters:
    ///   - function: the kernel function the work runs, named in the trace.
    ///   - detail: what it works on, for the trace.
    ///   - run: the work.
    public init(function: String, detail: String, run: @escaping @Sendable () throws -> Void) {
        self.function = function
        self.detail = detail
        self.run = run
    }
}

/// A workqueue served by one simulated kernel thread: the model of the kernel's workqueues
/// (`kernel/workqueue.c`). The cifs client's `cifsiod_wq` is one: `cifs_readv_callback` (on
/// cifsd) queues `cifs_readv_complete` there, so that the pages of a finished read are marked
/// uptodate and unlocked off the demultiplex thread.
///
/// The worker takes every queued item at once (one lock round-trip for a batch) and runs them
/// in queue order, each in a `process_one_work` frame. Its thread is spawned by ``start()``
/// and ends in ``stop()``, which first runs whatever is still queued (work must not be lost:
/// for cifsiod, pages would stay locked). Queuing, starting and stopping go through the
/// runtime like everything else, so the queue steps under ``SteppedRuntime``.
///
/// ```swift
/// let cifsiod = WorkQueue(name: "cifsiod", runtime: runtime)
/// try cifsiod.start()                       // alloc_workqueue
/// try cifsiod.queueWork(item)               // queue_work, from any simulated thread
/// try cifsiod.stop()                        // flush_workqueue + destroy_workqueue
/// ```
public final class WorkQueue: @unchecked Sendable, CustomStringConvertible {
    /// The queue's name, also the worker thread's, e.g. `cifsiod`; state diffs call its
    /// length `<name>.pending`.
    public let name: String
    let runtime: any KernelRuntime
    /// The worker sleeps here while the queue is empty.
    let queue: WaitQueue

    // Runtime lock.
    private var pending: [WorkItem] = []
    private var worker: KernelThread?
    private var stopping = false
    private var stopped = false
    /// Items queued and not yet taken by the worker (`<name>.pending` in state diffs). Runtime lock.
    public private(set) var pendingCount = 0
    /// Items run so far (runtime lock).
    public private(set) var itemsRun = 0
    /// Times the worker woke and took a batch (runtime lock).
    public private(set) var batches = 0

    /// A stopped queue named `name` on `runtime`; ``start()`` spawns its worker.
    public init(name: String, runtime: any KernelRuntime) {
        self.name = name
        self.runtime = runtime
        self.queue = WaitQueue("\(name) worklist")
    }

    /// The queue's name.
    public var description: String { name }

    /// Whether the worker thread runs.
    public var isRunning: Bool { runtime.withLock { worker != nil && !stopped } }

    /// Spawns the worker thread if it is not running. Mirrors `alloc_workqueue` (for cifsiod,
    /// the kernel allocates the queue at module load, in `init_cifs`).
    public func start() throws {
        try runtime.traced("alloc_workqueue", name) { call in
            let spawnNeeded = runtime.withLock { () -> Bool in
                guard worker == nil || stopped else { return false }
                stopping = false
                stopped = false
                return true
            }
            guard spawnNeeded else {
                call.returning("\(name): worker already running")
                return
            }
            let thread = runtime.spawn(name: name) { [self] in try workerThread() }
            runtime.withLock { worker = thread }
            call.returning("\(name): worker thread \(thread.id) started")
        }
    }

    /// Queues `item` and wakes the worker. Without a running worker (never started, or
    /// stopped) the item runs at once on the caller's thread, so its pages are still unlocked.
    /// Mirrors `queue_work`.
    public func queueWork(_ item: WorkItem) throws {
        try runtime.traced("queue_work", "\(item.function) on \(name) (\(item.detail))") { call in
            var changes = StateChanges(tracing: call.isTracing)
            let queued = runtime.withLock { () -> Bool in
                guard worker != nil, !stopping, !stopped else { return false }
                pending.append(item)
                changes.set(self, \.pendingCount, pending.count, path: "\(name).pending")
                runtime.wakeOne(queue)
                return true
            }
            guard queued else {
                try call.note("\(name) not running: \(item.function) runs inline")
                try processOneWork(item)
                return
            }
            call.returning("queued; worker woken", diff: changes.diffs)
        }
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

    /// The worker's loop (the kernel's `worker_thread`): sleep until work is queued, take the
    /// whole batch, run each item with ``processOneWork(_:taken:)``.
    func workerThread() throws {
        while true {
            var taken = StateChanges(runtime)
            let batch: [WorkItem]? = try runtime.withLock {
                try runtime.wait(on: queue) { !pending.isEmpty || stopping }
                guard !pending.isEmpty else { return nil }
                var batch: [WorkItem] = []
                swap(&batch, &pending)
                taken.set(self, \.pendingCount, 0, path: "\(name).pending")
                batches += 1
                return batch
            }
            guard let batch else { return }
            for (position, item) in batch.enumerated() {
                // The first item's frame shows the whole batch leaving the queue.
                try processOneWork(item, taken: position == 0 ? taken.diffs : [])
            }
        }
    }

    /// Runs one item; an error other than an abort is traced and dropped (a work function has
    /// no caller to report to). `taken` is the change of taking the item's batch off the queue.
    /// Mirrors the kernel's `process_one_work`.
    private func processOneWork(_ item: WorkItem, taken: [StateDiff] = []) throws {
        try runtime.traced("process_one_work", "\(item.function): \(item.detail)", diff: taken) { call in
            do {
                try item.run()
            } catch let abort as RuntimeAbort {
                throw abort
            } catch {
                call.returning("\(item.function) failed: \(error)")
            }
            runtime.withLock { itemsRun += 1 }
        }
    }
}
