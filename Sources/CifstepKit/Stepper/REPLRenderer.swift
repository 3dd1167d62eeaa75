import KernelRuntime
import Stepper

/// Text for what the stepper returns: events, stops, reports and errors. Pure functions of
/// values (the session is only read for the bytes a finished run produced).
struct REPLRenderer {
    let color: Bool

    private func paint(_ text: String, _ code: String) -> String {
        color ? "\u{1b}[\(code)m\(text)\u{1b}[0m" : text
    }

    /// `Flow: mount //cifstep/share as alice (sec=ntlmssp, signing off), read hello.txt, …`
    func flow(_ s: Scenario) -> String {
        let signing = s.signing == .off ? "" : s.signing == .on ? ", sign" : ", server requires signing"
        let sizes = s.settings.filter { $0.setting == .rsize || $0.setting == .readahead }
            .map { "\($0.setting.rawValue) \($0.value)" + ($0.note.map { " (\($0))" } ?? "") }
        return """
            Flow: mount \(s.server.map { "//\($0.endpoint)/\($0.share)" } ?? "//cifstep/share") as \(s.user) (sec=\(s.auth.rawValue)\(signing)), read \(s.file), unmount.
            Seed \(s.seed), \(s.policy.rawValue) order.
            \(sizes.joined(separator: "; ")).
            """
    }

    /// `#12 [cifsd] cifs_demultiplex_thread receive: 4 bytes  [frame]`
    func line(_ e: TraceEvent) -> String {
        let threadColors = ["36", "33", "32", "35", "34"]
        let thread = paint("[\(e.threadName)]", threadColors[e.threadID % threadColors.count])
        var line = "#\(e.sequence) \(thread) \(paint(e.function, "1")) \(e.phase.rawValue)"
        if !e.message.isEmpty { line += ": \(e.message)" }
        if !e.buffers.isEmpty { line += paint("  [" + e.buffers.map(\.name).joined(separator: ", ") + "]", "2") }
        return line
    }

    /// The event, its state changes and its buffers as annotated hex dumps (long fields cut
    /// short unless `full`).
    func detail(_ e: TraceEvent, full: Bool = false) -> String {
        var parts = [line(e)]
        for d in e.diff { parts.append("  " + d.description) }
        for b in e.buffers {
            parts.append("── \(b.name)\(b.id.map { " \($0)" } ?? "") (\(b.bytes.count) bytes)"
                + (b.derivation.map { paint("  " + ProvenanceRenderer.summary($0), "2") } ?? ""))
            parts.append(AnnotatedHexDump.render(
                b.bytes, spans: b.spans, color: color, full: full, hint: "'show --all \(e.sequence)' shows every byte"))
        }
        return parts.joined(separator: "\n")
    }

    func stop(_ stop: StopReason, session: StepperSession) -> String? {
        switch stop {
        case .done:
            return nil
        case let .breakpoint(number, function, _):
            return "breakpoint \(number): \(function)"
        case let .watch(number, path, old, new, _):
            return "watch \(number): \(path) \(old.map(shown) ?? "∅") → \(new.map(shown) ?? "∅")"
        case let .threadBlocked(thread):
            return "thread \(thread.id) \(thread.name) \(thread.status) — it cannot go on alone ('threads' shows who can run)"
        case let .threadFinished(thread):
            return "thread \(thread.id) \(thread.name) \(thread.status)"
        case .start:
            return "at the start"
        case let .eventLimit(count):
            return "stopped after \(count) events without reaching the goal or the end: the run may be going round "
                + "in circles ('bt', 'threads' and 'list' show where; the next command goes on)"
        case let .interrupted(waiting):
            return "interrupted while waiting for the server; waiting: "
                + waiting.map(\.description).joined(separator: "; ") + " (the next command goes on)"
        case let .serverSilent(seconds, waiting):
            return "the server sent nothing for \(Int(seconds.rounded())) s; waiting: "
                + waiting.map(\.description).joined(separator: "; ") + " (the next command waits again)"
        case let .end(outcome):
            switch outcome {
            case let .completed(bytes):
                return "end of the run: \(bytes) bytes read"
                    + (session.firstWrongByte.map { ", but they differ from the file from byte \($0) on (what 3.8 did)" } ?? "")
                    + " ('back' to go back)"
            case let .programFailed(failure):
                return "end of the run: the \(failure.thread) failed: \(failure.error)"
                    + (failure.errno.map { " (errno \($0))" } ?? "") + " ('back' to go back)"
            case let .runtimeFailed(reason):
                return "the run stopped: \(reason)"
            case let .couldNotStart(reason):
                return "the run could not start: \(reason)"
            }
        }
    }

    /// The lines of a report; `full`: buffers with every byte (`print --all`).
    func report(_ report: Report, full: Bool = false) -> [String] {
        switch report {
        case .none:
            return []
        case let .breakpointSet(breakpoint):
            return [describe(breakpoint)]
        case let .deleted(removed):
            return removed.isEmpty ? ["no breakpoints"] : removed.map { "deleted " + describe($0) }
        case let .breakpoints(all):
            return all.isEmpty ? ["no breakpoints or watches"] : all.map { "  " + describe($0) }
        case let .threads(threads):
            return threads.map(thread)
        case let .backtrace(trace):
            return backtrace(trace)
        case let .value(path, value):
            return [value.map { "\(path) = \(shown($0))" } ?? "\(path): nothing there now"]
        case let .absent(path, reason):
            if case .gone = reason { return ["\(path) = \(reason)"] }
            return ["\(path): \(reason)"]
        case let .bytes(path, value):
            return buffer(path, value, full: full)
        case let .values(entries):
            return entries.isEmpty ? ["(nothing there now)"] : entries.map { "  \($0.path) = \(listed($0))" }
        case .scenario:
            return []
        case let .condition(holds, values):
            return [holds ? "true" : "false"] + values.map { entry in
                "  \(entry.path) = " + (entry.value.map(shown) ?? "(nothing there now)")
            }
        case let .selected(info):
            return ["current thread: " + thread(info).trimmingCharacters(in: " *")]
        case let .provenance(node):
            return ProvenanceRenderer(color: color).lines(node)
        case let .faultArmed(armed):
            return ["fault \(armed.fault) armed after event \(armed.afterEvent): \(armed.detail)"]
        case let .faults(all):
            return all.isEmpty ? ["no faults armed"] : all.map { "  \($0.fault) after event \($0.afterEvent): \($0.detail)" }
        }
    }

    /// A value as the diffs render it, but an empty one as `""` so that it shows.
    private func shown(_ value: StateValue) -> String {
        let text = value.description
        return text.isEmpty ? "\"\"" : text
    }

    /// Bytes longer than this show only their start in a listing (`info state`).
    static let longestListedBytes = 32

    /// A value in a listing: long bytes cut to their first 16, with their length and how to see them.
    private func listed(_ entry: StateEntry) -> String {
        guard case let .bytes(bytes) = entry.value, bytes.count > Self.longestListedBytes else { return shown(entry.value) }
        return StateValue.bytes(Array(bytes.prefix(16))).description + "… (\(bytes.count) bytes; 'print \(entry.path)' shows them)"
    }

    /// `print` of bytes: a line saying what they are, then the annotated hex dump.
    private func buffer(_ path: String, _ value: StateBuffer, full: Bool) -> [String] {
        let bytes = value.buffer.bytes
        var head = "\(path) = "
        head += bytes.count <= Self.longestListedBytes ? "\(StateValue.bytes(bytes)) (\(bytes.count) bytes)" : "\(bytes.count) bytes"
        if let origin = value.origin { head += ", as \(origin)" }
        let dump = AnnotatedHexDump.render(
            bytes, spans: value.buffer.spans, color: color, full: full, hint: "'print --all \(path)' shows every byte")
        return [head] + dump.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    func setting(_ s: Scenario.SettingValue) -> String {
        "  " + s.setting.rawValue.padding(to: 10) + (s.value.isEmpty ? "(none)" : s.value)
            + (s.note.map { "  (\($0))" } ?? "")
    }

    func error(_ error: StepperError, line: String) -> String {
        if case let .badCondition(expression) = error, let offset = REPLParser.conditionOffset(in: line) {
            // Point at the column in the line as typed (after the prompt).
            let caret = String(repeating: " ", count: offset + expression.column - 1) + "^"
            return "\(line)\n\(caret)\nbad condition: \(expression.message) (column \(expression.column) of the condition)"
        }
        return error.description
    }

    private func describe(_ b: Breakpoint) -> String {
        switch b.kind {
        case let .function(name, condition):
            return "breakpoint \(b.number) at \(name)" + (condition.map { " if \($0)" } ?? "")
        case let .watch(path):
            return "watch \(b.number) on \(path)"
        }
    }

    private func thread(_ info: ThreadInfo) -> String {
        var text = (info.isCurrent ? "* " : "  ") + "\(info.thread.id) \(info.thread.name): \(info.thread.status)"
        if let frame = info.frame { text += ", in \(frame.function)" }
        if let last = info.lastEvent { text += " (last event #\(last))" }
        return text
    }

    private func backtrace(_ trace: Backtrace) -> [String] {
        var lines = ["thread \(trace.thread.id) \(trace.thread.name): \(trace.thread.status)"]
        var index = 0
        if let last = trace.lastEvent, last.function != trace.frames.first?.function || last.phase == .exit {
            lines.append("  at #\(last.sequence) \(last.function) \(last.phase.rawValue)"
                + (last.message.isEmpty ? "" : ": \(last.message)"))
        }
        for frame in trace.frames {
            lines.append("  #\(index) \(frame.function) (entered at #\(frame.enterEvent)"
                + (frame.message.isEmpty ? ")" : ": \(frame.message))"))
            index += 1
        }
        if trace.frames.isEmpty { lines.append("  (no traced function in progress)") }
        return lines
    }
}
