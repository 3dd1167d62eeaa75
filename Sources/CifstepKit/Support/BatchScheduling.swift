#if canImport(Glibc)
import Glibc
#endif

/// The scheduling hint `cifstep get` gives Linux: it copies in bulk and nobody waits on its
/// threads' latency.
///
/// In `get`, the reader, cifsd and cifsiod wake each other at least once per READ_ANDX (a reply
/// in, a completion queued, pages unlocked). On a machine whose cores are busy — with the
/// server, or with cifsd hashing signed replies — each wake-up preempted the thread running
/// there: about one involuntary context switch per READ_ANDX (3,100 in a signed 256 MiB read),
/// each a switch away and a switch back. Under `SCHED_BATCH` a woken thread waits for the
/// running one to sleep or use its slice, and then finds more work ready. The nice value stays
/// as it was; throughput did not change (measured in Benchmarks/README.md).
enum BatchScheduling {
    /// Linux's `SCHED_BATCH`, which glibc declares only under `_GNU_SOURCE` (not visible here).
    static let policy: Int32 = 3

    /// Puts the calling thread under `SCHED_BATCH`; threads it starts afterwards inherit the
    /// policy. Call it before the runtime spawns its threads. Returns whether it took effect: a
    /// kernel without the policy (or another system) leaves the scheduling as it was.
    @discardableResult
    static func applyToCallingThread() -> Bool {
        #if os(Linux)
        var parameters = sched_param()
        return sched_setscheduler(0, policy, &parameters) == 0
        #else
        return false
        #endif
    }
}
