import KernelRuntime

// Breakpoints, watches, threads, frames and state values.

extension StepperSession {
    // MARK: Breakpoints and watches

    func setBreakpoint(_ function: String, condition text: String?, temporary: Bool = false) throws(StepperError) -> CommandResult {
        // The name events carry, or the 3.8 name the catalogue records beside it.
        guard let traced = catalogue.entry(function)?.function
            ?? catalogue.entries.first(where: { $0.kernelName == function })?.function else {
            throw StepperError.unknownFunction(function, closest: catalogue.closestFunctions(to: function))
        }
        var condition: StateExpression?
        if let text {
            do {
                condition = try StateExpression.parse(text, paths: paths)
            } catch {
                throw StepperError.badCondition(error)
            }
        }
        let breakpoint = Breakpoint(number: nextBreakpointNumber, kind: .function(traced, condition: text), temporary: temporary)
        nextBreakpointNumber += 1
        stopPoints.append(StopPoint(breakpoint: breakpoint, condition: condition))
        return CommandResult(position: position, report: .breakpointSet(breakpoint))
    }

    func setWatch(_ path: String) throws(StepperError) -> CommandResult {
        // A watch compares one value: an object (rdata[0], threads) is not one.
        try requireKnownPath(path, objects: false)
        let breakpoint = Breakpoint(number: nextBreakpointNumber, kind: .watch(path: path))
        nextBreakpointNumber += 1
        stopPoints.append(StopPoint(breakpoint: breakpoint, watchedValue: value(at: path)))
        return CommandResult(position: position, report: .breakpointSet(breakpoint))
    }

    func delete(_ target: DeleteTarget) throws(StepperError) -> CommandResult {
        let removed: [StopPoint]
        switch target {
        case .all:
            removed = stopPoints
        case let .number(number):
            removed = stopPoints.filter { $0.breakpoint.number == number }
            guard !removed.isEmpty else { throw StepperError.noSuchBreakpoint(String(number)) }
        case let .function(name):
            removed = stopPoints.filter { $0.function == name }
            guard !removed.isEmpty else { throw StepperError.noSuchBreakpoint("on \(name)") }
        }
        let numbers = Set(removed.map(\.breakpoint.number))
        stopPoints.removeAll { numbers.contains($0.breakpoint.number) }
        return CommandResult(position: position, report: .deleted(removed.map(\.breakpoint)))
    }

    /// The first breakpoint (by number) on `event`'s function whose condition holds now (a bare
    /// `mid` in it is `event`'s).
    func firstBreakpoint(hitBy event: TraceEvent) -> Breakpoint? {
        for point in stopPoints where point.function == event.function {
            guard let condition = point.condition else { return point.breakpoint }
            if condition.evaluate({ value(at: $0, event: event) }) { return point.breakpoint }
        }
        return nil
    }

    /// Reads every watched value; returns the stop for the first (by number) that changed at
    /// `event`, after updating them all.
    func changedWatch(at event: TraceEvent) -> StopReason? {
        var first: StopReason?
        for index in stopPoints.indices {
            guard let path = stopPoints[index].watchedPath else { continue }
            let now = value(at: path, event: event)
            let old = stopPoints[index].watchedValue
            guard now != old else { continue }
            stopPoints[index].watchedValue = now
            if first == nil {
                first = .watch(number: stopPoints[index].breakpoint.number, path: path, old: old, new: now, event: event.sequence)
            }
        }
        return first
    }

    /// Reads every watched value at the current event (after a replay or a reset).
    func refreshWatches() {
        for index in stopPoints.indices {
            guard let path = stopPoints[index].watchedPath else { continue }
            stopPoints[index].watchedValue = value(at: path)
        }
    }

    // MARK: Threads and frames

    func selectThread(_ id: Int) throws(StepperError) -> CommandResult {
        let all = runtime.threads
        guard all.contains(where: { $0.id == id }) else { throw StepperError.noSuchThread(id, known: all.map(\.id)) }
        selectedThread = id
        guard let info = threadInfos().first(where: { $0.thread.id == id }) else {
            throw StepperError.noSuchThread(id, known: all.map(\.id))
        }
        return CommandResult(position: position, report: .selected(info))
    }

    func threadInfos() -> [ThreadInfo] {
        runtime.threads.map { thread in
            ThreadInfo(
                thread: thread, isCurrent: thread.id == selectedThread, frame: tracker.stack(of: thread.id).last,
                lastEvent: tracker.lastEvent(of: thread.id))
        }
    }

    func backtrace(_ requested: Int?) throws(StepperError) -> CommandResult {
        let all = runtime.threads
        guard let id = requested ?? selectedThread else { throw StepperError.noCurrentThread }
        guard let thread = all.first(where: { $0.id == id }) else {
            throw StepperError.noSuchThread(id, known: all.map(\.id))
        }
        let last = tracker.lastEvent(of: id).flatMap { runtime.trace.event(sequence: $0) }
        let trace = Backtrace(thread: thread, frames: tracker.stack(of: id).reversed(), lastEvent: last)
        return CommandResult(position: position, report: .backtrace(trace))
    }

    // MARK: State

    /// Refuses a path no pattern names; `objects`: also accept an object whose fields are paths
    /// (`rdata[0]`, `threads`), as `print` does.
    func requireKnownPath(_ path: String, objects: Bool = true) throws(StepperError) {
        do {
            try ExpressionParser.validatePath(path, column: 1)
        } catch {
            throw StepperError.unknownPath(path, closest: paths.suggestions(for: path))
        }
        guard paths.pattern(for: path) != nil || objects && paths.isObject(path) else {
            throw StepperError.unknownPath(path, closest: paths.suggestions(for: path))
        }
    }

    func print(_ path: String) throws(StepperError) -> CommandResult {
        try requireKnownPath(path)
        return CommandResult(position: position, report: reading(path))
    }

    func evaluate(_ text: String) throws(StepperError) -> CommandResult {
        let condition: StateExpression
        do {
            condition = try StateExpression.parse(text, paths: paths)
        } catch {
            throw StepperError.badCondition(error)
        }
        var seen: Set<String> = []
        let values = condition.paths.filter { seen.insert($0).inserted }.map {
            StateEntryOrAbsent(path: $0, value: value(at: $0))
        }
        let holds = condition.evaluate { value(at: $0) }
        return CommandResult(position: position, report: .condition(holds: holds, values: values))
    }

    func infoState(_ prefix: String?) throws(StepperError) -> CommandResult {
        if let prefix, !paths.admitsPrefix(prefix) {
            throw StepperError.unknownPath(prefix, closest: paths.suggestions(for: prefix))
        }
        return CommandResult(position: position, report: .values(entries(prefix: prefix)))
    }
}

extension TracepointCatalogue {
    /// The entries whose name or 3.8 name contains `text` (case-insensitive; all for `nil`).
    public func entries(matching text: String?) -> [Entry] {
        guard let text = text?.lowercased(), !text.isEmpty else { return entries }
        return entries.filter { entry in
            entry.function.lowercased().contains(text) || (entry.kernelName?.lowercased().contains(text) ?? false)
        }
    }

    /// The catalogued names nearest to `name` (event names and the 3.8 names beside them).
    public func closestFunctions(to name: String) -> [String] {
        EditDistance.closest(to: name, among: entries.map(\.function))
    }
}
