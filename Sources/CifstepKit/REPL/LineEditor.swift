@preconcurrency import CLibEdit
#if canImport(Glibc)
import Glibc
#endif

/// Reads command lines through libedit: prompt, history and tab completion on a terminal,
/// plain lines (no prompt, no history file, echoed for transcripts) otherwise.
final class LineEditor {
    /// Whether stdin and stdout are both terminals.
    let interactive: Bool
    private let historyPath: String?

    /// - Parameters:
    ///   - words: what tab completion offers for the first word of a line.
    ///   - historyFile: file name under `$HOME`; nil keeps no history on disk.
    init(words: [String], historyFile: String? = ".cifstep_history") {
        interactive = isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1
        if interactive, let name = historyFile, let home = getenv("HOME") {
            historyPath = String(cString: home) + "/" + name
        } else {
            historyPath = nil
        }
        completionWords = words.sorted()
        rl_readline_name = UnsafePointer(strdup("cifstep"))
        rl_attempted_completion_function = completeLine
        if let path = historyPath {
            using_history()
            _ = read_history(path)
        }
    }

    /// The next line without its newline, or nil at end of input.
    func readLine(prompt: String) -> String? {
        guard interactive else {
            guard let line = Swift.readLine(strippingNewline: true) else { return nil }
            print(prompt + line)   // echo so a transcript shows what ran
            return line
        }
        guard let raw = readline(prompt) else { return nil }
        defer { free(raw) }
        let line = String(cString: raw)
        if let path = historyPath, !line.trimmingCharacters(in: " \t").isEmpty {
            _ = add_history(raw)
            _ = write_history(path)
        }
        return line
    }
}

// libedit calls back through C function pointers, which cannot capture context: the word
// list lives in a global. Only the REPL's single thread touches it.
nonisolated(unsafe) private var completionWords: [String] = []
nonisolated(unsafe) private var completionMatches: [String] = []

private let completeLine: @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = { text, start, _ in
    rl_attempted_completion_over = 1
    guard start == 0, let text else { return nil }
    let prefix = String(cString: text)
    completionMatches = completionWords.filter { $0.hasPrefix(prefix) }
    return rl_completion_matches(text, nextMatch)
}

private let nextMatch: @convention(c) (UnsafePointer<CChar>?, Int32) -> UnsafeMutablePointer<CChar>? = { _, state in
    let index = Int(state)
    guard index < completionMatches.count else { return nil }
    return strdup(completionMatches[index])
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s = s.dropFirst() }
        while let l = s.last, chars.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
