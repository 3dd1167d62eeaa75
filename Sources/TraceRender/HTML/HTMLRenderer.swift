import KernelRuntime
import SMBWire

/// A run as one self-contained web page (`cifstep trace -o FILE.html`, the REPL's `export
/// FILE.html`): no network, no files beside it — the style sheet, the script and the data are
/// inside.
///
/// - One element per event, with the id `event-N` (a deep link opens it): a collapsible step
///   whose line gives the thread, kernel function, phase, mid and message; inside, the state
///   changes and the buffers, each with its provenance.
/// - A thread timeline: one lane each for the reader, cifsd, cifsiod and the server (smbd), a
///   tick per event; clicking it opens that event.
/// - A buffer's bytes are drawn when its step is first opened, as Wireshark's bytes pane: hex and
///   ASCII beside the list of fields; hovering a field (or a byte) highlights the field's bytes.
/// - Long fields keep their first ``keptHead`` and last ``keptTail`` bytes only (a READ_ANDX
///   reply's 60 KiB of data is not carried: the JSON export has every byte), so a 10,000-event
///   run stays a few megabytes and opens quickly.
/// - A print style sheet: the controls and the timeline go, every step opens.
///
/// A pure function of the document: one trace gives one page.
public enum HTMLRenderer {
    /// A field (or a stretch no field covers) longer than this is cut to its head and tail.
    public static let elideBeyond = 512
    public static let keptHead = 128
    public static let keptTail = 64

    /// The lanes of the timeline, in order; a thread goes to the lane of its name, and any thread
    /// not named here (the server's `smbd`) to `server`.
    public static let lanes = ["reader", "cifsd", "cifsiod", "server"]

    public static func render(_ document: TraceDocument) -> [UInt8] {
        var out = ""
        out.reserveCapacity(document.events.count * 400 + 64 * 1024)
        let index = BufferIndex(document.events)
        let title = "cifstep trace: " + document.scenarioTitle
        out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        out += "<title>" + escape(title) + "</title>\n"
        out += "<script>" + HTMLAssets.errorCollector + "</script>\n"
        out += "<style>" + HTMLAssets.styleSheet + "</style></head>\n<body>\n"
        header(document, title: title, into: &out)
        timeline(document, into: &out)
        wire(document, into: &out)
        out += "<main id=\"events\">\n"
        var buffers = JSONWriter(reservingCapacity: 256 * 1024)
        buffers.beginArray()
        var bufferNumber = 0
        for event in document.events {
            step(event, index: index, buffers: &buffers, bufferNumber: &bufferNumber, into: &out)
        }
        buffers.endArray()
        out += "</main>\n<script type=\"application/json\" id=\"buffers\">"
        // JSON strings may hold `<` (a message's `</script>` would end the element): escape it.
        var data = String(decoding: buffers.bytes, as: UTF8.self)
        if data.contains("<") { data = data.replacingOccurrences(of: "<", with: "\\u003c") }
        out += data
        out += "</script>\n<script>" + HTMLAssets.script + "</script>\n</body></html>\n"
        return Array(out.utf8)
    }

    // MARK: Parts

    private static func header(_ document: TraceDocument, title: String, into out: inout String) {
        out += "<header><h1>" + escape(title) + "</h1>\n<p class=\"what\">Linux 3.8's cifs client, one kernel tracepoint at a time: "
        let threads = document.threads
        out += "\(document.events.count) events on \(threads.count) threads ("
            + escape(threads.map { "\($0.id) \($0.name)" }.joined(separator: ", ")) + ")"
        if let decisions = document.decisions { out += ", \(decisions.count) scheduling decisions" }
        if let recording = document.recording { out += ", against the real server " + escape(recording.server) }
        out += ".</p>\n"
        if let scenario = document.scenario, !scenario.isEmpty {
            out += "<dl class=\"scenario\">"
            for key in scenario.keys.sorted() {
                out += "<dt>" + escape(key) + "</dt><dd>" + escape(scenario[key] ?? "") + "</dd>"
            }
            out += "</dl>\n"
        }
        out += "<nav class=\"controls\"><button type=\"button\" id=\"expand\">open all</button> "
            + "<button type=\"button\" id=\"collapse\">close all</button> "
            + "<label><input type=\"checkbox\" id=\"only-content\"> only steps with buffers or state changes</label></nav>\n"
        out += "</header>\n"
    }

    /// The lanes as labels and a canvas the script draws; the lane of each event and its phase
    /// as two strings of digits, one character an event.
    private static func timeline(_ document: TraceDocument, into out: inout String) {
        var laneOf = ""
        laneOf.reserveCapacity(document.events.count)
        var phases = ""
        phases.reserveCapacity(document.events.count)
        for event in document.events {
            laneOf += String(lane(of: event.threadName))
            phases += String(TracePhase.allCases.firstIndex(of: event.phase) ?? 0)
        }
        out += "<section id=\"timeline\" aria-label=\"thread timeline\"><div class=\"lane-names\">"
        for (n, name) in lanes.enumerated() { out += "<div class=\"lane-name ln\(n)\">" + name + "</div>" }
        out += "</div><canvas id=\"lanes\" height=\"\(lanes.count * 18)\" data-lanes=\"\(laneOf)\" data-phases=\"\(phases)\"></canvas>"
        out += "<div id=\"tip\" class=\"tip\"></div></section>\n"
    }

    /// The SMB messages on the wire, each a link to the event that carried it (closed by default).
    private static func wire(_ document: TraceDocument, into out: inout String) {
        let messages = WireMessages.extract(document).messages
        guard !messages.isEmpty else { return }
        out += "<details id=\"wire\"><summary>The wire: \(messages.count) SMB messages</summary><ol class=\"wire\">"
        for message in messages {
            out += "<li class=\"" + (message.fromClient ? "req" : "rep") + "\"><a href=\"#event-\(message.event)\">#\(message.event)</a> "
                + (message.fromClient ? "→ " : "← ") + escape(message.title) + " <span class=\"mid\">\(message.bytes.count) bytes</span></li>"
        }
        out += "</ol></details>\n"
    }

    static func lane(of thread: String) -> Int {
        lanes.firstIndex(of: thread) ?? lanes.count - 1
    }

    private static func step(
        _ event: TraceEvent, index: BufferIndex, buffers: inout JSONWriter, bufferNumber: inout Int, into out: inout String
    ) {
        let hasBody = !event.diff.isEmpty || !event.buffers.isEmpty
        let lane = lane(of: event.threadName)
        let classes = "ev l\(lane) p-\(event.phase.rawValue)"
        // Compact markup (a 10,000-event page is mostly these lines): the number links to the
        // step, <b> is the thread, <code> the function, <i> the phase.
        out += hasBody ? "<details id=\"event-\(event.sequence)\" class=\"\(classes)\"><summary>"
                       : "<div id=\"event-\(event.sequence)\" class=\"\(classes) plain\">"
        out += "<a href=\"#event-\(event.sequence)\">\(event.sequence)</a> <b>" + escape(event.threadName) + "</b> <code>"
            + escape(event.function) + "</code> <i>" + event.phase.rawValue + "</i>"
        if let mid = event.mid { out += " <span class=\"mid\">mid \(mid)</span>" }
        if !event.message.isEmpty { out += " " + escape(event.message) }
        guard hasBody else {
            out += "</div>\n"
            return
        }
        out += "</summary><div class=\"body\">"
        if !event.diff.isEmpty {
            out += "<ul class=\"diff\">"
            for change in event.diff {
                out += "<li><code>" + escape(change.path) + "</code> <span class=\"old\">" + escape(change.old ?? "∅")
                    + "</span> → <span class=\"new\">" + escape(change.new ?? "∅") + "</span></li>"
            }
            out += "</ul>"
        }
        for buffer in event.buffers {
            out += "<div class=\"buf\" data-b=\"\(bufferNumber)\"><div class=\"bh\"><b>" + escape(buffer.name) + "</b>"
            if let id = buffer.id { out += " <span class=\"id\">\(id)</span>" }
            out += " · \(buffer.bytes.count) bytes"
            if let derivation = buffer.derivation {
                out += " <span class=\"prov\">← " + linked(index.provenance(derivation, quote: { "“\($0)”" })) + "</span>"
            }
            out += "</div></div>"
            writeBuffer(buffer, to: &buffers)
            bufferNumber += 1
        }
        out += "</div></details>\n"
    }

    /// `[length, [[offset, "hex"], …], [[start, end, "name", "value", "meaning"], …]]`: the bytes
    /// kept (long fields cut to head and tail) and the spans.
    private static func writeBuffer(_ buffer: TraceBuffer, to w: inout JSONWriter) {
        w.beginArray()
        w.integer(buffer.bytes.count)
        w.beginArray()
        for range in keptRanges(buffer) {
            w.beginArray()
            w.integer(range.lowerBound)
            w.hex(Array(buffer.bytes[range]))
            w.endArray()
        }
        w.endArray()
        w.beginArray()
        for span in buffer.spans {
            w.beginArray()
            w.integer(span.range.lowerBound)
            w.integer(span.range.upperBound)
            w.string(span.name)
            w.string(span.value.count > 200 ? String(span.value.prefix(200)) + "…" : span.value)
            w.string(span.meaning ?? "")
            w.endArray()
        }
        w.endArray()
        w.endArray()
    }

    /// The byte ranges carried: all of a buffer's rows, except that a row longer than
    /// ``elideBeyond`` keeps its first ``keptHead`` and last ``keptTail`` bytes. Adjacent ranges merge.
    static func keptRanges(_ buffer: TraceBuffer) -> [Range<Int>] {
        var kept: [Range<Int>] = []
        func add(_ r: Range<Int>) {
            guard !r.isEmpty else { return }
            if let last = kept.last, last.upperBound >= r.lowerBound {
                kept[kept.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                kept.append(r)
            }
        }
        for row in BufferFields(buffer).rows {
            if row.range.count > elideBeyond {
                add(row.range.lowerBound..<(row.range.lowerBound + keptHead))
                add((row.range.upperBound - keptTail)..<row.range.upperBound)
            } else {
                add(row.range)
            }
        }
        return kept
    }

    /// Provenance text (already plain) escaped, with each `(#N)` a link to its event.
    private static func linked(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "(#") {
            out += escape(String(rest[..<open.lowerBound]))
            let after = rest[open.upperBound...]
            let digits = after.prefix(while: \.isNumber)
            if !digits.isEmpty, after.dropFirst(digits.count).first == ")" {
                out += "(<a href=\"#event-\(digits)\">#\(digits)</a>)"
                rest = after.dropFirst(digits.count + 1)
            } else {
                out += "(#"
                rest = after
            }
        }
        return out + escape(String(rest))
    }

    /// Text for HTML element content and attribute values.
    static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3c || $0 == 0x3e || $0 == 0x22 || $0 == 0x27 }) else {
            return text
        }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for ch in text.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
