import KernelRuntime
import SMBWire
import Stepper

/// Text for what the stepper returns: events, stops, reports and errors. Pure functions of
/// values (the session is only read for the bytes a finished run produced).
struct REPLRenderer {
    let color: Bool
    /// The widest line (a projector's 100 columns).
    var width: Int = TextFit.width

    init(color: Bool, width: Int = TextFit.width) {
        self.color = color
        self.width = width
    }

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
            \(sizes.joined(separator: ".\n")).
            """
    }

    /// `#12 [cifsd] cifs_demultiplex_thread receive: 4 bytes  [frame]`, the message (then the
    /// buffer names) cut short with `…` to fit ``width``.
    /// - Parameter whole: keep the whole message (``detail(_:full:)`` wraps it) instead of
    ///   cutting it to one line.
    func line(_ e: TraceEvent, whole: Bool = false) -> String {
        let threadColors = ["36", "33", "32", "35", "34"]
        let head = "#\(e.sequence) [\(e.threadName)] \(e.function) \(e.phase.rawValue)"
        var buffers = e.buffers.isEmpty ? "" : "  [" + e.buffers.map(\.name).joined(separator: ", ") + "]"
        var message = e.message.isEmpty ? "" : ": " + TextFit.escapingControls(e.message)
        if !whole, head.count + message.count + buffers.count > width {
            buffers = TextFit.elide(buffers, to: max(0, min(buffers.count, width / 3)))
            if buffers.count > 3, buffers.last == "…" { buffers += "]" }
            message = TextFit.elide(message, to: max(3, width - head.count - buffers.count))
        }
        let thread = paint("[\(e.threadName)]", threadColors[e.threadID % threadColors.count])
        return "#\(e.sequence) \(thread) \(paint(e.function, "1")) \(e.phase.rawValue)" + message
            + (buffers.isEmpty ? "" : paint(buffers, "2"))
    }

    /// The event (its message whole, wrapped), its state changes and its buffers as annotated
    /// hex dumps (long fields cut short unless `full`).
    func detail(_ e: TraceEvent, full: Bool = false) -> String {
        // The whole message, wrapped to the width: `show` is where a cut line is read in full.
        var parts = [TextFit.fit(line(e, whole: true), width: width)]
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
            return "at the start, before the first event ('step' runs it)"
        case let .eventLimit(count):
            return "stopped after \(count) events without reaching the goal or the end: the run may be going round "
                + "in circles ('bt', 'threads' and 'list' show where; the next command goes on)"
        case let .interrupted(count, waiting) where waiting.isEmpty:
            return "interrupted after \(count) event\(count == 1 ? "" : "s") (the next command goes on from here)"
        case let .interrupted(_, waiting):
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
            return ProvenanceRenderer(color: color, width: width).lines(node)
        case let .faultArmed(armed):
            return ["fault \(armed.fault) armed after event \(armed.afterEvent): \(armed.detail)"]
        case let .faults(all):
            return all.isEmpty ? ["no faults armed"] : all.map { "  \($0.fault) after event \($0.afterEvent): \($0.detail)" }
        case let .functions(entries):
            return entries.isEmpty ? ["no traced function matches"] : functions(entries)
        }
    }

    /// `  cifs_sign_smb  fs/cifs/cifsencrypt.c  Signs a request…`, one a line, cut to the width.
    private func functions(_ entries: [TracepointCatalogue.Entry]) -> [String] {
        let nameWidth = min(entries.map(\.function.count).max() ?? 0, 34)
        return entries.map { entry in
            let name = entry.function.padding(to: nameWidth)
            let mirror = entry.kernelName.map { " (3.8: \($0))" } ?? ""
            let text = "  \(name)  \(entry.kernelFile)\(mirror)  \(entry.summary)"
            return TextFit.elide(text, to: width)
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
        if let origin = value.origin {
            // Where it was recorded goes on a line of its own when both do not fit.
            head += head.count + origin.description.count + 5 <= width ? ", as \(origin)" : "\n  as \(origin)"
        }
        let dump = AnnotatedHexDump.render(
            bytes, spans: value.buffer.spans, color: color, full: full, hint: "'print --all \(path)' shows every byte")
        return head.split(separator: "\n").map(String.init) + dump.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    func setting(_ s: Scenario.SettingValue) -> String {
        "  " + s.setting.rawValue.padding(to: 10) + (s.value.isEmpty ? "(none)" : s.value)
            + (s.note.map { "  (\($0))" } ?? "")
    }

    func error(_ error: StepperError, line: String) -> String {
        if case let .badCondition(expression) = error, let offset = REPLParser.conditionOffset(in: line) {
            // Point at the column in the line as typed (after the prompt).
            let caret = String(repeating: " ", count: offset + expression.column - 1) + "^"
            return "\(TextFit.escapingControls(line))\n\(caret)\nbad condition: \(expression.message) (column \(expression.column) of the condition)"
        }
        return TextFit.escapingControls(error.description)
    }

    /// `x`: `count` bytes of `value` from `offset`, as an annotated hex dump (fields clipped to
    /// the slice, offsets the buffer's own) or as characters.
    func examine(_ x: Examine, path: String, value: StateBuffer) -> [String] {
        let bytes = value.buffer.bytes
        guard x.offset < bytes.count else {
            return ["\(path) has \(bytes.count) bytes; nothing at offset \(x.offset)"]
        }
        let end = min(bytes.count, x.offset + x.count)
        let slice = Array(bytes[x.offset..<end])
        var head = "\(path)[\(x.offset)..<\(end)] of \(bytes.count) bytes"
        if let origin = value.origin { head += ", " + origin.description }
        var lines = [TextFit.elide(head, to: width)]
        switch x.format {
        case .hex:
            let spans = value.buffer.spans.compactMap { span -> FieldSpan? in
                let lower = max(span.range.lowerBound, x.offset), upper = min(span.range.upperBound, end)
                guard lower < upper else { return nil }
                return FieldSpan(range: (lower - x.offset)..<(upper - x.offset), name: span.name, value: span.value,
                                 meaning: span.meaning)
            }
            let dump = AnnotatedHexDump.render(slice, spans: spans, color: color, full: true, width: width, base: x.offset)
            lines += dump.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        case .characters:
            for row in stride(from: 0, to: slice.count, by: AnnotatedHexDump.bytesPerLine) {
                let cells = slice[row..<min(row + AnnotatedHexDump.bytesPerLine, slice.count)].map { byte -> String in
                    let text = (0x20..<0x7f).contains(byte) ? String(UnicodeScalar(byte)) : Self.characterEscape(byte)
                    return text.padding(to: 4)
                }
                let offset = String(x.offset + row, radix: 16)
                lines.append(String(repeating: "0", count: max(0, 4 - offset.count)) + offset + "  "
                    + cells.joined().trimmingTrailingBlanks())
            }
        }
        return lines
    }

    private static func characterEscape(_ byte: UInt8) -> String {
        switch byte {
        case 0: return "\\0"
        case 0x0a: return "\\n"
        case 0x0d: return "\\r"
        case 0x09: return "\\t"
        default:
            let hex = String(byte, radix: 16)
            return "\\x" + (hex.count < 2 ? "0" : "") + hex
        }
    }

    /// `list`: up to `count` lines of `source` from file line `start`, the traced line marked,
    /// under a header naming the file and the kernel function it mirrors.
    func source(_ source: FunctionSource, entry: TracepointCatalogue.Entry?, from start: Int, count: Int,
                header: Bool) -> [String] {
        var lines: [String] = []
        if header {
            var head = "\(source.function) in \(source.file)"
            if let entry {
                head += entry.side == "server" ? ", after \(entry.kernelFile)" : ", mirrors "
                    + (entry.kernelName ?? entry.function) + " in Linux 3.8's " + entry.kernelFile
            }
            lines.append(TextFit.elide(head, to: width))
        }
        let last = source.firstLine + source.lines.count - 1
        let upper = min(last, start + count - 1)
        guard start <= upper else { return ["(the end of \(source.function))"] }
        let numberWidth = String(upper).count
        for number in start...upper {
            let text = source.lines[number - source.firstLine]
            let mark = number == source.markedLine ? "→" : " "
            let numberText = String(repeating: " ", count: numberWidth - String(number).count) + String(number)
            let body = TextFit.elide(TextFit.escapingControls(text), to: width - numberWidth - 3)
            let line = "\(mark)\(numberText)  \(body)".trimmingTrailingBlanks()
            lines.append(number == source.markedLine ? paint(line, "1") : line)
        }
        return lines
    }

    private func describe(_ b: Breakpoint) -> String {
        switch b.kind {
        case let .function(name, condition):
            return (b.temporary ? "temporary " : "") + "breakpoint \(b.number) at \(name)" + (condition.map { " if \($0)" } ?? "")
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
