import KernelRuntime

/// Why nothing is at a state path now — what `print` says instead of a value.
///
/// Worked out from the recorded trace: an indexed object (`mid[5]`, `page[3]`) that some
/// event's state diff touched existed earlier in the run; one that no diff touched never did.
public enum StateAbsence: Equatable, Sendable, CustomStringConvertible {
    /// Nothing is there now, and nothing says more (a file not open yet, an event without a
    /// mid, a field the object holds only sometimes).
    case notNow
    /// `object` (e.g. `mid[5]`) existed earlier in the run and is gone. `event` is the last event
    /// whose state diff touched it and `function` that event's; `removed` says that diff took
    /// the object away (rather than only changing it).
    case gone(object: String, event: Int, function: String, removed: Bool)
    /// No `object` has existed in the run so far; `known` lists the indices of the same name that
    /// did (e.g. the mids seen), ascending.
    case neverExisted(object: String, known: [Int])

    /// `gone (freed at #812 DeleteMidQEntry)`, `no mid[99] in this run so far; seen: mid[1…10]`,
    /// `nothing there now`.
    public var description: String {
        switch self {
        case .notNow:
            return "nothing there now"
        case let .gone(_, event, function, removed):
            return "gone (" + (removed ? "freed" : "last changed") + " at #\(event) \(function))"
        case let .neverExisted(object, known):
            let name = String(object.prefix { $0 != "[" })
            return "no \(object) in this run so far"
                + (known.isEmpty ? "" : "; seen: \(name)[\(Self.ranges(known))]")
        }
    }

    /// `1…4, 7, 9…10`.
    static func ranges(_ values: [Int]) -> String {
        var parts: [String] = []
        var index = 0
        while index < values.count {
            var end = index
            while end + 1 < values.count, values[end + 1] == values[end] + 1 { end += 1 }
            parts.append(end == index ? "\(values[index])" : "\(values[index])…\(values[end])")
            index = end + 1
        }
        return parts.joined(separator: ", ")
    }
}

/// Bytes at a state path, with the annotated buffer the trace recorded them in when there is
/// one: a message as it was sent or received (its fields), a key as it was computed.
public struct StateBuffer: Equatable, Sendable {
    /// The event that recorded the buffer.
    public struct Origin: Equatable, Sendable, CustomStringConvertible {
        /// The event's sequence number.
        public var event: Int
        /// The thread that recorded it (`reader`, `cifsd`).
        public var threadName: String
        /// Its kernel function (`smb_send`).
        public var function: String
        /// Its phase (`send`, `receive`, `note`).
        public var phase: TracePhase
        /// The buffer's name in that event (`request`, `reply`, `MAC key`).
        public var bufferName: String

        public init(event: Int, threadName: String, function: String, phase: TracePhase, bufferName: String) {
            self.event = event
            self.threadName = threadName
            self.function = function
            self.phase = phase
            self.bufferName = bufferName
        }

        /// `'request' of #105 [reader] smb_send send`.
        public var description: String { "'\(bufferName)' of #\(event) [\(threadName)] \(function) \(phase.rawValue)" }
    }

    /// The bytes and their field spans (no spans when the trace did not annotate them).
    public var buffer: TraceBuffer
    /// Where the annotation comes from; `nil` when no recorded buffer holds these bytes.
    public var origin: Origin?

    public init(buffer: TraceBuffer, origin: Origin?) {
        self.buffer = buffer
        self.origin = origin
    }
}
