import Foundation
import Stepper
import TraceRender

extension REPL {
    /// `diff …` typed at the prompt: the words after `diff`, or nil for any other line. Read here
    /// rather than in ``REPLParser`` so the command needs nothing of the parser's grammar.
    static func diffWords(_ line: String) -> [String]? {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard words.first == "diff" else { return nil }
        return Array(words.dropFirst())
    }

    /// Compares two runs, as `cifstep diff` does, on top of this session's scenario; with one
    /// trace file, this run so far (A) against the file (B).
    func diff(_ words: [String]) -> String {
        do {
            let diff: TraceDiff
            if words.count == 1 {
                let path = (words[0] as NSString).expandingTildeInPath
                guard let data = FileManager.default.contents(atPath: path) else {
                    return "diff: no trace file '\(words[0])'\nusage: \(DiffRuns.usage) | diff FILE.json (this run against a saved one)"
                }
                diff = TraceDiff(TraceDocument(session: session), try TraceDocument(decoding: Data(data)),
                                 labels: ("this run", words[0]))
            } else {
                let pair = try DiffRuns.documents(for: words, base: session.scenario)
                diff = TraceDiff(pair.a, pair.b, labels: pair.labels)
            }
            var text = DiffReport.text(diff)
            if text.hasSuffix("\n") { text.removeLast() }
            return text
        } catch let error as CLIError {
            return error.message.hasPrefix("diff") || error.message.hasPrefix("usage") ? error.message : "diff: \(error.message)"
        } catch {
            return "diff: \(error)\nusage: \(DiffRuns.usage) | diff FILE.json (this run against a saved one)"
        }
    }
}
