import Foundation

/// Runs the built `cifstep` executable as a user would, capturing its output.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum CLIRunner {
    /// The `cifstep` binary next to the test bundle (both live in `.build/<config>/`).
    static var executable: URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // swift-testing may run from inside the .xctest bundle directory.
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("cifstep")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/cifstep")
    }

    /// - Parameters:
    ///   - environment: variables to set in the child's environment (on top of this process's).
    ///   - removing: variables to take out of the child's environment.
    static func run(_ arguments: [String], environment: [String: String] = [:], removing: [String] = [],
                    stdin: Data? = nil) throws -> CLIResult {
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        for k in removing { env[k] = nil }
        return try runProcess(executable, arguments, environment: env, stdin: stdin)
    }

    /// Runs any program, feeding it `stdin` (or nothing) and capturing both outputs; with a
    /// `limit`, a run still going after that many seconds is terminated (a hung browser must fail
    /// a test, not hang it).
    static func runProcess(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                           stdin: Data? = nil, limit: Double? = nil) throws -> CLIResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        if let limit { DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: watchdog) }
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        // Read both pipes to the end before waiting, so a full pipe cannot block the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        watchdog.cancel()
        return CLIResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
    }
}

extension CLIRunner {
    /// `cifstep repl --no-color ARGS` with `commands` typed on stdin, one a line (a transcript:
    /// no terminal, commands echoed after each prompt).
    static func replTranscript(_ commands: [String], _ args: [String] = []) throws -> CLIResult {
        try run(["repl", "--no-color"] + args, stdin: Data((commands.joined(separator: "\n") + "\n").utf8))
    }

    /// The output between the prompt of `command` and the next prompt in a transcript (a prompt
    /// is `cifstep[N]> ` after the current thread and function, `(reader cifs_mount) `).
    static func output(of command: String, in stdout: String) -> String {
        guard let start = stdout.range(of: "]> " + command + "\n") else { return "" }
        let rest = stdout[start.upperBound...]
        guard let prompt = rest.range(of: "cifstep[")?.lowerBound else { return String(rest) }
        let lineStart = rest[..<prompt].lastIndex(of: "\n").map { rest.index(after: $0) } ?? rest.startIndex
        return String(rest[..<lineStart])
    }
}
