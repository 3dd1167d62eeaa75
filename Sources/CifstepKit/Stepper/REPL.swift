import CIFSClient
import KernelRuntime
import SMBServer
import SMBWire

/// The interactive stepper: the client core reading a file from the in-process server, one
/// kernel tracepoint at a time, forwards and backwards.
final class REPL {
    static let commands: [(name: String, args: String, help: String)] = [
        ("step", "[N]", "run N events (default 1)"),
        ("continue", "", "run to the next breakpoint or the end"),
        ("back", "[N]", "go back N events (replays the run from the start)"),
        ("goto", "N", "go to event N"),
        ("break", "FUNCTION", "stop when a kernel function is traced (e.g. cifs_sign_smb)"),
        ("delete", "[FUNCTION]", "remove one breakpoint, or all"),
        ("show", "[N]", "the buffers and state changes of event N (default: the last)"),
        ("list", "[N]", "the last N events (default 10)"),
        ("threads", "", "the simulated kernel threads and what they wait for"),
        ("flow", "AUTH [sign] [FILE]", "start over: AUTH is ntlm, ntlmv2 or ntlmssp"),
        ("seed", "N", "start over with another seed"),
        ("help", "", "this list"),
        ("quit", "", "leave"),
    ]

    private var session: StepSession
    private var breakpoints: [String] = []
    private let color: Bool
    private let out: (String) -> Void

    init(scenario: StepSession.Scenario, color: Bool, output: @escaping (String) -> Void = { print($0) }) {
        session = StepSession(scenario)
        self.color = color
        out = output
    }

    /// Reads commands until `quit` or end of input.
    func run(editor: LineEditor) {
        out(banner())
        while let line = editor.readLine(prompt: prompt()) {
            if !handle(line) { break }
        }
        session.abort()
    }

    func banner() -> String {
        let s = session.scenario
        return """
            cifstep — the Linux 3.8 cifs client, one kernel tracepoint at a time.
            Flow: mount //cifstep/share as alice (sec=\(s.auth)\(s.sign ? ", sign" : "")), read \(s.file), unmount; seed \(s.seed).
            The client core talks to the in-process server over an in-memory pipe. Type 'help'.
            """
    }

    func prompt() -> String { "cifstep[\(session.position)]> " }

    /// Runs one command line; false means quit.
    @discardableResult
    func handle(_ line: String) -> Bool {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let command = words.first else { return true }
        let args = Array(words.dropFirst())
        switch command {
        case "quit", "exit", "q":
            return false
        case "help", "?":
            for c in REPL.commands {
                out("  " + (c.name + " " + c.args).padding(to: 24) + c.help)
            }
        case "step", "s", "n":
            guard let n = count(args, default: 1) else { return true }
            for _ in 0..<n {
                guard let event = session.step() else { reportEnd(); break }
                out(render(event))
            }
        case "continue", "c":
            let seen = session.run { event in self.breakpoints.contains(event.function) }
            for event in seen.suffix(20) { out(render(event)) }
            if seen.count > 20 { out("  (\(seen.count - 20) earlier events not shown; 'list N' shows more)") }
            if let last = seen.last, breakpoints.contains(last.function) {
                out("breakpoint: \(last.function)")
            } else {
                reportEnd()
            }
        case "back", "b":
            guard let n = count(args, default: 1) else { return true }
            session.rewind(to: session.position - n)
            if let last = session.events.last { out(render(last)) } else { out("at the start") }
        case "goto":
            guard let n = args.first.flatMap(Int.init), n >= 0 else { out("usage: goto N"); return true }
            if n < session.position { session.rewind(to: n) } else { _ = session.run { _ in self.session.position >= n } }
            if let last = session.events.last { out(render(last)) }
        case "break":
            guard let f = args.first else { out("usage: break FUNCTION"); return true }
            if !breakpoints.contains(f) { breakpoints.append(f) }
            out("breakpoints: " + breakpoints.joined(separator: ", "))
        case "delete":
            if let f = args.first { breakpoints.removeAll { $0 == f } } else { breakpoints.removeAll() }
            out(breakpoints.isEmpty ? "no breakpoints" : "breakpoints: " + breakpoints.joined(separator: ", "))
        case "show":
            let events = session.events
            let n = args.first.flatMap(Int.init) ?? events.count
            guard n >= 1, n <= events.count else { out("no event \(n) yet (1...\(events.count))"); return true }
            out(detail(events[n - 1]))
        case "list", "l":
            guard let n = count(args, default: 10) else { return true }
            for event in session.events.suffix(n) { out(render(event)) }
        case "threads":
            for t in session.runtime.threads { out("  \(t)") }
        case "flow":
            guard let a = args.first, let auth = SecurityType(rawValue: a) else {
                out("usage: flow ntlm|ntlmv2|ntlmssp [sign] [FILE]"); return true
            }
            var s = session.scenario
            s.auth = auth
            s.sign = args.dropFirst().contains("sign")
            if let file = args.dropFirst().first(where: { $0 != "sign" }) { s.file = file }
            session.restart(s)
            out(banner())
        case "seed":
            guard let seed = args.first.flatMap(UInt64.init) else { out("usage: seed N"); return true }
            var s = session.scenario
            s.seed = seed
            session.restart(s)
            out(banner())
        default:
            out("unknown command '\(command)'; 'help' lists them")
        }
        return true
    }

    private func count(_ args: [String], default value: Int) -> Int? {
        guard let first = args.first else { return value }
        guard let n = Int(first), n > 0 else { out("expected a positive number, got '\(first)'"); return nil }
        return n
    }

    private func reportEnd() {
        if let failure = session.failure {
            out("the run stopped: \(failure)")
        } else {
            out("end of the run: \(session.readBytes.count) bytes read ('back' to go back)")
        }
    }

    private func paint(_ text: String, _ code: String) -> String {
        color ? "\u{1b}[\(code)m\(text)\u{1b}[0m" : text
    }

    func render(_ e: TraceEvent) -> String {
        let threadColors = ["36", "33", "32", "35", "34"]
        let thread = paint("[\(e.threadName)]", threadColors[e.threadID % threadColors.count])
        var line = "#\(e.sequence) \(thread) \(paint(e.function, "1")) \(e.phase.rawValue)"
        if !e.message.isEmpty { line += ": \(e.message)" }
        if !e.buffers.isEmpty { line += paint("  [" + e.buffers.map(\.name).joined(separator: ", ") + "]", "2") }
        return line
    }

    func detail(_ e: TraceEvent) -> String {
        var parts = [render(e)]
        for d in e.diff { parts.append("  " + d.description) }
        for b in e.buffers {
            parts.append("── \(b.name) (\(b.bytes.count) bytes)")
            parts.append(AnnotatedHexDump.render(b.bytes, spans: b.spans, color: color))
        }
        return parts.joined(separator: "\n")
    }
}
