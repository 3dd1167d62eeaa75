import ArgumentParser
import Foundation
import Stepper
import TraceRender

/// `cifstep diff`: two runs side by side — two saved traces, or two scenarios run headless here
/// (`diff ntlm ntlmv2`, `diff sign off on`). The comparison is ``TraceDiff`` (TraceRender); this
/// command only finds the two documents.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two runs: two saved traces, or two scenarios run headless.",
        discussion: """
            A and B are either two trace files (cifstep trace -o FILE.json, or the REPL's export), \
            or two scenarios that differ in one setting, each run to the end as 'cifstep trace' \
            runs it (the scenario flags set everything else):

              cifstep diff a.json b.json
              cifstep diff ntlm ntlmv2 --sign          two auth modes
              cifstep diff sign off on --auth ntlm     a setting, then its two values
              cifstep diff auth=ntlm,signing=on auth=ntlmssp

            The report aligns the SMB messages on the wire (by direction, command and mid) and \
            compares them field by field, lists the computed values (keys, responses, MACs) that \
            differ, then aligns each thread's events by kernel function and lists those that \
            differ (docs/exports.md).
            """
    )

    @OptionGroup(title: "Scenario (the base of both runs)") var scenario: ScenarioOptions
    @Argument(help: ArgumentHelp("Two trace files, two auth modes, a setting and two values, or two key=value lists.",
                                 valueName: "A B"))
    var operands: [String]
    @Flag(help: "Write the comparison as JSON instead of text.") var json = false

    func run() throws {
        let base = try scenario.scenario()
        let pair = try DiffRuns.documents(for: operands, base: base)
        let diff = TraceDiff(pair.a, pair.b, labels: pair.labels)
        if json {
            FileHandle.standardOutput.write(Data(DiffReport.json(diff)))
        } else {
            FileHandle.standardOutput.write(Data(DiffReport.text(diff).utf8))
        }
    }
}

/// Turns the words of `diff` (on the command line or in the REPL) into two trace documents.
enum DiffRuns {
    static let usage = "diff A.json B.json | diff AUTH AUTH (ntlm ntlmv2) | diff SETTING V1 V2 (sign off on) | diff K=V,… K=V,…"

    /// The two documents and their labels.
    static func documents(for words: [String], base: Scenario) throws -> (a: TraceDocument, b: TraceDocument, labels: (String, String)) {
        if words.count == 2, words.allSatisfy(isTraceFile) {
            return (try load(words[0]), try load(words[1]), (words[0], words[1]))
        }
        let (a, b) = try scenarios(for: words, base: base)
        return (try run(a.scenario, label: a.label), try run(b.scenario, label: b.label), (a.label, b.label))
    }

    /// The two scenarios `words` describe on top of `base`.
    static func scenarios(for words: [String], base: Scenario) throws
        -> (a: (scenario: Scenario, label: String), b: (scenario: Scenario, label: String)) {
        func with(_ assignments: [String]) throws -> Scenario {
            do {
                return try base.applying(assignments)
            } catch {
                throw CLIError.usage("diff: \(error.message)")
            }
        }
        switch words.count {
        case 2 where words.allSatisfy({ Scenario.Auth(rawValue: $0) != nil }):
            return ((try with(["auth=\(words[0])"]), words[0]), (try with(["auth=\(words[1])"]), words[1]))
        case 2 where words.allSatisfy({ $0.contains("=") }):
            let split = { (w: String) in w.split(separator: ",").map(String.init) }
            return ((try with(split(words[0])), words[0]), (try with(split(words[1])), words[1]))
        case 3:
            let key = words[0] == "sign" ? Scenario.Setting.signing.rawValue : words[0]
            guard Scenario.Setting(rawValue: key) != nil else {
                throw CLIError.usage("diff: unknown setting '\(words[0])' (settings: sign, "
                    + Scenario.Setting.allCases.map(\.rawValue).joined(separator: ", ") + ")")
            }
            return ((try with(["\(key)=\(words[1])"]), "\(words[0]) \(words[1])"),
                    (try with(["\(key)=\(words[2])"]), "\(words[0]) \(words[2])"))
        default:
            throw CLIError.usage("usage: \(usage)")
        }
    }

    private static func isTraceFile(_ word: String) -> Bool {
        word.lowercased().hasSuffix(".json") || FileManager.default.fileExists(atPath: (word as NSString).expandingTildeInPath)
    }

    private static func load(_ path: String) throws -> TraceDocument {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: (path as NSString).expandingTildeInPath))
        } catch {
            throw CLIError.failure("diff: cannot read \(path): \(error.localizedDescription)")
        }
        do {
            return try TraceDocument(decoding: data)
        } catch {
            throw CLIError.failure("diff: \(path): \(error)")
        }
    }

    /// Runs `scenario` to the end with nobody at the keyboard, as `cifstep trace` does.
    static func run(_ scenario: Scenario, label: String) throws -> TraceDocument {
        let session = StepperSession(scenario: scenario)
        defer { session.close() }
        if case let .failure(error) = session.execute(.continue) {
            throw CLIError.failure("diff: the run '\(label)': \(error)")
        }
        return TraceDocument(session: session)
    }
}
