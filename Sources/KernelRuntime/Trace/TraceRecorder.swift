/// Collects the events of one run, in order, and optionally streams each one as it is recorded.
///
/// Thread-safe. Sequence numbers are assigned here, so they are consecutive even when several
/// free-running threads trace at once.
public final class TraceRecorder: @unchecked Sendable {
    private let mutex = PThreadMutex()
    private var stored: [TraceEvent] = []
    private var recorded = 0
    private var buffersNamed = 0
    private let keepsEvents: Bool
    private let sink: (@Sendable (TraceEvent) -> Void)?

    /// - Parameters:
    ///   - keepsEvents: keep every event in memory (`events`); turn off for long free runs that
    ///     only stream.
    ///   - sink: called with each event, in sequence order, on the recording thread while the
    ///     recorder's lock is held. It must not call back into the runtime.
    public init(keepsEvents: Bool = true, sink: (@Sendable (TraceEvent) -> Void)? = nil) {
        self.keepsEvents = keepsEvents
        self.sink = sink
    }

    /// The events recorded so far (a copy).
    public var events: [TraceEvent] {
        mutex.locked { stored }
    }

    /// How many events have been recorded (also counts events not kept).
    public var count: Int {
        mutex.locked { recorded }
    }

    /// The event with sequence number `sequence`, if it was kept.
    public func event(sequence: Int) -> TraceEvent? {
        mutex.locked {
            guard keepsEvents, sequence >= 1, sequence <= stored.count else { return nil }
            return stored[sequence - 1]
        }
    }

    /// The next ``TraceBufferID`` of the run (from 1).
    public func newBufferID() -> TraceBufferID {
        mutex.locked {
            buffersNamed += 1
            return TraceBufferID(buffersNamed)
        }
    }

    /// Records an event built for the next sequence number and returns it.
    @discardableResult
    func record(_ make: (_ sequence: Int) -> TraceEvent) -> TraceEvent {
        mutex.locked {
            recorded += 1
            let event = make(recorded)
            if keepsEvents { stored.append(event) }
            sink?(event)
            return event
        }
    }
}
