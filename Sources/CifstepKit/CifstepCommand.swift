import ArgumentParser

/// The `cifstep` command line: the REPL by default, calculators and tools as subcommands.
public struct CifstepCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cifstep",
        abstract: "Step through the Linux CIFS (SMB1) client, one real byte at a time.",
        subcommands: [REPLCommand.self, TraceCommand.self, LessonCommand.self, DiffCommand.self, GetCommand.self,
                      ServeCommand.self, NTLMCommand.self, SignCommand.self],
        defaultSubcommand: REPLCommand.self
    )

    public init() {}
}
