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

    @Option(help: "ntlm | ntlmv2 | ntlmssp") var auth: String?
    @Flag(help: "The client signs (the same as --signing on).") var sign = false
    @Option(help: "off | on (the client signs) | required (the server requires signing)") var signing: String?
    @Option(help: "The user (the server knows this one user).") var user: String?
    @Option(help: "The domain (default: the client picks, as the kernel does).") var domain: String?
    @Option(help: "The user's password.") var password: String?
    @Option(help: "The file to read: hello.txt, random-256k.bin, or random-<size>.bin (e.g. random-16m.bin).")
    var file: String?
    @Option(help: "Seed: the same seed gives the same run, byte for byte.") var seed: String?
    @Option(help: "Bytes per READ_ANDX (default 61440, 3.8's).") var rsize: String?
    @Option(help: ArgumentHelp("Readahead maximum in 4 KiB pages (default: rsize / 4096, 3.8's rule).",
                               valueName: "pages"))
    var readahead: String?
    @Option(help: "teaching | random: who runs next when you do not choose.") var policy: String?
    @Flag(help: "No colour, even on a terminal.") var noColor = false

    func run() throws {
        let repl = REPL(scenario: try scenario(), color: !noColor && Terminal.useColor)
        let editor = LineEditor(words: REPLParser.words)
        repl.run(editor: editor)
    }

    /// The scenario the flags describe: each flag is a setting applied to the defaults.
    func scenario() throws -> Scenario {
        if sign, let signing, signing != "on" {
            throw CLIError.usage("--sign and --signing \(signing) disagree")
        }
        let settings: [(Scenario.Setting, String?)] = [
            (.auth, auth), (.signing, sign ? "on" : signing), (.user, user), (.domain, domain),
            (.password, password), (.seed, seed), (.file, file), (.rsize, rsize), (.readahead, readahead),
            (.policy, policy),
        ]
        var scenario = Scenario()
        for case let (setting, value?) in settings {
            do {
                try scenario.set(setting, to: value)
            } catch {
                throw CLIError.usage("--\(error.message)")
            }
        }
        return scenario
    }
}
