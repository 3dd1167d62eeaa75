import SMBWire

/// Renders bytes as an annotated hex dump: offset, sixteen bytes in hex and as ASCII, and beside
/// each line (or, when they do not all fit in the width, beneath it) the fields that start in it
/// (byte range, name, decoded value, meaning):
///
///     0000  ff 53 4d 42 72 00 00 00  00 18 43 c8 00 00 00 00  .SMBr.....C.....  [0..<4]  header.Protocol  ff534d42
///                                                                               [4..<5]  header.Command   0x72  (NEGOTIATE)
///
/// Long buffers stay readable: where more than ``elideBeyondLines`` lines in a row lie inside
/// one field (a READ_ANDX reply's data) or outside every field, only the first
/// ``keptHeadLines`` and last ``keptTailLines`` of them are shown, with a line saying how many
/// bytes were left out; `full` shows every byte. With colour, each field's bytes and its
/// annotation share a colour. The one renderer of buffers for `show` and `print`.
enum AnnotatedHexDump {
    static let bytesPerLine = 16
    /// Runs up to this many lines (128 bytes) always show whole: a key, a header's words.
    static let elideBeyondLines = 8
    static let keptHeadLines = 3
    static let keptTailLines = 2
    /// Field names longer than this do not widen the name column.
    static let widestNameColumn = 44

    private static let palette = ["\u{1b}[36m", "\u{1b}[33m", "\u{1b}[32m", "\u{1b}[35m", "\u{1b}[34m", "\u{1b}[31m"]
    private static let reset = "\u{1b}[0m"

    /// - Parameters:
    ///   - full: show every byte (no elision).
    ///   - hint: how to see every byte (`'print --all last.sent' shows them`), said on each
    ///     elision line.
    ///   - width: the widest line: annotations that do not fit beside their line go beneath it,
    ///     indented, and are cut to fit.
    ///   - base: the offset printed for the first byte (`x` of a slice shows the buffer's offsets).
    static func render(_ bytes: [UInt8], spans: [FieldSpan], color: Bool, full: Bool = false, hint: String? = nil,
                       width: Int = TextFit.width, base: Int = 0) -> String {
        let lineCount = (bytes.count + bytesPerLine - 1) / bytesPerLine
        guard lineCount > 0 else {
            return (["(no bytes)"] + spans.enumerated().map {
                annotation($0.element, $0.offset, color: color, layout: .init(spans), width: width - 2)
            })
                .joined(separator: "\n")
        }
        let layout = Layout(spans)
        // Each byte's field (for colour); each line's annotations (fields starting in it, those
        // past the end on the last line).
        var colorOf = [Int](repeating: -1, count: bytes.count)
        var annotations = [[Int]](repeating: [], count: lineCount)
        for (index, span) in spans.enumerated() {
            for b in max(0, span.range.lowerBound)..<max(0, min(span.range.upperBound, bytes.count)) { colorOf[b] = index }
            annotations[min(max(0, span.range.lowerBound) / bytesPerLine, lineCount - 1)].append(index)
        }
        for line in annotations.indices {
            annotations[line].sort { (spans[$0].range.lowerBound, $0) < (spans[$1].range.lowerBound, $1) }
        }
        let elided = full ? [] : elidedRuns(bytes.count, spans: spans, annotated: annotations.map { !$0.isEmpty })
        let offsetWidth = max(4, String(base + (lineCount - 1) * bytesPerLine, radix: 16).count)
        let besideColumn = offsetWidth + 2 + 3 * bytesPerLine + 2 + bytesPerLine + 2
        let annotationIndent = String(repeating: " ", count: besideColumn)
        // Beneath a line, annotations start under its first byte.
        let beneathIndent = String(repeating: " ", count: offsetWidth + 2)
        let beneathWidth = width - beneathIndent.count

        // One layout for the whole buffer: beside the bytes when every annotation fits there.
        let beside = spans.allSatisfy {
            besideColumn + plainAnnotation($0, layout: layout).trimmingTrailingBlanks().count <= width
        }
        var out: [String] = []
        var line = 0
        var run = 0
        while line < lineCount {
            if run < elided.count, elided[run].lowerBound == line {
                let lines = elided[run]
                let count = min(lines.upperBound * bytesPerLine, bytes.count) - lines.lowerBound * bytesPerLine
                out.append(String(repeating: " ", count: offsetWidth) + "  … \(count) bytes not shown"
                    + (hint.map { "; \($0)" } ?? ""))
                line = lines.upperBound
                run += 1
                continue
            }
            let start = line * bytesPerLine
            let end = min(start + bytesPerLine, bytes.count)
            var text = hex(base + start, width: offsetWidth) + "  "
            var ascii = ""
            for i in start..<end {
                let cell = Hex.encode([bytes[i]])
                text += color && colorOf[i] >= 0 ? palette[colorOf[i] % palette.count] + cell + reset : cell
                text += i - start == 7 ? "  " : " "
                ascii += (0x20..<0x7f).contains(bytes[i]) ? String(UnicodeScalar(bytes[i])) : "."
            }
            if end - start < bytesPerLine {
                text += String(repeating: "   ", count: bytesPerLine - (end - start)) + (end - start < 8 ? " " : "")
            }
            text += " " + ascii
            let notes = annotations[line]
            if beside {
                for (n, index) in notes.enumerated() {
                    let note = annotation(spans[index], index, color: color, layout: layout, width: width - besideColumn)
                    if n == 0 {
                        out.append(text + String(repeating: " ", count: bytesPerLine - ascii.count + 2) + note)
                    } else {
                        out.append(annotationIndent + note)
                    }
                }
            } else if !notes.isEmpty {
                out.append(text)
                for index in notes {
                    out.append(beneathIndent + annotation(spans[index], index, color: color, layout: layout, width: beneathWidth))
                }
            }
            if notes.isEmpty { out.append(text) }
            line += 1
        }
        return out.map { $0.trimmingTrailingBlanks() }.joined(separator: "\n")
    }

    /// Column widths shared by every annotation of a buffer.
    private struct Layout {
        var rangeWidth: Int
        var nameWidth: Int

        init(_ spans: [FieldSpan]) {
            rangeWidth = spans.map { AnnotatedHexDump.rangeText($0).count }.max() ?? 0
            nameWidth = min(spans.map(\.name.count).max() ?? 0, AnnotatedHexDump.widestNameColumn)
        }
    }

    /// `[4..<5]  header.Command   0x72  (NEGOTIATE)`, cut to `width` columns.
    private static func annotation(_ span: FieldSpan, _ index: Int, color: Bool, layout: Layout, width: Int) -> String {
        let text = TextFit.elide(plainAnnotation(span, layout: layout).trimmingTrailingBlanks(), to: width)
        return color ? palette[index % palette.count] + text + reset : text
    }

    private static func plainAnnotation(_ span: FieldSpan, layout: Layout) -> String {
        var text = rangeText(span).padding(to: layout.rangeWidth) + "  " + span.name.padding(to: layout.nameWidth)
            + "  " + span.value
        if let meaning = span.meaning { text += "  (\(meaning))" }
        return text
    }

    private static func rangeText(_ span: FieldSpan) -> String {
        "[\(span.range.lowerBound)..<\(span.range.upperBound)]"
    }

    /// The line ranges to leave out: inside each run of more than ``elideBeyondLines`` lines that
    /// lie wholly in one field (or in none) and carry no annotation, all but the first
    /// ``keptHeadLines`` and the last ``keptTailLines``.
    private static func elidedRuns(_ count: Int, spans: [FieldSpan], annotated: [Bool]) -> [Range<Int>] {
        let lineCount = annotated.count
        // Per line: how many fields touch it, and the one that does if it covers the line whole.
        var touching = [Int](repeating: 0, count: lineCount)
        var wholeField = [Int](repeating: -1, count: lineCount)
        for (index, span) in spans.enumerated() {
            let lower = max(0, span.range.lowerBound), upper = min(span.range.upperBound, count)
            guard lower < upper else { continue }
            for line in (lower / bytesPerLine)...((upper - 1) / bytesPerLine) {
                touching[line] += 1
                let start = line * bytesPerLine, end = min(start + bytesPerLine, count)
                if lower <= start, upper >= end { wholeField[line] = index }
            }
        }
        // A line's run key: the field covering it whole, -2 for no field, nil when it cannot be left out.
        func key(_ line: Int) -> Int? {
            if annotated[line] { return nil }
            if touching[line] == 0 { return -2 }
            return touching[line] == 1 && wholeField[line] >= 0 ? wholeField[line] : nil
        }
        var runs: [Range<Int>] = []
        var line = 0
        while line < lineCount {
            guard let k = key(line) else {
                line += 1
                continue
            }
            var end = line + 1
            while end < lineCount, key(end) == k { end += 1 }
            if end - line > elideBeyondLines { runs.append((line + keptHeadLines)..<(end - keptTailLines)) }
            line = end
        }
        return runs
    }

    private static func hex(_ value: Int, width: Int) -> String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}

