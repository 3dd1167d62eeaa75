import ArgumentParser
import CIFSClient

/// `cifstep` with no subcommand: the stepper REPL on the embedded loopback server.
struct REPLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "Step through a mount and read against the embedded loopback server (the default)."
    )

    @Option(help: "ntlm | ntlmv2 | ntlmssp") var auth: String = "ntlmssp"
    @Flag(help: "Sign every request and verify every reply.") var sign = false
    @Option(help: "The file to read from the loopback share (hello.txt, random-256k.bin).") var file = "hello.txt"
    @Option(help: "Seed: the same seed gives the same run, byte for byte.") var seed: UInt64 = 1
    @Flag(help: "No colour, even on a terminal.") var noColor = false

    func run() throws {
        guard let mode = SecurityType(rawValue: auth) else {
            throw CLIError.usage("--auth: expected ntlm, ntlmv2 or ntlmssp, got '\(auth)'")
        }
        let scenario = StepSession.Scenario(auth: mode, sign: sign, file: file, seed: seed)
        let repl = REPL(scenario: scenario, color: !noColor && Terminal.useColor)
        let editor = LineEditor(words: REPL.commands.map(\.name))
        repl.run(editor: editor)
    }
}
