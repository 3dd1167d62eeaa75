import ArgumentParser

/// The `cifstep` command line: the REPL by default, calculators and tools as subcommands.
public struct CifstepCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cifstep",
        abstract: "Step through the Linux CIFS (SMB1) client, one real byte at a time.",
        subcommands: [NTLMCommand.self, SignCommand.self]
    )

    public init() {}

    public func run() throws {
        print("cifstep: the REPL is not built yet; see `cifstep --help`.")
    }
}
