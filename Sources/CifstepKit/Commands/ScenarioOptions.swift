import ArgumentParser
import Stepper

/// The flags that describe a stepper scenario, shared by `cifstep repl` and `cifstep trace`:
/// each is one of ``Scenario/Setting``, applied to 3.8's defaults.
struct ScenarioOptions: ParsableArguments {
    @Option(help: "ntlm | ntlmv2 | ntlmssp (default ntlmssp)") var auth: String?
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
    @Option(name: .customLong("fault"), help: ArgumentHelp(
        "Make something go wrong, from the start: NAME[:N], the Nth occurrence (default 1); repeatable. "
            + "Names: \(StepperFault.names.joined(separator: ", ")).", valueName: "NAME:N"))
    var faults: [String] = []

    /// The faults `--fault` asks for, in order. A misspelt one is a usage error.
    func parsedFaults() throws -> [StepperFault] {
        try faults.map { spec in
            do {
                return try StepperFault(parsing: spec)
            } catch {
                throw CLIError.usage("--fault \(spec): \(error)")
            }
        }
    }

    /// Arms the `--fault` faults in `session`, before its first event.
    func armFaults(in session: StepperSession) throws {
        for fault in try parsedFaults() {
            if case let .failure(error) = session.execute(.fault(fault)) {
                throw CLIError.usage("--fault \(fault): \(error)")
            }
        }
    }

    /// Whether no scenario flag was given.
    var isEmpty: Bool {
        !sign && faults.isEmpty && [auth, signing, user, domain, password, file, seed, rsize, readahead, policy]
            .allSatisfy { $0 == nil }
    }

    /// The scenario the flags describe. A refused value is a usage error naming its flag.
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
