import KernelRuntime

/// One call in progress on a thread: a traced function's `enter` whose `exit` has not come yet.
public struct Frame: Equatable, Sendable, Codable, CustomStringConvertible {
    /// The kernel function, e.g. `cifs_readpages`.
    public var function: String
    /// The sequence number of its `enter` event.
    public var enterEvent: Int
    /// What the `enter` event said.
    public var message: String

    public init(function: String, enterEvent: Int, message: String) {
        self.function = function
        self.enterEvent = enterEvent
        self.message = message
    }

    public var description: String { "\(function) (entered at #\(enterEvent))" }
}

/// Per-thread call stacks rebuilt from the events as they arrive (and again on a replay).
///
/// The rule: every traced function records `enter` … `exit` on its thread, and the events in
/// between carry the function of the frame they belong to. Tolerated: an event that is neither
/// `enter` nor `exit` and whose function is not the innermost frame's is a **leaf** (a call that
/// left no frame); an `exit` pops down to the innermost `enter` of the same function (frames above
/// it lost their exit), and an `exit` with no matching `enter` is a leaf too.
///
/// Each event gets a **level**: the depth of the frame it belongs to — `enter` and `exit` of a
/// call at depth d have level d, an event inside the innermost of d frames has level d, a leaf
/// under d frames has level d + 1. `next` runs to the thread's next event at the same or a lower
/// level; `finish` to the exit that drops the thread below the frame's depth.
struct FrameTracker {
    struct ThreadFrames {
        var stack: [Frame] = []
        /// Level of the thread's last event.
        var lastLevel = 0
        /// Sequence number of the thread's last event.
        var lastEvent = 0
    }

    /// Keyed by thread id (looked up, never iterated for output).
    private(set) var threads: [Int: ThreadFrames] = [:]
    /// Sequence number of the last event absorbed.
    private(set) var absorbed = 0

    /// Takes in the next event and returns its level. Events must come in sequence order;
    /// one already absorbed is ignored (returns its thread's last level).
    @discardableResult
    mutating func absorb(_ event: TraceEvent) -> Int {
        guard event.sequence > absorbed else { return threads[event.threadID]?.lastLevel ?? 0 }
        absorbed = event.sequence
        var frames = threads[event.threadID] ?? ThreadFrames()
        let level: Int
        switch event.phase {
        case .enter:
            frames.stack.append(Frame(function: event.function, enterEvent: event.sequence, message: event.message))
            level = frames.stack.count
        case .exit:
            if let index = frames.stack.lastIndex(where: { $0.function == event.function }) {
                level = index + 1
                frames.stack.removeSubrange(index...)
            } else {
                level = frames.stack.count + 1
            }
        default:
            level = frames.stack.last?.function == event.function ? frames.stack.count : frames.stack.count + 1
        }
        frames.lastLevel = level
        frames.lastEvent = event.sequence
        threads[event.threadID] = frames
        return level
    }

    /// The frames of `thread`, outermost first.
    func stack(of thread: Int) -> [Frame] { threads[thread]?.stack ?? [] }

    /// The level of `thread`'s last event, or `nil` before it recorded one.
    func lastLevel(of thread: Int) -> Int? { threads[thread].map(\.lastLevel) }

    /// Sequence number of `thread`'s last event.
    func lastEvent(of thread: Int) -> Int? { threads[thread].map(\.lastEvent) }

    /// The depth (1-based) of the frame `finish` leaves on `thread`: the innermost frame at its
    /// last event (after an `exit`, the caller's).
    func finishDepth(of thread: Int) -> Int? {
        guard let frames = threads[thread], !frames.stack.isEmpty else { return nil }
        return frames.stack.count
    }
}
