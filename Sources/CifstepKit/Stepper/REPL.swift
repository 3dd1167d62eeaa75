import Foundation
import KernelRuntime
import Stepper
import TraceRender

/// The interactive stepper: reads lines, turns them into stepper commands (``REPLParser``),
/// runs them on a ``StepperSession`` and renders what comes back (``REPLRenderer``). It holds
/// no stepping logic of its own.
final class REPL {
    /// How many events `continue`, `next`, `finish` and `goto` show at most.
    static let shownEvents = 20

    let session: StepperSession
    private let renderer: REPLRenderer
    private let out: (String) -> Void

    convenience init(scenario: Scenario, color: Bool, output: @escaping (String) -> Void = { print($0) }) {
        self.init(session: StepperSession(scenario: scenario), color: color, output: output)
    }

    init(session: StepperSession, color: Bool, output: @escaping (String) -> Void = { print($0) }) {
        self.session = session
        renderer = REPLRenderer(color: color)
        out = output
    }

    /// Reads commands until `quit` or end of input.
    func run(editor: LineEditor) {
        out(banner())
        while let line = editor.readLine(prompt: prompt()) {
            if !handle(line) { break }
        }
        session.close()
    }

    func banner() -> String {
        var lines = [
            "cifstep — the Linux 3.8 cifs client, one kernel tracepoint at a time.",
            renderer.flow(session.scenario),
            session.serverLink.map { link in
                link.isLive
                    ? "The client core talks to the real server \(link.server) over TCP; what it sends is logged, so going back replays without it. Type 'help'."
                    : "The client core replays a recording of \(link.server): no network. Type 'help'."
            } ?? "The client core talks to the in-process server over an in-memory pipe. Type 'help'.",
        ]
        if case let .couldNotStart(reason)? = session.outcome { lines.append("The run could not start: \(reason)") }
        return lines.joined(separator: "\n")
    }

    func prompt() -> String { "cifstep[\(session.position)]> " }

    /// Runs one command line; false means quit.
    @discardableResult
    func handle(_ line: String) -> Bool {
        if let words = REPL.diffWords(line) {
            out(diff(words))
            return true
        }
        switch REPLParser.parse(line) {
        case .quit:
            return false
        case .nothing:
            break
        case .help:
            for c in REPLParser.commands {
                out("  " + (c.name + " " + c.args).padding(to: 28) + c.help)
            }
            for line in REPLParser.pathHelp { out(line) }
        case let .usage(message):
            out(message)
        case let .show(n, full):
            let events = session.events
            let number = n ?? events.count
            guard number >= 1, number <= events.count else { out("no event \(number) yet (1...\(events.count))"); break }
            out(renderer.detail(events[number - 1], full: full))
        case let .print(path, full):
            switch session.execute(.print(path: path)) {
            case let .success(result): for text in renderer.report(result.report, full: full) { out(text) }
            case let .failure(error): out(renderer.error(error, line: line))
            }
        case let .list(n):
            for event in session.events.suffix(n) { out(renderer.line(event)) }
        case .scenario:
            for setting in session.scenario.settings { out(renderer.setting(setting)) }
        case let .export(path, force):
            out(export(to: path, force: force))
        case let .command(command):
            switch session.execute(command) {
            case let .success(result): show(result, for: command)
            case let .failure(error): out(renderer.error(error, line: line))
            }
        }
        return true
    }

    /// Writes the run so far — scenario, decisions, events — as `cifstep trace` would, and says
    /// what was written or why not.
    func export(to path: String, force: Bool) -> String {
        let target = (path as NSString).expandingTildeInPath
        guard let format = ExportFormat(path: target) else {
            return "export: the extension names the format: one of \(ExportFormat.extensionList)"
        }
        if !force, FileManager.default.fileExists(atPath: target) {
            return "export: \(path) exists; 'export --force \(path)' replaces it"
        }
        let document = TraceDocument(session: session)
        do {
            let size = try TraceFile.write(document, as: format, to: try OutputFile(path: target, overwrite: force))
            return "wrote \(document.events.count) events and \(document.decisions?.count ?? 0) decisions to \(path) "
                + "(\(format.summary), \(size) bytes)"
        } catch {
            return "export: \(error)"
        }
    }

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
            out("  (\(events.count - shown.count) earlier events not shown; 'list N' shows more)")
        }
        for event in shown { out(renderer.line(event)) }
    }
}
