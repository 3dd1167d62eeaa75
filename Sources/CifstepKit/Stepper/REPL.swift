import Foundation
import KernelRuntime
import Stepper
import TraceRender

/// The interactive stepper: reads lines, turns them into stepper commands (``REPLParser``),
/// runs them on a ``StepperSession`` and renders what comes back (``REPLRenderer``), every line
/// within ``TextFit/width`` columns. It holds no stepping logic of its own.
///
/// As a script (``run(editor:script:)`` with `script`, or lines piped on stdin) it stops at the
/// first error with a non-zero status — see ``ScriptStatus``.
final class REPL {
    /// How many events `continue`, `next`, `finish` and `goto` show at most.
    static let shownEvents = 20
    /// Lines of source `list` shows at a time.
    static let listedLines = 20

    /// Exit statuses of a script, one per kind of error.
    enum ScriptStatus {
        /// An `expect` whose condition does not hold.
        static let expectFailed: Int32 = 1
        /// An unknown command, malformed arguments, or a command the stepper refused.
        static let badCommand: Int32 = 2
        /// The run stopped on an error no `inject`/`--fault` asked for.
        static let runFailed: Int32 = 3
    }

    /// What one line did.
    enum Outcome: Equatable {
        case ok
        case quit
        /// The line failed: in a script, stop with this status.
        case failed(Int32)
    }

    let session: StepperSession
    private let renderer: REPLRenderer
    /// Writes one line (fitted to the width); lessons write through it too.
    let out: (String) -> Void
    /// Output as is: a script's echoed commands are not wrapped, so a transcript shows them whole.
    private let echo: (String) -> Void
    /// Long `show`/`x`/`print` output pages through this (a terminal only).
    var pager: Pager?
    /// What Enter on an empty line runs again (gdb repeats step, next, x and list).
    private var repeatable: REPLLine?
    /// Where the last `list` stopped: the function and the next line to show.
    private var listing: (function: String, next: Int)?
    /// The lesson being followed (`lesson start`).
    var lessonRunner: LessonRunner?
    /// The last line written, for a lesson's report of a failed command.
    let lastOutput = OutputMemory()

    convenience init(scenario: Scenario, color: Bool, width: Int = TextFit.width,
                     output: @escaping (String) -> Void = { print($0) }) {
        self.init(session: StepperSession(scenario: scenario), color: color, width: width, output: output)
    }

    init(session: StepperSession, color: Bool, width: Int = TextFit.width, output: @escaping (String) -> Void = { print($0) }) {
        self.session = session
        renderer = REPLRenderer(color: color, width: width)
        out = { [lastOutput] text in
            let fitted = TextFit.fit(text, width: width)
            lastOutput.line = fitted
            output(fitted)
        }
        echo = { output(TextFit.escapingControls($0)) }
    }

    /// Reads commands until `quit` or the end of input; returns the exit status. With `script`
    /// (the lines of a `--batch` file) or without a terminal, each command is echoed after the
    /// prompt and the first error ends the run with its ``ScriptStatus``.
    func run(editor: LineEditor, script: [String]? = nil) -> Int32 {
        out(banner())
        let batch = script != nil || !editor.interactive
        var remaining = script.map { $0[...] }
        defer { session.close() }
        if !batch { Interrupts.target = Unmanaged.passUnretained(session.interruption) }
        while true {
            let input: LineEditor.Input
            if remaining != nil {
                guard let next = remaining?.popFirst() else { break }
                input = .line(next)
            } else {
                input = editor.read(prompt: prompt())
            }
            switch input {
            case .end:
                return 0
            case .interrupted:
                continue
            case let .line(line):
                // Scripts: blank lines and `#` comments do nothing (and repeat nothing).
                let trimmed = line.trimmingCharacters(in: " \t")
                if batch, trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                if batch { echo(prompt() + line) } else { Interrupts.install() }
                switch handle(line) {
                case .ok: break
                case .quit: return 0
                case let .failed(status): if batch { return status }
                }
            }
        }
        return 0
    }

    /// The welcome: what runs (server, user, share, file) and how to begin.
    func banner() -> String {
        var lines = [
            "cifstep: the Linux 3.8 cifs client, one kernel tracepoint at a time.",
            renderer.flow(session.scenario),
            session.serverLink.map { link in
                link.isLive
                    ? "The client core talks to the real server \(link.server) over TCP;\n"
                        + "what it sends is logged, so going back replays without it."
                    : "The client core replays a recording of \(link.server): no network."
            } ?? "The client core talks to the in-process server over an in-memory pipe.",
            "Begin with 'lesson list', 'step' (s), 'break cifs_sign_smb' (b) then 'continue' (c), or 'help'.",
        ]
        if case let .couldNotStart(reason)? = session.outcome { lines.append("The run could not start: \(reason)") }
        return lines.joined(separator: "\n")
    }

    /// `(cifsd cifs_readv_receive) cifstep[12]> `: the current thread and its function, then
    /// the event number.
    func prompt() -> String {
        let position = session.position
        guard position > 0 else { return "cifstep[0]> " }
        var context = ""
        if case let .success(result) = session.execute(.threads), case let .threads(infos) = result.report,
           let current = infos.first(where: \.isCurrent) {
            let function = current.frame?.function ?? session.events.last?.function ?? ""
            context = "(\(current.thread.name) \(TextFit.elide(function, to: 40))) "
        }
        return "\(context)cifstep[\(position)]> "
    }

    /// Runs one command line.
    @discardableResult
    func handle(_ line: String) -> Outcome {
        // `diff …` runs two scenarios or reads two traces: the render layer aligns them.
        if let words = REPL.diffWords(line) {
            out(diff(words))
            return .ok
        }
        // A lesson waiting for a prediction takes the line as the answer (commands still work).
        if let runner = lessonRunner, runner.pendingPrediction != nil, !Self.isCommand(line) {
            runner.answer(line, out: out)
            return .ok
        }
        var parsed = REPLParser.parse(line)
        if parsed == .nothing, let again = repeatable {
            parsed = again
        }
        repeatable = nil
        return perform(parsed, line: line)
    }

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    private func perform(_ parsed: REPLLine, line: String) -> Outcome {
        switch parsed {
        case .quit:
            return .quit
        case .nothing:
            return .ok
        case let .help(topic):
            return help(topic)
        case let .apropos(word):
            apropos(word)
        case let .usage(message):
            out(message)
            return .failed(ScriptStatus.badCommand)
        case let .lesson(words):
            return lesson(words)
        case let .reserved(name):
            out("'\(name)' comes in a later version of cifstep")
            return .failed(ScriptStatus.badCommand)
        case let .show(n, full):
            let events = session.events
            let number = n ?? events.count
            guard number >= 1, number <= events.count else {
                out(events.isEmpty ? "no events yet ('step' runs the first)" : "no event \(number) yet (1...\(events.count))")
                return .failed(ScriptStatus.badCommand)
            }
            page(renderer.detail(events[number - 1], full: full).split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
        case let .print(path, full):
            switch session.execute(.print(path: path)) {
            case let .success(result): page(renderer.report(result.report, full: full))
            case let .failure(error): return failed(error, line)
            }
        case let .examine(x):
            switch session.execute(.examine(target: x.target)) {
            case let .success(result):
                guard case let .bytes(path, value) = result.report else { break }
                page(renderer.examine(x, path: path, value: value))
                var next = x
                next.offset += x.count
                if next.offset < value.buffer.bytes.count { repeatable = .examine(next) }
            case let .failure(error): return failed(error, line)
            }
        case let .events(filter, count):
            events(filter: filter, count: count)
        case let .list(function, more):
            return list(function, more: more)
        case .scenario:
            for setting in session.scenario.settings { out(renderer.setting(setting)) }
        case let .expect(condition):
            switch session.execute(.evaluate(condition: condition)) {
            case let .success(result):
                for text in renderer.report(result.report) { out(text) }
                if case .condition(holds: false, _) = result.report {
                    out("expect failed: \(TextFit.escapingControls(condition))")
                    return .failed(ScriptStatus.expectFailed)
                }
            case let .failure(error): return failed(error, line)
            }
        case let .export(path, force):
            let (message, ok) = export(to: path, force: force)
            out(message)
            if !ok { return .failed(ScriptStatus.badCommand) }
        case let .commands(commands):
            for command in commands {
                switch session.execute(command) {
                case let .success(result): for text in renderer.report(result.report) { out(text) }
                case let .failure(error): return failed(error, line)
                }
            }
        case let .repeated(command, times):
            var all: [TraceEvent] = []
            var last: CommandResult?
            for _ in 0..<times {
                switch session.execute(command) {
                case let .success(result):
                    all += result.events
                    last = result
                case let .failure(error): return failed(error, line)
                }
                if last?.stop != .done { break }
            }
            if var result = last {
                result.events = all
                show(result, for: command)
                repeatable = parsed
                return runOutcome(result)
            }
        case let .command(command):
            switch session.execute(command) {
            case let .success(result):
                show(result, for: command)
                if case .step = command { repeatable = parsed }
                if case .next = command { repeatable = parsed }
                return runOutcome(result)
            case let .failure(error):
                return failed(error, line)
            }
        }
        return .ok
    }

    private func failed(_ error: StepperError, _ line: String) -> Outcome {
        out(renderer.error(error, line: line))
        return .failed(ScriptStatus.badCommand)
    }

    /// A move that ended the run on an error nobody injected fails a script.
    private func runOutcome(_ result: CommandResult) -> Outcome {
        guard case let .end(outcome)? = result.stop, session.faults.isEmpty else { return .ok }
        switch outcome {
        case .completed: return .ok
        case .programFailed, .runtimeFailed, .couldNotStart: return .failed(ScriptStatus.runFailed)
        }
    }

    /// Shows `lines`, a page at a time on a terminal.
    private func page(_ lines: [String]) {
        if let pager {
            pager.show(lines.flatMap { TextFit.fit($0, width: renderer.width).split(separator: "\n").map(String.init) },
                       write: { print($0) })
        } else {
            for text in lines { out(text) }
        }
    }

    // MARK: Help

    private func help(_ topic: String?) -> Outcome {
        guard let topic else {
            for group in REPLCommandSpec.Group.allCases {
                out(group.rawValue + ":")
                for spec in REPLCommandSpec.all where spec.group == group && !spec.reserved { out(spec.helpLine) }
            }
            out("A unique prefix of a command works too (cont, wa). Enter repeats step, next, x and list.")
            out("TAB completes commands, function names, state paths, settings and faults. 'help break' says more.")
            for line in REPLParser.pathHelp { out(line) }
            return .ok
        }
        if topic == "paths" || topic == "state" {
            for line in REPLParser.pathHelp { out(line) }
            return .ok
        }
        switch REPLParser.resolve(topic) {
        case let .success(spec):
            out("usage: " + spec.usage + (spec.aliases.isEmpty ? "" : "   (also: " + spec.aliases.joined(separator: ", ") + ")"))
            out("  " + spec.summary)
            for detail in spec.details { out("  " + detail) }
            if spec.name == "info" {
                for topic in REPLCommandSpec.infoTopics { out("  info " + topic.name.padding(to: 12) + "  " + topic.summary) }
            }
            return .ok
        case let .failure(failure):
            out(failure.message)
            return .failed(ScriptStatus.badCommand)
        }
    }

    private func apropos(_ word: String) {
        let needle = word.lowercased()
        var found = false
        for spec in REPLCommandSpec.all where !spec.reserved {
            let text = ([spec.name, spec.summary] + spec.aliases + spec.details).joined(separator: " ").lowercased()
            guard text.contains(needle) else { continue }
            out("  " + spec.usage.padding(to: 28) + " " + spec.summary)
            found = true
        }
        let functions = session.catalogue.entries.filter {
            ($0.function + " " + ($0.kernelName ?? "") + " " + $0.summary).lowercased().contains(needle)
        }
        if !functions.isEmpty {
            out("Traced functions:")
            for entry in functions { out(TextFit.elide("  " + entry.function.padding(to: 30) + " " + entry.summary, to: renderer.width)) }
            found = true
        }
        if !found { out("nothing mentions '\(TextFit.escapingControls(word))'") }
    }

    // MARK: Events and sources

    private func events(filter: String?, count: Int) {
        let all = session.events
        guard let filter else {
            for event in all.suffix(count) { out(renderer.line(event)) }
            if all.isEmpty { out("no events yet ('step' runs the first)") }
            return
        }
        let matching = all.filter { event in
            event.function.contains(filter) || event.threadName == filter || event.phase.rawValue == filter
        }
        if matching.isEmpty { out("no event of a function, thread or phase '\(TextFit.escapingControls(filter))' so far") }
        if matching.count > count { out("  (\(matching.count - count) earlier matching events not shown; 'events \(filter) N' shows more)") }
        for event in matching.suffix(count) { out(renderer.line(event)) }
    }

    private func list(_ requested: String?, more: Bool) -> Outcome {
        var name = requested
        if more, let listing { name = listing.function }
        if name == nil {
            if case let .success(result) = session.execute(.threads), case let .threads(infos) = result.report,
               let current = infos.first(where: \.isCurrent) {
                name = current.frame?.function
            }
            name = name ?? session.events.last?.function
        }
        guard let function = name else {
            out("no current function yet: 'step' first, or 'list FUNCTION'")
            return .failed(ScriptStatus.badCommand)
        }
        guard let source = FunctionSource.of(function, in: session.catalogue) else {
            if session.catalogue.entry(function) == nil && !session.catalogue.entries.contains(where: { $0.kernelName == function }) {
                let closest = session.catalogue.closestFunctions(to: function).prefix(3)
                out("no traced function '\(TextFit.escapingControls(function))'"
                    + (closest.isEmpty ? "" : "; closest: " + closest.joined(separator: ", ")))
                return .failed(ScriptStatus.badCommand)
            }
            out("the source of \(function) is not available in this build")
            return .ok
        }
        let start: Int
        if more, let listing, listing.function == source.function {
            start = listing.next
        } else {
            start = max(source.firstLine, min(source.markedLine - REPL.listedLines / 3,
                                              source.firstLine + source.lines.count - REPL.listedLines))
        }
        let entry = session.catalogue.entry(source.function)
        for text in renderer.source(source, entry: entry, from: start, count: REPL.listedLines, header: !more) { out(text) }
        let next = start + REPL.listedLines
        listing = (source.function, next)
        if next < source.firstLine + source.lines.count { repeatable = .list(function: source.function, more: true) }
        return .ok
    }

    // MARK: Export

    /// Writes the run so far — scenario, decisions, events — as `cifstep trace` would, and says
    /// what was written or why not.
    func export(to path: String, force: Bool) -> (String, Bool) {
        let target = (path as NSString).expandingTildeInPath
        guard let format = ExportFormat(path: target) else {
            return ("export: the extension names the format: one of \(ExportFormat.extensionList)", false)
        }
        if !force, FileManager.default.fileExists(atPath: target) {
            return ("export: \(path) exists; 'export --force \(path)' replaces it", false)
        }
        let document = TraceDocument(session: session)
        do {
            let size = try TraceFile.write(document, as: format, to: try OutputFile(path: target, overwrite: force))
            return ("wrote \(document.events.count) events and \(document.decisions?.count ?? 0) decisions to \(path) "
                + "(\(format.summary), \(size) bytes)", true)
        } catch {
            return ("export: \(error)", false)
        }
    }

    // MARK: Results

    private func show(_ result: CommandResult, for command: Command) {
        switch command {
        case .step, .stepThread:
            for event in result.events { out(renderer.line(event)) }
        case .reverseStep, .reverseContinue, .goto:
            if result.events.isEmpty {
                if let last = session.events.last, result.stop != .start { out(renderer.line(last)) }
            } else {
                showTail(result.events)
            }
        case .reset:
            out(banner())
        default:
            showTail(result.events)
        }
        if let stop = result.stop, let text = renderer.stop(stop, session: session) { out(text) }
        for text in renderer.report(result.report) { out(text) }
    }

    private func showTail(_ events: [TraceEvent]) {
        let shown = events.suffix(REPL.shownEvents)
        if events.count > shown.count {
            out("  (\(events.count - shown.count) earlier events not shown; 'events N' shows more)")
        }
        for event in shown { out(renderer.line(event)) }
    }

    // MARK: Completion

    /// What TAB offers for `word`, the line before it being `before`.
    func completions(before: String, word: String) -> [String] {
        let words = before.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        func matching(_ candidates: [String]) -> [String] {
            var seen: Set<String> = []
            return candidates.filter { $0.hasPrefix(word) && seen.insert($0).inserted }.sorted()
        }
        guard let first = words.first else { return matching(REPLParser.names) }
        let name = String(first.prefix { $0 != "/" })
        guard case let .success(spec) = REPLParser.resolve(name) else { return [] }
        let position = words.count
        switch spec.completion {
        case .none:
            return spec.name == "step" && position == 1 ? matching(["thread"]) : []
        case .commands:
            return position == 1 ? matching(REPLParser.names) : []
        case .functions:
            if spec.name == "break" || spec.name == "tbreak" || spec.name == "delete" || spec.name == "list" || spec.name == "events" {
                guard position == 1 else { return position >= 2 && words.count == 2 ? matching(["if"]) : [] }
            }
            return matching(functionNames)
        case .paths:
            // `x` and `why` also take the name of a recorded buffer (`signature`).
            let buffers = spec.name == "x" || spec.name == "why" ? recentBufferNames : []
            return matching(statePaths(under: word) + buffers)
        case .faults:
            return position == 1 ? matching(StepperFault.names) : []
        case .settings:
            if position == 1 { return matching(REPLCommandSpec.settings.map(\.name)) }
            if position == 2, let setting = REPLCommandSpec.settings.first(where: { $0.name == words[1] }) {
                return matching(setting.values)
            }
            return []
        case .infoTopics:
            if position == 1 { return matching(REPLCommandSpec.infoTopics.map(\.name)) }
            if position == 2, words[1] == "functions" || words[1] == "fun" { return matching(functionNames) }
            if position == 2, words[1].hasPrefix("st") { return matching(statePaths(under: word)) }
            return []
        case .lessons:
            if position == 1 { return matching(["list", "start", "next", "hint", "stop"]) }
            if position == 2, words[1] == "start" { return matching(EmbeddedLesson.all.map(\.name)) }
            return []
        }
    }

    private var functionNames: [String] {
        session.catalogue.entries.map(\.function) + session.catalogue.entries.compactMap(\.kernelName)
    }

    /// How far back TAB looks for buffer names: enough for the login and a few reads.
    static let bufferNameLookback = 5_000

    /// The one-word names of the buffers recorded in the last events (`signature`, `reply`).
    private var recentBufferNames: [String] {
        session.events.suffix(REPL.bufferNameLookback).flatMap { $0.buffers.map(\.name) }.filter { !$0.contains(" ") }
    }

    /// Every pattern that needs no index, and every path under `prefix` that has a value now (a
    /// 256 MiB read has 65,536 pages: asking for the prefix typed keeps TAB quick).
    private func statePaths(under prefix: String) -> [String] {
        var paths = session.paths.patterns.map(\.pattern).filter { !$0.contains("[N]") }
        if case let .success(result) = session.execute(.infoState(prefix: prefix.isEmpty ? nil : prefix)),
           case let .values(entries) = result.report {
            paths += entries.map(\.path)
        }
        return paths
    }
}

extension REPLParser {
    /// What `help` says about state paths after the commands (`info state` lists them all).
    static let pathHelp: [String] = [
        "State paths (print, watch, check, break … if; 'info state' lists every one):",
        "  server.*  ses.*  tcon.*  file.*  inode.i_size  mapping.nrpages  ra.*  cifsiod.pending",
        "  ses.authKey (freed by cifs_setup_session)  server.sessionKey  server.sequenceNumber",
        "  mid[N].state  mid[N].sequenceNumber (a freed mid says when it went)  page[N].flags",
        "  rdata[K].state/offset/bytesAsked/bytes/firstPage/pageCount/mid/result (K from 0)",
        "  threads (threads[N].name/state/waitsOn/function)  last.sent  last.received",
        "  mid: the current event's MID, e.g. break cifs_readv_callback if mid == 5",
        "'print rdata[0]' or 'print threads' shows every field; bytes show as annotated hex dumps.",
    ]
}

/// A `--batch` file's commands.
enum REPLScript {
    static func lines(_ path: String) throws -> [String] {
        let text: String
        do {
            text = try String(contentsOfFile: (path as NSString).expandingTildeInPath, encoding: .utf8)
        } catch {
            throw CLIError.usage("--batch: cannot read \(path): \(error.localizedDescription)")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }
}
