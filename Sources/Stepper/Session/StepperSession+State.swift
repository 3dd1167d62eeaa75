import KernelRuntime

// The state a session shows: the program's paths, and the ones every session answers itself
// from its runtime and its trace (the current event's mid, the threads); why a path is empty.

extension StatePaths {
    /// The names `threads[N].state` takes.
    static let threadStates = ["notStarted", "ready", "running", "blocked", "sleeping", "waitingForLock", "finished", "failed"]

    /// Paths every ``StepperSession`` answers, whatever its program: `mid` (the mid of the
    /// current event — in a breakpoint condition, of the event being tested) and `threads[N].*`.
    public static let session = StatePaths([
        StatePathPattern("mid", kind: .integer,
                         summary: "the MID of the current event's request (nothing when the event works on none)"),
        StatePathPattern("threads[N].name", kind: .text(names: nil), summary: "the simulated thread's name"),
        StatePathPattern("threads[N].state", kind: .text(names: threadStates),
                         summary: "running, ready, blocked, sleeping, finished…"),
        StatePathPattern("threads[N].waitsOn", kind: .text(names: nil), summary: "what a blocked thread waits for"),
        StatePathPattern("threads[N].function", kind: .text(names: nil),
                         summary: "the innermost traced function it is in"),
        StatePathPattern("threads[N].lastEvent", kind: .integer, summary: "its last event's number"),
    ])
}

extension StepperSession {
    /// The event the run stands at (`nil` at the start).
    var currentEvent: TraceEvent? {
        position > 0 ? runtime.trace.event(sequence: position) : nil
    }

    /// The value at `path` now, or `nil`. A bare `mid` reads `event`'s (default: the current one).
    func value(at path: String, event: TraceEvent? = nil) -> StateValue? {
        if path == "mid" { return (event ?? currentEvent)?.mid.map(StateValue.integer) }
        if path.hasPrefix("threads[") { return threadEntries().first { $0.path == path }?.value }
        return run?.value(at: path)
    }

    /// Every value now under `prefix` (all without one): the program's, then the session's.
    func entries(prefix: String?) -> [StateEntry] {
        var all = run?.state(prefix: prefix) ?? []
        var own: [StateEntry] = []
        if let mid = currentEvent?.mid { own.append(StateEntry(path: "mid", value: .integer(mid))) }
        own += threadEntries()
        all += own.filter { entry in prefix.map { entry.path.hasPrefix($0) } ?? true }
        return all
    }

    /// `threads[N].*` for every thread, by id.
    func threadEntries() -> [StateEntry] {
        var entries: [StateEntry] = []
        for thread in runtime.threads {
            let root = "threads[\(thread.id)]."
            entries.append(StateEntry(path: root + "name", value: .text(thread.name)))
            let (state, waitsOn) = Self.describe(thread.status)
            entries.append(StateEntry(path: root + "state", value: .text(state)))
            if let waitsOn { entries.append(StateEntry(path: root + "waitsOn", value: .text(waitsOn))) }
            if let frame = tracker.stack(of: thread.id).last {
                entries.append(StateEntry(path: root + "function", value: .text(frame.function)))
            }
            if let last = tracker.lastEvent(of: thread.id) {
                entries.append(StateEntry(path: root + "lastEvent", value: .integer(last)))
            }
        }
        return entries
    }

    /// A thread status as a state name and, when the thread waits, what for.
    static func describe(_ status: ThreadStatus) -> (state: String, waitsOn: String?) {
        switch status {
        case .notStarted: return ("notStarted", nil)
        case .ready: return ("ready", nil)
        case .running: return ("running", nil)
        case let .blocked(queue, deadline): return ("blocked", queue + (deadline.map { " (until \($0) ns)" } ?? ""))
        case .woken: return ("woken", nil)
        case let .sleeping(until): return ("sleeping", "the clock to reach \(until) ns")
        case .waitingForLock: return ("waitingForLock", "the runtime lock")
        case .finished: return ("finished", nil)
        case .failed: return ("failed", nil)
        }
    }

    // MARK: print

    /// What `print` shows for `path`: a value, the bytes with their annotation, an object's
    /// fields, or why nothing is there.
    func reading(_ path: String) -> Report {
        let paths = self.paths
        if paths.pattern(for: path) == nil, paths.isObject(path) {
            let fields = entries(prefix: path).filter { Self.isField($0.path, of: path) }
            return fields.isEmpty ? .absent(path: path, reason: absence(of: path)) : .values(fields)
        }
        guard let value = value(at: path) else { return .absent(path: path, reason: absence(of: path)) }
        if case let .bytes(bytes) = value, !bytes.isEmpty {
            return .bytes(path: path, value: annotated(path, bytes))
        }
        return .value(path: path, value: value)
    }

    /// Whether `path` lies under `object`: `rdata[0].mid` under `rdata[0]`, `threads[2].name`
    /// under `threads` (not `rdata[01]…` under `rdata[0]`).
    static func isField(_ path: String, of object: String) -> Bool {
        guard path.hasPrefix(object) else { return false }
        let next = path.dropFirst(object.count).first
        return next == "." || next == "["
    }

    /// Why nothing is at `path` now, from the trace: an indexed object some state diff touched
    /// is gone since the last such diff; one none touched never existed.
    func absence(of path: String) -> StateAbsence {
        guard let (root, name) = Self.indexedRoot(of: path) else { return .notNow }
        // The object is there; only this field is not (a thread that waits for nothing).
        if !entries(prefix: root + ".").isEmpty { return .notNow }
        let events = runtime.trace.events
        for event in events.reversed() {
            if let change = event.diff.last(where: { Self.isField($0.path, of: root) || $0.path == root }) {
                return .gone(object: root, event: event.sequence, function: event.function, removed: change.new == nil)
            }
        }
        var known = Set(entries(prefix: name + "[").compactMap { Self.indexedRoot(of: $0.path).flatMap { Self.index(in: $0.root) } })
        for event in events {
            for change in event.diff where change.path.hasPrefix(name + "[") {
                if let index = Self.indexedRoot(of: change.path).flatMap({ Self.index(in: $0.root) }) { known.insert(index) }
            }
        }
        return .neverExisted(object: root, known: known.sorted())
    }

    /// `mid[5].state` → (`mid[5]`, `mid`); `nil` for a path without an index.
    static func indexedRoot(of path: String) -> (root: String, name: String)? {
        guard let open = path.firstIndex(of: "["), let close = path[open...].firstIndex(of: "]"),
              path.index(after: open) < close,
              path[path.index(after: open)..<close].allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return (String(path[...close]), String(path[..<open]))
    }

    /// `mid[5]` → 5.
    static func index(in root: String) -> Int? {
        guard let open = root.firstIndex(of: "["), root.last == "]" else { return nil }
        return Int(root[root.index(after: open)..<root.index(before: root.endIndex)])
    }

    /// The bytes at `path` with the buffer the trace recorded them in: the program's own (the
    /// last message sent), or else the latest recorded buffer holding exactly these bytes (a key
    /// as computed). Short or uniform bytes are not matched: they could be anything's.
    func annotated(_ path: String, _ bytes: [UInt8]) -> StateBuffer {
        if let (buffer, event) = run?.buffer(at: path), buffer.bytes == bytes {
            return StateBuffer(buffer: buffer, origin: Self.origin(buffer, event))
        }
        if bytes.count >= Self.shortestMatchedBuffer, Set(bytes).count > 1 {
            for event in runtime.trace.events.reversed() {
                if let buffer = event.buffers.last(where: { $0.bytes == bytes }) {
                    return StateBuffer(buffer: buffer, origin: Self.origin(buffer, event))
                }
            }
        }
        return StateBuffer(buffer: TraceBuffer(name: path, bytes: bytes), origin: nil)
    }

    /// Bytes shorter than this are not looked up in the trace (a challenge is 8 bytes).
    static let shortestMatchedBuffer = 8

    static func origin(_ buffer: TraceBuffer, _ event: TraceEvent) -> StateBuffer.Origin {
        StateBuffer.Origin(event: event.sequence, threadName: event.threadName, function: event.function,
                           phase: event.phase, bufferName: buffer.name)
    }
}
