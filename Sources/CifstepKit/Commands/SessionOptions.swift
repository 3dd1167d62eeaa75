import ArgumentParser
import Foundation
import KernelRuntime
import Stepper
import TraceRender

/// Where a stepper session comes from, shared by `cifstep repl` and `cifstep trace`: the
/// scenario flags (the embedded server, or `--server` for a real one), or `--replay` of a saved
/// trace.
struct SessionOptions: ParsableArguments {
    @OptionGroup(title: "Scenario") var scenario: ScenarioOptions
    @Option(help: ArgumentHelp(
        "Step the same client core against this real SMB1 server over TCP instead of the embedded one "
            + "(needs --user; the password comes from --password, $CIFSTEP_PASSWORD or a prompt).",
        valueName: "//HOST[:PORT]/SHARE/PATH"))
    var server: String?
    @Option(help: ArgumentHelp(
        "Replay a saved trace (cifstep trace -o, or export): its scenario, its decisions and, for a run "
            + "against a real server, what the server sent — no server needed.", valueName: "FILE.json"))
    var replay: String?

    /// The session the flags describe, with its `--fault`s armed and, against a real server, its
    /// first connection made (so that an unreachable server is reported at once).
    func makeSession() throws -> StepperSession {
        let session: StepperSession
        if let replay {
            guard server == nil, scenario.isEmpty else {
                throw CLIError.usage("--replay takes the scenario from the file: give no scenario flags with it")
            }
            session = try Self.replaying(replay)
        } else {
            session = StepperSession(scenario: try scenarioWithServer())
            try scenario.armFaults(in: session)
        }
        if let link = session.serverLink {
            do {
                try link.open()
            } catch {
                session.close()
                throw CLIError.failure("cannot connect to \(link.server): \(error)")
            }
        }
        return session
    }

    /// The scenario flags, with `--server` split into the server and the file.
    func scenarioWithServer() throws -> Scenario {
        var result = try scenario.scenario()
        guard let server else { return result }
        let url: SMBURL
        do {
            url = try SMBURL(parsing: server)
        } catch {
            throw CLIError.usage("--server: \(error.message)")
        }
        if scenario.file != nil { throw CLIError.usage("--server names the file (//HOST/SHARE/PATH): give no --file with it") }
        guard scenario.user != nil else { throw CLIError.usage("--server needs --user (the account on that server)") }
        if result.signing == .required {
            throw CLIError.usage("--signing required describes the embedded server; a real server decides itself (use --sign to make the client sign)")
        }
        do {
            try result.set(.server, to: url.description)
        } catch {
            throw CLIError.usage("--server: \(error.message)")
        }
        if scenario.password == nil { result.password = try Self.password(for: result.user) }
        return result
    }

    /// The password for a real server: $CIFSTEP_PASSWORD, else a prompt on a terminal.
    private static func password(for user: String) throws -> String {
        if let env = ProcessInfo.processInfo.environment["CIFSTEP_PASSWORD"] { return env }
        if let typed = Terminal.readSecret(prompt: "Password for \(user): ") { return typed }
        throw CLIError.usage("no password: use --password, $CIFSTEP_PASSWORD, or run on a terminal")
    }

    /// A session replaying the trace document at `path`, faults armed again where they were.
    static func replaying(_ path: String) throws -> StepperSession {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: (path as NSString).expandingTildeInPath))
        } catch {
            throw CLIError.failure("--replay \(path): cannot read it: \(error.localizedDescription)")
        }
        let document: TraceDocument
        do {
            document = try TraceDocument(decoding: data)
        } catch {
            throw CLIError.failure("--replay \(path): \(error)")
        }
        guard var settings = document.scenario, let decisions = document.decisions else {
            throw CLIError.failure("--replay \(path): not a stepper trace (no scenario or decisions: a 'get --trace' file?)")
        }
        let faults = settings.removeValue(forKey: "faults")
        var scenario = Scenario()
        // In the settings' own order, so that `server` (whose path sets the file) comes last.
        for setting in Scenario.Setting.allCases {
            guard let value = settings.removeValue(forKey: setting.rawValue) else { continue }
            do {
                try scenario.set(setting, to: value)
            } catch {
                throw CLIError.failure("--replay \(path): the scenario's \(error.message)")
            }
        }
        if let unknown = settings.keys.sorted().first {
            throw CLIError.failure("--replay \(path): unknown scenario setting '\(unknown)'")
        }
        if scenario.server != nil, document.recording == nil {
            throw CLIError.failure("--replay \(path): a run against \(scenario.server?.description ?? "a server") without its recording")
        }
        let session = StepperSession(scenario: scenario, replaying: decisions, recording: document.recording)
        for armed in try parseFaults(faults, path: path) {
            // Where it was armed; arming it again there replays the rest as the run went on.
            if case let .failure(error) = session.execute(.goto(event: armed.event)) {
                throw CLIError.failure("--replay \(path): \(error)")
            }
            if case let .failure(error) = session.execute(.fault(armed.fault)) {
                throw CLIError.failure("--replay \(path): fault \(armed.fault): \(error)")
            }
        }
        if !session.faults.isEmpty, case let .failure(error) = session.execute(.goto(event: 0)) {
            throw CLIError.failure("--replay \(path): \(error)")
        }
        return session
    }

    /// `bad-signature:2@143,…` → each fault and the event it was armed after.
    private static func parseFaults(_ text: String?, path: String) throws -> [(fault: StepperFault, event: Int)] {
        guard let text, !text.isEmpty else { return [] }
        return try text.split(separator: ",").map { item in
            let parts = item.split(separator: "@")
            guard parts.count == 2, let event = Int(parts[1]), event >= 0 else {
                throw CLIError.failure("--replay \(path): bad fault '\(item)' (expected NAME:N@EVENT)")
            }
            do {
                return (try StepperFault(parsing: String(parts[0])), event)
            } catch {
                throw CLIError.failure("--replay \(path): bad fault '\(item)': \(error)")
            }
        }
    }
}
