import Foundation
import LessonFormat

/// A lesson's Markdown as built into the binary (scripts/embed-lessons), or read from a file.
struct EmbeddedLesson: Equatable {
    /// `Lessons/04-bad-signature.md`, or the path given.
    var file: String
    var text: String

    /// `04-bad-signature`.
    var name: String { ((file as NSString).lastPathComponent as NSString).deletingPathExtension }
    /// `4`, from the file name's leading digits.
    var number: Int? { Int(name.prefix { $0.isNumber }) }

    /// The lesson `query` names: a number (`4`, `04`), a name (`04-bad-signature`), a unique part
    /// of one (`bad-sig`), or a Markdown file's path.
    static func find(_ query: String, in lessons: [EmbeddedLesson] = all) throws(LessonLookupError) -> EmbeddedLesson {
        if query.hasSuffix(".md") {
            guard let data = FileManager.default.contents(atPath: (query as NSString).expandingTildeInPath) else {
                throw LessonLookupError(message: "cannot read \(query)")
            }
            guard let text = String(data: data, encoding: .utf8) else { throw LessonLookupError(message: "\(query) is not UTF-8 text") }
            return EmbeddedLesson(file: query, text: text)
        }
        if let number = Int(query), let lesson = lessons.first(where: { $0.number == number }) { return lesson }
        if let lesson = lessons.first(where: { $0.name == query }) { return lesson }
        let matches = lessons.filter { $0.name.contains(query.lowercased()) }
        if matches.count == 1 { return matches[0] }
        let names = (matches.isEmpty ? lessons : matches).map(\.name).joined(separator: ", ")
        throw LessonLookupError(message: matches.isEmpty ? "no lesson '\(query)' (lessons: \(names))"
                                                          : "'\(query)' could be \(names)")
    }

    /// Parsed; the format's errors become problems at their lines.
    func parsed() throws(LessonProblems) -> Lesson {
        do {
            return try LessonParser.parse(text, file: file)
        } catch {
            throw LessonProblems(problems: error.errors.map { LessonProblem(file: file, line: $0.line, message: $0.message) })
        }
    }
}

/// Problems that keep a lesson from running.
struct LessonProblems: Error, Equatable {
    var problems: [LessonProblem]
}

/// Why no lesson was found.
struct LessonLookupError: Error, Equatable, CustomStringConvertible {
    var message: String
    var description: String { message }
}
