import KernelRuntime

/// The teaching order: the schedule that tells the canonical story of a cifs read.
///
/// Keep running the thread that ran last until it blocks or finishes; then take the runnable
/// thread whose name comes first in ``defaultPriority`` (reader > cifsiod > cifsd > smbd, then
/// any other name), the lowest id among equals. On a read this shows the reader issuing
/// readahead and blocking in `lock_page_killable`, the server answering, cifsd receiving
/// (`cifs_readv_receive`, `cifs_readv_callback`), cifsiod completing (`cifs_readv_complete`) and
/// the reader waking — each thread's part told to the end before the next one's.
///
/// The choice depends only on what the runtime shows the policy (the runnable threads and the
/// previous choice), so a replay that stops following its recorded decisions continues exactly
/// as the recorded run did.
public enum TeachingOrder {
    /// The thread names by priority: the user's process first, then the work that lets it go on.
    public static let defaultPriority = ["reader", "cifsiod", "cifsd", "smbd"]

    /// The policy; `priority` lists thread names, most urgent first.
    public static func policy(priority: [String] = defaultPriority) -> SchedulingPolicy {
        SchedulingPolicy(name: "teaching order") { context in
            if let previous = context.previous, context.runnable.contains(where: { $0.id == previous }) {
                return previous
            }
            func rank(_ thread: ThreadSnapshot) -> Int {
                priority.firstIndex(of: thread.name) ?? priority.count
            }
            // `runnable` is by ascending id and never empty; `min` keeps the first of equals.
            let best = context.runnable.min { rank($0) < rank($1) } ?? context.runnable[0]
            return best.id
        }
    }
}

/// A seeded random choice among the runnable threads.
///
/// Unlike the runtime's own ``SchedulingPolicy/seededRandom``, each choice is a pure function
/// of the seed and the decision's index (not of a generator's position), so a replay that
/// stops following its recorded decisions at decision `k` makes the same choice `k` as the
/// recorded run — going back and forth never changes the run.
public enum SeededChoice {
    /// The policy for runs with `seed`.
    public static func policy(seed: UInt64) -> SchedulingPolicy {
        SchedulingPolicy(name: "seeded random") { context in
            let draw = mix(seed ^ (UInt64(truncatingIfNeeded: context.decision) &* 0x9E37_79B9_7F4A_7C15))
            return context.runnable[Int(draw % UInt64(context.runnable.count))].id
        }
    }

    /// SplitMix64's finaliser: a well-spread 64-bit hash.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
