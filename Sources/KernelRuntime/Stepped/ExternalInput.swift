/// Bytes from outside the simulated world — a real server's socket — that a stepped run takes
/// in only at its scheduling decisions.
///
/// A socket delivers bytes whenever the network does; a stepped run must not. So an input keeps
/// what has arrived aside, and the runtime asks it, before each decision, to move that into the
/// run's transports (``deliver(beforeDecision:live:)``). The input logs each delivery with the
/// decision it came before, so a replay of the same decisions can deliver the same bytes at the
/// same points without the network, and so produce the same events.
///
/// When no thread can run and only the network can change that, the runtime waits in real time
/// (``waitForArrival(nanoseconds:interrupted:)``) instead of reporting a deadlock or jumping its
/// simulated clock to a timer.
///
/// The runtime calls ``deliver(beforeDecision:live:)`` and ``awaitsArrival(live:)`` with its
/// internal mutex held (an input may take its own lock inside, never the reverse), and
/// ``waitForArrival(nanoseconds:interrupted:)`` with that mutex released.
public protocol ExternalInput: AnyObject, Sendable {
    /// Moves what is due before decision `decision` into the run's transports.
    /// - Parameter live: the decision is past the ones the runtime replays: bytes that arrived
    ///   from the network after the log was written may be taken in (and logged) now. While
    ///   replaying, only logged bytes are delivered.
    /// - Returns: the wait queues whose waiters must be woken (readers of the transports fed).
    func deliver(beforeDecision decision: Int, live: Bool) -> [WaitQueue]

    /// Whether a thread waits on bytes that can still come from the network (a live connection
    /// is open and someone reads it): then waiting in real time can make progress.
    func awaitsArrival(live: Bool) -> Bool

    /// Blocks the calling OS thread until bytes (or the end of a stream) may have arrived, at
    /// most `nanoseconds`, or until `interrupted()` returns `true` (polled at least every
    /// ``ExternalInputWait/interruptPollInterval``).
    func waitForArrival(nanoseconds: UInt64, interrupted: () -> Bool) -> ExternalInputWait
}

/// How ``ExternalInput/waitForArrival(nanoseconds:interrupted:)`` ended.
public enum ExternalInputWait: Equatable, Sendable {
    /// Something arrived: the next delivery takes it in.
    case arrived
    /// Nothing arrived in the time given.
    case timedOut
    /// Someone asked the waiting run to stop (Ctrl-C).
    case interrupted
    /// Nothing more can ever arrive (a saved recording has run out), and why.
    case ended(String)

    /// How often a waiting input checks whether it was interrupted: short enough that Ctrl-C
    /// feels immediate, long enough to cost nothing.
    public static let interruptPollInterval: UInt64 = 50_000_000
}
