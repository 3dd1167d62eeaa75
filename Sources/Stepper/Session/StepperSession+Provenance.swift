import KernelRuntime

// `why`: where a buffer came from.

extension StepperSession {
    func why(_ target: String) throws(StepperError) -> CommandResult {
        let index = ProvenanceIndex(events: events)
        let start = try locate(target, in: index)
        return CommandResult(position: position, report: .provenance(index.walk(from: start)))
    }

    /// `examine`: the bytes of a state path (with the spans `print` shows), or of a recorded buffer.
    func examine(_ target: String) throws(StepperError) -> CommandResult {
        if paths.pattern(for: target) != nil || paths.isObject(target) {
            try requireKnownPath(target)
            let report = reading(target)
            switch report {
            case .bytes:
                return CommandResult(position: position, report: report)
            case let .value(_, value):
                throw StepperError.notBytes("\(target) = \(value.map { "\($0)" } ?? "nothing"): not bytes ('print \(target)' shows it)")
            case .absent:
                throw StepperError.notBytes("\(target) holds nothing at event \(position)")
            default:
                throw StepperError.notBytes("\(target) is an object, not bytes ('print \(target)' shows its fields)")
            }
        }
        let located = try locate(target, in: ProvenanceIndex(events: events))
        let origin = StateBuffer.Origin(
            event: located.event, threadName: located.threadName, function: located.function, phase: located.phase,
            bufferName: located.buffer.name)
        return CommandResult(position: position, report: .bytes(path: target, value: StateBuffer(buffer: located.buffer, origin: origin)))
    }

    /// The buffer `target` names at the current event: `$N`, a state path holding bytes, or a
    /// buffer name.
    func locate(_ target: String, in index: ProvenanceIndex) throws(StepperError) -> LocatedBuffer {
        if target.hasPrefix("$") {
            guard let number = Int(target.dropFirst()), number > 0 else {
                throw StepperError.noProvenance("'\(target)': a buffer is named $ and a number, e.g. $12")
            }
            guard let found = index.buffer(TraceBufferID(number)) else {
                throw StepperError.noProvenance("no buffer \(target) recorded yet (at event \(position))")
            }
            return found
        }
        if program.paths.pattern(for: target) != nil {
            guard let value = run?.value(at: target) else {
                throw StepperError.noProvenance("\(target) has no value at event \(position)")
            }
            guard case let .bytes(bytes) = value, !bytes.isEmpty else {
                throw StepperError.noProvenance("\(target) = \(value): not bytes the code computed")
            }
            guard let found = index.latest(holding: bytes, atOrBefore: position) else {
                throw StepperError.noProvenance("no traced buffer holds \(target)'s \(bytes.count) bytes (yet)")
            }
            return found
        }
        guard let found = index.latest(named: target, atOrBefore: position) else {
            throw StepperError.noProvenance(
                "'\(target)' is neither a buffer recorded so far ($N, or a name such as signature, \"MAC key\") "
                    + "nor a state path holding bytes (server.sessionKey, ses.cryptKey)")
        }
        return found
    }
}
