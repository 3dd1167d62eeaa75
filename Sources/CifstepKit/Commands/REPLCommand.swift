import ArgumentParser
import Stepper

/// `cifstep` with no subcommand: the stepper REPL on the embedded loopback server.
struct REPLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "Step through a mount and read against the embedded loopback server (the default).",
        discussion: """
            Defaults are Linux 3.8's: rsize 61440 and a readahead maximum of rsize / 4096 = 15 pages, \
            so a large read's first window is 30 pages and two READ_ANDX are in flight.
            """
    )

    @OptionGroup var source: SessionOptions
    @Flag(help: "No colour, even on a terminal.") var noColor = false
    @Option(name: [.customLong("batch"), .customLong("script")], help: ArgumentHelp(
        "Run the commands in FILE as a transcript; stop at the first error (exit 1: an expect failed, "
            + "2: a bad or refused command, 3: the run failed on an error nobody injected).",
        valueName: "FILE")) var batch: String?

    func run() throws {
        let script = try batch.map(REPLScript.lines)
        let repl = REPL(session: try source.makeSession(), color: !noColor && script == nil && Terminal.useColor)
        let editor = LineEditor(complete: { [repl] in repl.completions(before: $0, word: $1) })
        if script == nil, editor.interactive { repl.pager = Pager.forTerminal() }
        let status = repl.run(editor: editor, script: script)
        if status != 0 { throw ExitCode(status) }
    }
}
