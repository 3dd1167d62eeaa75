import Foundation
import KernelRuntime
import Testing
import TraceRender

/// Validates documents against docs/trace-schema.json with Python's `jsonschema` — a validator
/// written by others, so the schema and the writer are checked against each other.
enum SchemaValidator {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let schema = repository.appendingPathComponent("docs/trace-schema.json")

    /// Whether `python3 -c 'import jsonschema'` works here.
    static let available: Bool = {
        (try? python(["-c", "import jsonschema"]).status) == 0
    }()

    /// Under CI the tests must run (and fail if the validator is missing); elsewhere they are
    /// skipped without it.
    static let required = ProcessInfo.processInfo.environment["CI"] == "true"

    static let skipMessage: Comment = "python3 cannot import jsonschema: scripts/install-deps --test installs it (under CI=true this test fails instead)"

    /// Checks the schema itself, then each file; prints `OK` or the first errors, each with
    /// where it is in the document.
    static let script = """
        import json, sys
        from jsonschema import Draft202012Validator
        schema = json.load(open(sys.argv[1]))
        Draft202012Validator.check_schema(schema)
        validator = Draft202012Validator(schema)
        bad = 0
        for name in sys.argv[2:]:
            errors = sorted(validator.iter_errors(json.load(open(name))), key=lambda e: list(e.absolute_path))
            for e in errors[:5]:
                print(f"{name}: {'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message[:200]}")
            bad += len(errors)
        print("OK" if bad == 0 else f"{bad} errors")
        sys.exit(1 if bad else 0)
        """

    /// Validates `files`; returns the validator's report (`OK` when every one is valid).
    static func validate(_ files: [String]) throws -> (valid: Bool, report: String) {
        let r = try python(["-c", script, schema.path] + files)
        return (r.status == 0, (r.stdout + r.stderr).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func python(_ arguments: [String]) throws -> CLIResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
    }
}

@Suite(.enabled(if: SchemaValidator.available || SchemaValidator.required, SchemaValidator.skipMessage))
struct TraceSchemaTests {
    @Test func theValidatorIsThere() {
        #expect(SchemaValidator.available, "python3 cannot import jsonschema: run scripts/install-deps --test")
    }

    /// What `cifstep trace` writes (complete runs, a run cut with --until, a failed run kept with
    /// --keep-failed), what the REPL exports, and the scenario-less document `get --trace` writes.
    @Test func everyDocumentTheToolsWriteIsValid() throws {
        guard SchemaValidator.available else { return }
        try withTemporaryDirectory { dir in
            func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
            let runs: [(String, [String])] = [
                ("signed.json", ["--auth", "ntlmssp", "--signing", "on", "--file", "random-256k.bin"]),
                ("ntlm.json", ["--auth", "ntlm", "--file", "hello.txt"]),
                ("required.json", ["--auth", "ntlmv2", "--signing", "required", "--domain", "LAB", "--readahead", "4",
                                   "--rsize", "16384", "--file", "random-100000.bin", "--policy", "random"]),
                ("until.json", ["--until", "77"]),
                ("faults.json", ["--sign", "--file", "random-256k.bin", "--fault", "disconnect:10",
                                 "--fault", "short-read:3"]),
            ]
            for (name, arguments) in runs {
                let r = try CLIRunner.run(["trace"] + arguments + ["-o", path(name)])
                #expect(r.status == 0, "\(name): \(r.stderr)")
            }
            let failed = try CLIRunner.run(["trace", "--file", "nope.txt", "--keep-failed", "-o", path("failed.json")])
            #expect(failed.status == 1)
            let repl = try CLIRunner.run(["repl", "--no-color", "--sign"],
                                         stdin: Data("step 123\nexport \(path("export.json"))\nquit\n".utf8))
            #expect(repl.status == 0)
            // `get --trace` writes `TraceDocument(events:)`: no scenario, no decisions.
            let signed = try TraceDocument(decoding: Data(contentsOf: URL(fileURLWithPath: path("signed.json"))))
            try Data(TraceDocument(events: signed.events).encoded()).write(to: URL(fileURLWithPath: path("get.json")))
            // A run against a real server carries its recording: every field of one, a failed
            // connect and a failed send included (InteropTests write real ones against Samba).
            var settings = try #require(signed.scenario)
            settings["server"] = "//127.0.0.1:44450/share"
            let recording = NetworkRecording(server: "127.0.0.1:44450", connections: [
                RecordedConnection(peer: "127.0.0.1:44450", sent: [0, 0, 0, 0x2f, 0xff],
                                   sendFailure: .peerClosed,
                                   arrivals: [Arrival(decision: 3, bytes: [0, 0, 0, 1]), Arrival(decision: 9, bytes: [], end: .closed)]),
                RecordedConnection(peer: nil, failure: .connectionRefused(host: "127.0.0.1", port: 44450)),
            ])
            try Data(TraceDocument(scenario: settings, decisions: signed.decisions, events: signed.events,
                                   recording: recording).encoded())
                .write(to: URL(fileURLWithPath: path("recorded.json")))
            // …and reads back as written.
            let reread = try TraceDocument(decoding: Data(contentsOf: URL(fileURLWithPath: path("recorded.json"))))
            #expect(reread.recording == recording)

            let files = ["signed.json", "ntlm.json", "required.json", "until.json", "faults.json", "failed.json", "export.json",
                         "get.json", "recorded.json"]
            let result = try SchemaValidator.validate(files.map(path))
            #expect(result.valid, "\(result.report)")
            #expect(result.report == "OK")
        }
    }

    /// The validator is not vacuous: documents that break the schema in different places fail.
    @Test func documentsThatBreakTheSchemaAreRejected() throws {
        guard SchemaValidator.available else { return }
        try withTemporaryDirectory { dir in
            let r = try CLIRunner.run(["trace", "--until", "40", "-o", "-"])
            #expect(r.status == 0)
            let good = r.stdout
            let breakages: [(String, String, String)] = [
                ("version", #""version":3}"#, #""version":2}"#),
                ("phase", #""phase":"enter""#, #""phase":"entry""#),
                ("hex", #""hex":"ff"#, #""hex":"FF"#),
                ("scenario", #""auth":"ntlmssp""#, #""auth":["ntlmssp"]"#),
                ("extra key", #""format":"cifstep-trace""#, #""format":"cifstep-trace","extra":1"#),
            ]
            var files: [String] = []
            for (name, from, to) in breakages {
                #expect(good.contains(from), "the sample has \(from)")
                let file = dir.appendingPathComponent("\(name).json").path
                try Data(good.replacingOccurrences(of: from, with: to).utf8).write(to: URL(fileURLWithPath: file))
                files.append(file)
            }
            for file in files {
                let result = try SchemaValidator.validate([file])
                #expect(!result.valid, "\(file) must be invalid")
                // Refused by the schema, not by a crash of the validator script.
                #expect(result.report.hasSuffix(" errors") && result.report.contains("\(file): "), "\(result.report)")
            }
        }
    }
}
