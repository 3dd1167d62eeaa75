/// Keeps REPL output within a projector's width: long lines wrap (at a blank where there is
/// one) with the continuation indented, colour codes do not count, and control characters that
/// are not our own colour codes are shown escaped.
enum TextFit {
    /// The widest line the REPL prints: a projector's 100 columns.
    static let width = 100
    /// Continuation lines of a wrapped line start this far in.
    static let continuationIndent = 4

    /// `text` with control characters (other than newline) escaped: `\t`, `\x1b`, `\x7f`.
    static func escapingControls(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            out += escape(scalar) ?? String(scalar)
        }
        return out
    }

    private static func escape(_ scalar: Unicode.Scalar) -> String? {
        switch scalar.value {
        case 0x09: return "\\t"
        case 0x0d: return "\\r"
        case 0x00..<0x20, 0x7f, 0x80..<0xa0:
            let hex = String(scalar.value, radix: 16)
            return "\\x" + (hex.count < 2 ? "0" + hex : hex)
        default: return nil
        }
    }

    /// The columns `line` takes on a terminal: colour sequences take none.
    static func visibleWidth(_ line: String) -> Int {
        var count = 0
        var inEscape = false
        for scalar in line.unicodeScalars {
            if inEscape {
                if scalar == "m" { inEscape = false }
                continue
            }
            if scalar == "\u{1b}" {
                inEscape = true
                continue
            }
            count += 1
        }
        return count
    }

    /// `text` (any number of lines) with every line at most `width` columns: control
    /// characters escaped except our own `ESC [ … m` colour codes, long lines wrapped.
    static func fit(_ text: String, width: Int = TextFit.width) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .flatMap { wrap(clean(String($0)), width: width) }
            .joined(separator: "\n")
    }

    /// Escapes controls, keeping colour sequences (`ESC [ digits;… m`) whole.
    static func clean(_ line: String) -> String {
        let scalars = Array(line.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            let scalar = scalars[i]
            if scalar == "\u{1b}", i + 1 < scalars.count, scalars[i + 1] == "[" {
                var j = i + 2
                while j < scalars.count, (scalars[j].value >= 0x30 && scalars[j].value <= 0x39) || scalars[j] == ";" { j += 1 }
                if j < scalars.count, scalars[j] == "m" {
                    out.append(contentsOf: scalars[i...j])
                    i = j + 1
                    continue
                }
            }
            if let escaped = escape(scalar) { out.append(contentsOf: escaped.unicodeScalars) } else { out.append(scalar) }
            i += 1
        }
        return String(out)
    }

    /// One line as lines of at most `width` columns, breaking after the last blank that fits
    /// (or mid-word when a word is longer than a line): a path or a hex string stays whole,
    /// so it can be copied.
    static func wrap(_ line: String, width: Int) -> [String] {
        guard visibleWidth(line) > width else { return [line] }
        let indent = String(repeating: " ", count: min(continuationIndent, width / 4))
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        var columns = 0
        var lastBlank: (index: String.UnicodeScalarView.Index, columns: Int)?
        var inEscape = false
        let limit = { lines.isEmpty ? width : width - indent.count }
        for scalar in line.unicodeScalars {
            if inEscape || scalar == "\u{1b}" {
                current.append(scalar)
                inEscape = scalar != "m"
                continue
            }
            if columns == limit() {
                var rest = String.UnicodeScalarView()
                if scalar != " ", let blank = lastBlank, blank.columns > 0 {
                    rest.append(contentsOf: current[current.index(after: blank.index)...])
                    current.removeSubrange(blank.index...)
                }
                lines.append((lines.isEmpty ? "" : indent) + String(current))
                current = rest
                columns = visibleWidth(String(rest))
                lastBlank = nil
                if scalar == " " && rest.isEmpty { continue }
            }
            if scalar == " " { lastBlank = (current.endIndex, columns) }
            current.append(scalar)
            columns += 1
        }
        if !current.isEmpty { lines.append((lines.isEmpty ? "" : indent) + String(current)) }
        return lines.map { $0.trimmingTrailingBlanks() }
    }

    /// `text` cut to `width` columns with `…` at the end when it was longer (plain text only).
    static func elide(_ text: String, to width: Int) -> String {
        guard text.count > width, width > 1 else { return text }
        return String(text.prefix(width - 1)) + "…"
    }
}
