/// The formats a run can be exported in, chosen by the file name's extension — one dispatch for
/// `cifstep trace -o`, the REPL's `export` and (later) `cifstep lesson run -o`.
public enum ExportFormat: String, CaseIterable, Sendable {
    /// `.json`: the trace document (docs/trace-format.md).
    case json
    /// `.md`: the Markdown handout (``MarkdownRenderer``).
    case markdown = "md"
    /// `.html`: the self-contained web page (``HTMLRenderer``).
    case html
    /// `.pcapng`: the wire with a comment per packet (``CaptureRenderer``).
    case pcapng
    /// `.pcap`: the wire as classic pcap (no comments).
    case pcap

    /// The extensions accepted, as a user types them: `.json, .md, .html, .pcapng, .pcap`.
    public static let extensionList = allCases.map { "." + $0.rawValue }.joined(separator: ", ")

    /// The format a file name asks for (by its extension, in any case; `.htm` and `.markdown`
    /// too), or nil.
    public init?(path: String) {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return nil }
        switch path[path.index(after: dot)...].lowercased() {
        case "json": self = .json
        case "md", "markdown": self = .markdown
        case "html", "htm": self = .html
        case "pcapng": self = .pcapng
        case "pcap": self = .pcap
        default: return nil
        }
    }

    /// What the format holds, in a few words (for messages).
    public var summary: String {
        switch self {
        case .json: return "JSON trace"
        case .markdown: return "Markdown handout"
        case .html: return "HTML page"
        case .pcapng: return "pcapng capture"
        case .pcap: return "pcap capture"
        }
    }
}

/// Renders a trace document in any ``ExportFormat``.
public enum TraceExport {
    /// Encodes `document` as `format`, handing the bytes to `sink` in pieces (the JSON and the
    /// captures stream; the Markdown and the HTML come in one piece).
    public static func write(_ document: TraceDocument, as format: ExportFormat,
                             to sink: ([UInt8]) throws -> Void) rethrows {
        switch format {
        case .json: try document.write(to: sink)
        case .markdown: try sink(Array(MarkdownRenderer.render(document).utf8))
        case .html: try sink(HTMLRenderer.render(document))
        case .pcapng: try CaptureRenderer.write(document, format: .pcapng, to: sink)
        case .pcap: try CaptureRenderer.write(document, format: .pcap, to: sink)
        }
    }

    /// The whole export as bytes.
    public static func render(_ document: TraceDocument, as format: ExportFormat) -> [UInt8] {
        var out: [UInt8] = []
        write(document, as: format) { out += $0 }
        return out
    }
}
