/// One choice the stepped controller made: which runnable thread ran next.
///
/// A run is fully determined by its seed, its program and its decisions; replaying the
/// decisions (``SteppedRuntime/init(seed:policy:replaying:nanosecondsPerEvent:epochUnixNanoseconds:handoffTimeout:)``)
/// re-creates the run even when a user picked threads by hand.
public struct SchedulingDecision: Equatable, Sendable, Codable, CustomStringConvertible {
    /// 0 for the first decision of a run, then consecutive.
    public var index: Int
    /// How many events had been recorded when the decision was made.
    public var afterEvent: Int
    /// Ids of the threads that could run, ascending.
    public var runnable: [Int]
    /// Id of the thread that ran.
    public var chosen: Int

    public init(index: Int, afterEvent: Int, runnable: [Int], chosen: Int) {
        self.index = index
        self.afterEvent = afterEvent
        self.runnable = runnable
        self.chosen = chosen
    }

    public var description: String { "decision \(index) after event \(afterEvent): \(runnable) → \(chosen)" }
}

/// What a ``SchedulingPolicy`` sees when it must pick a thread.
public struct SchedulingContext: Sendable {
    /// The threads that can run now, by ascending id (never empty).
    public var runnable: [ThreadSnapshot]
    /// The thread chosen by the previous decision, if any.
    public var previous: Int?
    /// The index of the decision being made.
    public var decision: Int
    /// A fresh value from the scheduler's seeded generator (separate from the program's).
    public var random: UInt64
}

/// How the stepped controller picks the next thread when nobody asked for a particular one.
public struct SchedulingPolicy: Sendable {
    /// Shown in listings, e.g. `seeded random`.
    public let name: String
    /// Returns the id of a thread in `context.runnable`.
    public let choose: @Sendable (SchedulingContext) -> Int

    public init(name: String, choose: @escaping @Sendable (SchedulingContext) -> Int) {
        self.name = name
        self.choose = choose
    }

    /// A uniformly random runnable thread, from the scheduler's seeded generator.
    public static let seededRandom = SchedulingPolicy(name: "seeded random") { context in
        context.runnable[Int(context.random % UInt64(context.runnable.count))].id
    }

    /// Always the runnable thread with the lowest id.
    public static let lowestID = SchedulingPolicy(name: "lowest id") { context in
        context.runnable[0].id
    }

    /// Keeps running the previous thread while it can run, otherwise a seeded random choice:
    /// readable traces that still explore interleavings where threads block.
    public static let keepRunning = SchedulingPolicy(name: "keep running") { context in
        if let previous = context.previous, context.runnable.contains(where: { $0.id == previous }) {
            return previous
        }
        return context.runnable[Int(context.random % UInt64(context.runnable.count))].id
    }
}

/// What running one thread alone (``SteppedRuntime/step(only:)``) led to.
public enum StepOutcome: Equatable, Sendable {
    /// The thread recorded this event and is stopped at it.
    case event(TraceEvent)
    /// The thread blocked without recording an event; it waits as the snapshot says.
    case blocked(ThreadSnapshot)
    /// The thread's body returned or threw.
    case finished(ThreadSnapshot)
}
