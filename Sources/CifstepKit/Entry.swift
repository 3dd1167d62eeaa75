import ArgumentParser
import Glibc

/// Entry point shared by the executable and the tests: parses, runs, and turns every
/// failure into one line on stderr and an exit code (2 for bad input, as `CLIError` says).
public enum CifstepMain {
    public static func run(_ arguments: [String]) -> Int32 {
        do {
            var command = try CifstepCommand.parseAsRoot(arguments)
            try command.run()
            return 0
        } catch let error as CLIError {
            printError(error.message)
            return error.exitCode
        } catch {
            let code = CifstepCommand.exitCode(for: error)
            if code == .success {               // --help, --version
                print(CifstepCommand.fullMessage(for: error))
                return 0
            }
            if code == .validationFailure {     // a bad flag or value
                printError(CifstepCommand.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments")
                return 2
            }
            let message = CifstepCommand.message(for: error)
            if !message.isEmpty { printError(message) }
            return code.rawValue
        }
    }

    static func printError(_ message: String) {
        var err = StandardError()
        print("cifstep: \(message)", to: &err)
    }
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) { Terminal.writeError(string) }
}
