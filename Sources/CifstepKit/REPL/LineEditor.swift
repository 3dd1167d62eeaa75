@preconcurrency import CLibEdit
import Stepper
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Reads command lines through libedit: prompt, history in `~/.cifstep_history` and TAB
/// completion on a terminal; plain lines otherwise (no prompt, no history file).
///
/// Ctrl-C at the prompt clears the line (``Input/interrupted``); while a command runs it asks
/// the stepper session to stop (``StepperSession/interrupt()``) — see ``Interrupts``. Ctrl-D
/// on an empty line ends the input.
final class LineEditor {
    /// What one read gave.
    enum Input: Equatable {
        case line(String)
        /// Ctrl-C at the prompt: the half-typed line is dropped.
        case interrupted
        case end
    }

    /// Whether stdin and stdout are both terminals.
    let interactive: Bool
    private let historyPath: String?

    /// - Parameters:
    ///   - complete: what TAB offers for the word being typed, given the line up to that word
    ///     and the word so far.
    ///   - historyFile: file name under `$HOME`; nil keeps no history on disk.
    init(complete: @escaping (_ before: String, _ word: String) -> [String], historyFile: String? = ".cifstep_history") {
        interactive = isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1
        if interactive, let name = historyFile, let home = getenv("HOME") {
            historyPath = String(cString: home) + "/" + name
        } else {
            historyPath = nil
        }
        completionProvider = complete
        guard interactive else { return }
        rl_readline_name = UnsafePointer(strdup("cifstep"))
        rl_attempted_completion_function = completeLine
        // Words end at blanks only: paths (page[3].locked), `$12` and `x/8xb` are one word.
        rl_completer_word_break_characters = strdup(" \t")
        if let path = historyPath {
            using_history()
            _ = read_history(path)
        }
    }

    /// The next line without its newline, Ctrl-C, or the end of input.
    func read(prompt: String) -> Input {
        guard interactive else {
            // No prompt: the REPL echoes each command after it, so a transcript shows what ran.
            guard let line = Swift.readLine(strippingNewline: true) else { return .end }
            return .line(line)
        }
        Interrupts.atPrompt.store(false, ordering: .relaxed)
        Interrupts.install()
        guard let raw = readline(prompt) else {
            if Interrupts.atPrompt.exchange(false, ordering: .relaxed) {
                print("^C")
                return .interrupted
            }
            print("")
            return .end
        }
        defer { free(raw) }
        let line = String(cString: raw)
        if let path = historyPath, !line.trimmingCharacters(in: " \t").isEmpty {
            _ = add_history(raw)
            _ = write_history(path)
        }
        return .line(line)
    }
}

/// SIGINT for the REPL: at the prompt it ends the `readline` call (the line is dropped); while a
/// command runs it asks the session to stop between two events. The handler only stores to
/// atomics, which is safe in a signal handler, whichever thread it lands on.
enum Interrupts {
    /// Set by a SIGINT; the prompt reads and clears it.
    static let atPrompt = Atomic<Bool>(false)

    /// The session a SIGINT interrupts (set once, before the handler is installed).
    nonisolated(unsafe) static var target: Unmanaged<StepperInterruption>?

    /// Installs the handler, without SA_RESTART so that a blocked `read` returns, and unblocks
    /// SIGINT on this thread. Called before every prompt and every command: libedit swaps in
    /// handlers of its own while it reads a line, and a SIGINT that lands while it does must not
    /// leave the REPL without ours.
    static func install() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = onInterrupt
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
        // A signal libedit handled can leave this thread's mask blocking it (seen after a SIGINT
        // that landed while readline was returning): unblock what ends or interrupts the REPL.
        var set = sigset_t()
        sigemptyset(&set)
        for signal in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, signal) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    private static let onInterrupt: @convention(c) (Int32) -> Void = { _ in
        Interrupts.atPrompt.store(true, ordering: .relaxed)
        Interrupts.target?.takeUnretainedValue().request()
    }
}

// libedit calls back through C function pointers, which cannot capture context: the provider
// lives in a global. Only the REPL's thread touches it.
nonisolated(unsafe) private var completionProvider: ((String, String) -> [String])?
nonisolated(unsafe) private var completionMatches: [String] = []

private let completeLine: @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = { text, start, _ in
    rl_attempted_completion_over = 1
    guard let text, let provider = completionProvider else { return nil }
    let word = String(cString: text)
    var before = ""
    if let buffer = rl_line_buffer {
        let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self),
                                              count: Int(strlen(buffer))))
        before = String(decoding: bytes.prefix(Int(start)), as: UTF8.self)
    }
    completionMatches = provider(before, word)
    // Paths and names that go on (server., page[) should not get a blank after them.
    rl_completion_append_character = completionMatches.count == 1
        && (completionMatches[0].hasSuffix(".") || completionMatches[0].hasSuffix("[")) ? 0 : 32
    guard !completionMatches.isEmpty else { return nil }
    return rl_completion_matches(text, nextMatch)
}

private let nextMatch: @convention(c) (UnsafePointer<CChar>?, Int32) -> UnsafeMutablePointer<CChar>? = { _, state in
    let index = Int(state)
    guard index < completionMatches.count else { return nil }
    return strdup(completionMatches[index])
}

