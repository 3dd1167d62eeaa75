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

    func run() throws {
        let repl = REPL(session: try source.makeSession(), color: !noColor && Terminal.useColor)
        let editor = LineEditor(words: REPLParser.words)
        repl.run(editor: editor)
    }
}
