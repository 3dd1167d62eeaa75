/// Reads the Markdown of a ``Lesson``.
///
/// Line-oriented and forgiving of the prose (any Markdown), strict inside `cifstep` blocks: a
/// directive without its argument, an unclosed block or a file with no title is an error naming
/// its line. Pure: no files, no stepper.
public enum LessonParser {
    /// The largest lesson file read: a lesson is a handout, and a bound keeps a wrong file (a
    /// capture, a binary) from being taken in whole.
    public static let maximumFileSize = 1 << 20
    /// The longest line accepted inside a `cifstep` block: a command or condition, not a payload.
    public static let maximumCommandLength = 4096

    /// The info string of the blocks the stepper runs.
    public static let blockLanguage = "cifstep"

    /// Parses `text`, the contents of `file`.
    /// - Throws: every problem found, in line order (at least one).
    public static func parse(_ text: String, file: String) throws(LessonFormatErrors) -> Lesson {
        guard text.utf8.count <= maximumFileSize else {
            throw LessonFormatErrors([LessonFormatError(
                line: 0, message: "\(text.utf8.count) bytes: a lesson is at most \(maximumFileSize) bytes")])
        }
        var errors: [LessonFormatError] = []
        var title: String?
        var steps: [LessonStep] = []
        var prose: [String] = []
        var actions: [LessonAction] = []
        /// The fence that opened the block we are in (```` ``` ```` or `~~~`, possibly longer),
        /// whether it is a `cifstep` block, and its line.
        var fence: (marker: String, runs: Bool, line: Int)?

        // Split on the byte, not the Character: in Swift "\r\n" is one Character, which
        // splitting on "\n" would not see, so a Windows-edited file would be one long line.
        let newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
        let lines = text.utf8.split(separator: newline, omittingEmptySubsequences: false).map {
            String(decoding: $0.last == carriageReturn ? $0.dropLast() : $0[...], as: UTF8.self)
        }
        for (offset, raw) in lines.enumerated() {
            let number = offset + 1
            let trimmed = raw.trimmingSpaces()
            if let open = fence {
                if trimmed.hasPrefix(open.marker) && trimmed.allSatisfy({ $0 == open.marker.first }) {
                    fence = nil
                    if open.runs {
                        steps.append(LessonStep(prose: prose, actions: actions))
                        prose = []
                        actions = []
                    } else {
                        prose.append(raw)
                    }
                    continue
                }
                if open.runs {
                    do {
                        if let action = try action(trimmed, line: number) { actions.append(action) }
                    } catch {
                        errors.append(error)
                    }
                } else {
                    prose.append(raw)
                }
                continue
            }
            if let marker = fenceMarker(trimmed) {
                let info = trimmed.dropFirst(marker.count).trimmingSpaces()
                let runs = info.split(separator: " ").first.map(String.init) == blockLanguage
                fence = (marker, runs, number)
                if !runs { prose.append(raw) }
                continue
            }
            if title == nil, trimmed.hasPrefix("# ") {
                title = String(trimmed.dropFirst(2)).trimmingSpaces()
            }
            prose.append(raw)
        }
        if let open = fence {
            errors.append(LessonFormatError(line: open.line, message: "this code block is never closed"))
        }
        if !prose.contains(where: { !$0.trimmingSpaces().isEmpty }) { prose = [] }
        if !prose.isEmpty { steps.append(LessonStep(prose: prose, actions: [])) }
        if title == nil {
            errors.insert(LessonFormatError(line: 1, message: "a lesson starts with a title: '# Title'"), at: 0)
        }
        if !steps.contains(where: { !$0.actions.isEmpty }) && errors.isEmpty {
            errors.append(LessonFormatError(line: 0, message: "no ```\(blockLanguage) block: nothing to run"))
        }
        guard errors.isEmpty, let title else { throw LessonFormatErrors(errors) }
        return Lesson(file: file, title: title, steps: steps)
    }

    /// ```` ``` ```` or `~~~` (three or more) opening a fenced block, or `nil`.
    static func fenceMarker(_ line: String) -> String? {
        for symbol in ["`", "~"] {
            let run = line.prefix { String($0) == symbol }
            if run.count >= 3 { return String(run) }
        }
        return nil
    }

    /// One line of a `cifstep` block: a directive, a command, or nothing (blank, comment).
    static func action(_ line: String, line number: Int) throws(LessonFormatError) -> LessonAction? {
        if line.isEmpty || line.hasPrefix("#") { return nil }
        guard line.utf8.count <= maximumCommandLength else {
            throw LessonFormatError(line: number, message: "a line of \(line.utf8.count) bytes: at most \(maximumCommandLength)")
        }
        if let bad = line.unicodeScalars.first(where: { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7F }) {
            throw LessonFormatError(line: number, message: "a control character (U+\(String(bad.value, radix: 16, uppercase: true))) in a command line")
        }
        let word = line.prefix { $0 != " " && $0 != "\t" }
        let rest = line.dropFirst(word.count).trimmingSpaces()
        switch word {
        case "expect":
            guard !rest.isEmpty else { throw LessonFormatError(line: number, message: "expect needs a condition, e.g. 'expect server.sequenceNumber == 4'") }
            return LessonAction(.expect(rest), line: number)
        case "predict":
            guard !rest.isEmpty else { throw LessonFormatError(line: number, message: "predict needs a path, e.g. 'predict server.sequenceNumber = 2'") }
            if let equals = rest.firstIndex(of: "=") {
                let path = rest[..<equals].trimmingSpaces()
                let answer = rest[rest.index(after: equals)...].trimmingSpaces()
                guard !path.isEmpty, !path.contains(" ") else {
                    throw LessonFormatError(line: number, message: "predict PATH = ANSWER: '\(path)' is not a path")
                }
                guard !answer.isEmpty else {
                    throw LessonFormatError(line: number, message: "predict \(path) = …: the answer is missing")
                }
                return LessonAction(.predict(path: path, answer: answer), line: number)
            }
            guard !rest.contains(" ") else {
                throw LessonFormatError(line: number, message: "predict takes one path (and '= ANSWER'), got '\(rest)'")
            }
            return LessonAction(.predict(path: rest, answer: nil), line: number)
        case "hint":
            guard !rest.isEmpty else { throw LessonFormatError(line: number, message: "hint needs its text") }
            return LessonAction(.hint(rest), line: number)
        default:
            return LessonAction(.command(line), line: number)
        }
    }
}

/// Every problem of one lesson file, in line order.
public struct LessonFormatErrors: Error, Equatable, Sendable, CustomStringConvertible {
    public var errors: [LessonFormatError]

    public init(_ errors: [LessonFormatError]) {
        self.errors = errors
    }

    public var description: String { errors.map(\.description).joined(separator: "; ") }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
