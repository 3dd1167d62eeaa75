import KernelRuntime
import SMBWire

/// A run as a Markdown handout (`cifstep trace -o FILE.md`, the REPL's `export FILE.md`): the
/// scenario, then every event as a numbered step — thread, kernel function, phase, what
/// happened — with its state changes, and each buffer as an annotated hex table (one row per
/// field the decoder recorded, in byte order; bytes no field covers get rows of their own) under
/// a line saying where its bytes came from (its provenance).
///
/// Long fields (a READ_ANDX reply's 60 KiB of data) show their first and last bytes only. A pure
/// function of the document.
public enum MarkdownRenderer {
    public static func render(_ document: TraceDocument) -> String {
        var out = ""
        out.reserveCapacity(document.events.count * 160)
        let index = BufferIndex(document.events)
        out += "# cifstep trace: \(document.scenarioTitle)\n\n"
        out += "Linux 3.8's cifs client, one kernel tracepoint at a time. "
        let threads = document.threads
        out += "\(document.events.count) events on \(threads.count) threads ("
            + threads.map { "\($0.id) \($0.name)" }.joined(separator: ", ") + ")"
        if let decisions = document.decisions { out += ", \(decisions.count) scheduling decisions" }
        out += ".\n\n"
        if let scenario = document.scenario, !scenario.isEmpty {
            out += "| setting | value |\n|---|---|\n"
            for key in scenario.keys.sorted() { out += "| \(cell(key)) | \(cell(scenario[key] ?? "")) |\n" }
            out += "\n"
        }
        if let recording = document.recording { out += "Against the real server \(code(recording.server)).\n\n" }
        let messages = WireMessages.extract(document).messages
        if !messages.isEmpty {
            out += "## The wire\n\n| step | | message | bytes |\n|---|---|---|---|\n"
            for message in messages {
                out += "| \(message.event) | \(message.fromClient ? "→" : "←") | \(escape(message.title)) | \(message.bytes.count) |\n"
            }
            out += "\n"
        }
        out += "## Steps\n\n"
        for event in document.events { step(event, index: index, into: &out) }
        return out
    }

    private static func step(_ event: TraceEvent, index: BufferIndex, into out: inout String) {
        out += "**\(event.sequence).** \(event.threadName) · \(code(event.function)) · \(event.phase.rawValue)"
        if let mid = event.mid { out += " · mid \(mid)" }
        if !event.message.isEmpty { out += " — " + escape(event.message) }
        out += "\n\n"
        if !event.diff.isEmpty {
            for change in event.diff {
                out += "- \(code(change.path)): \(change.old.map(code) ?? "∅") → \(change.new.map(code) ?? "∅")\n"
            }
            out += "\n"
        }
        for buffer in event.buffers { table(buffer, index: index, into: &out) }
    }

    private static func table(_ buffer: TraceBuffer, index: BufferIndex, into out: inout String) {
        out += "Buffer **\(escape(buffer.name))**"
        if let id = buffer.id { out += " \(code(id.description))" }
        out += ", \(buffer.bytes.count) bytes"
        if let derivation = buffer.derivation { out += " — " + escape(index.provenance(derivation)) }
        out += "\n\n| bytes | field | hex | value | meaning |\n|---|---|---|---|---|\n"
        for row in BufferFields(buffer).rows {
            out += "| \(row.range.lowerBound)..<\(row.range.upperBound) | \(row.name.map(cell) ?? "*(no field)*") | "
            out += row.range.isEmpty ? "" : "`" + BufferFields.hex(buffer.bytes, row.range) + "`"
            out += " | \(cell(row.value)) | \(row.meaning.map(cell) ?? "") |\n"
        }
        out += "\n"
    }

    /// Inline code, with a longer fence when the text holds a backtick.
    private static func code(_ text: String) -> String {
        text.contains("`") ? "`` " + text + " ``" : "`" + text + "`"
    }

    /// A table cell: `|` escaped, line breaks as spaces, Markdown punctuation escaped.
    private static func cell(_ text: String) -> String {
        escape(text).replacingOccurrences(of: "|", with: "\\|")
    }

    /// Text with the characters Markdown would read as markup escaped.
    private static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for ch in text {
            switch ch {
            case "\\", "`", "*", "<", ">", "[", "]": out.append("\\"); out.append(ch)
            case "\n", "\r": out.append(" ")
            default: out.append(ch)
            }
        }
        return out
    }
}
