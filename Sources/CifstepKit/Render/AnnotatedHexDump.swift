import SMBWire

/// Renders bytes as a hex dump followed by the decoder's field spans, one per line:
///
///     0000  ff 53 4d 42 72 00 00 00  00 18 43 c8 00 00 00 00  .SMBr.....C.....
///     [0..<4]    header.Protocol     ff534d42
///     [4..<5]    header.Command      0x72 (NEGOTIATE)
///
/// With colour, each field's bytes and its line share a colour, so a reader can match them.
enum AnnotatedHexDump {
    private static let palette = ["\u{1b}[36m", "\u{1b}[33m", "\u{1b}[32m", "\u{1b}[35m", "\u{1b}[34m", "\u{1b}[31m"]
    private static let reset = "\u{1b}[0m"

    static func render(_ bytes: [UInt8], spans: [FieldSpan], color: Bool, maxBytes: Int = 512) -> String {
        var colorOf = [Int](repeating: -1, count: min(bytes.count, maxBytes))
        for (i, span) in spans.enumerated() {
            for b in span.range where b >= 0 && b < colorOf.count { colorOf[b] = i % palette.count }
        }
        var lines: [String] = []
        var offset = 0
        while offset < colorOf.count {
            let end = min(offset + 16, colorOf.count)
            var hexPart = hex4(offset) + "  "
            var ascii = ""
            for i in offset..<end {
                let b = bytes[i]
                let cell = Hex.encode([b])
                hexPart += color && colorOf[i] >= 0 ? palette[colorOf[i]] + cell + reset : cell
                hexPart += i - offset == 7 ? "  " : " "
                ascii += (0x20..<0x7f).contains(b) ? String(UnicodeScalar(b)) : "."
            }
            if end - offset < 16 {
                let missing = 16 - (end - offset)
                hexPart += String(repeating: "   ", count: missing) + (end - offset <= 8 ? " " : "")
            }
            lines.append(hexPart + " " + ascii)
            offset = end
        }
        if bytes.count > maxBytes { lines.append("… \(bytes.count - maxBytes) more bytes") }
        let width = min(spans.map { $0.name.count }.max() ?? 0, 44)
        for (i, span) in spans.enumerated() {
            let range = "[\(span.range.lowerBound)..<\(span.range.upperBound)]"
            var line = range.padding(to: 12) + " " + span.name.padding(to: width) + "  " + span.value
            if let meaning = span.meaning { line += "  (\(meaning))" }
            lines.append(color ? palette[i % palette.count] + line + reset : line)
        }
        return lines.joined(separator: "\n")
    }

    private static func hex4(_ v: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
