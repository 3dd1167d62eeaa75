/// One waitable thing: a page, a mid, a work queue, one direction of a pipe.
///
/// Mirrors the kernel's `wait_queue_head_t`. Give every object its own queue so that a wake-up
/// reaches only the threads interested in that object (a 256 MiB read locks and unlocks 65,536
/// pages; a global condition would wake every waiter each time). A queue is cheap: a name and a
/// list of waiting threads, guarded by the runtime that blocks on it. Use a queue with one runtime.
public final class WaitQueue: @unchecked Sendable, CustomStringConvertible {
    /// Shown in deadlock reports and thread listings, e.g. `page[3]` or `mid 7`.
    public let name: String
    /// Threads blocked on this queue, oldest first. Guarded by the owning runtime's internal lock.
    var waiters: [KernelThread] = []

    public init(_ name: String) {
        self.name = name
    }

    public var description: String { name }

    func remove(_ thread: KernelThread) {
        if let index = waiters.firstIndex(where: { $0 === thread }) {
            waiters.remove(at: index)
        }
    }
}

/// A sleeping mutex built from the runtime's lock and a wait queue.
///
/// Mirrors the kernel's `struct mutex` (e.g. `srv_mutex`, held across signing and sending so
/// that requests leave in sequence-number order). Unlike the runtime lock it may be held across
/// blocking calls such as a transport `send`. Use it through ``KernelRuntime/lock(_:)``,
/// ``KernelRuntime/unlock(_:)`` and ``KernelRuntime/withMutex(_:_:)``.
public final class KernelMutex: @unchecked Sendable, CustomStringConvertible {
    /// The mutex's name, e.g. `srv_mutex`.
    public let name: String
    /// Threads waiting to take the mutex.
    public let queue: WaitQueue
    /// Id of the holding thread (0 for a thread outside the runtime), or `nil` when free.
    /// Read and written under the runtime lock.
    public internal(set) var holder: Int?

    public init(_ name: String) {
        self.name = name
        self.queue = WaitQueue(name)
    }

    public var description: String { name }
}
