import Foundation
import Testing
import TraceRender

/// A fresh directory under the system's temporary directory, removed afterwards.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cifstep-trace-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    return try body(dir)
}

/// `cifstep trace`: the headless run, its file, and its refusals.
@Suite struct TraceCommandTests {
    /// Scenarios the determinism tests run: signed NTLMSSP over several READ_ANDX, unsigned old
    /// NTLM on the small file, and the seeded random scheduling policy.
    static let scenarios: [[String]] = [
        ["--auth", "ntlmssp", "--signing", "on", "--file", "random-256k.bin"],
        ["--auth", "ntlm", "--file", "hello.txt"],
        ["--auth", "ntlmv2", "--sign", "--policy", "random", "--seed", "7", "--file", "random-100000.bin"],
    ]

    /// Two processes, each with Swift's per-process random hashing (SWIFT_DETERMINISTIC_HASHING
    /// taken out of their environment), write byte-identical files.
    @Test(arguments: scenarios)
    func sameScenarioGivesTheSameFileInTwoProcesses(_ scenario: [String]) throws {
        try withTemporaryDirectory { dir in
            let a = dir.appendingPathComponent("a.json").path, b = dir.appendingPathComponent("b.json").path
            let first = try CLIRunner.run(["trace"] + scenario + ["-o", a], removing: ["SWIFT_DETERMINISTIC_HASHING"])
            let second = try CLIRunner.run(["trace"] + scenario + ["-o", b], removing: ["SWIFT_DETERMINISTIC_HASHING"])
            #expect(first.status == 0, "\(first.stderr)")
            #expect(second.status == 0, "\(second.stderr)")
            let bytesA = try Data(contentsOf: URL(fileURLWithPath: a))
            let bytesB = try Data(contentsOf: URL(fileURLWithPath: b))
            #expect(bytesA == bytesB)
            // …and it is the run asked for, complete.
            let document = try TraceDocument(decoding: bytesA)
            #expect(document.scenario?["auth"] == scenario[1])
            #expect(document.events.map(\.sequence) == Array(1...document.events.count))
            #expect((document.decisions?.count ?? 0) >= document.events.count / 2)
            #expect(document.events.first { $0.threadName == "reader" }?.function == "cifs_mount")
            #expect(document.events.last { $0.threadName == "reader" }?.phase == .exit)
            let signs = document.events.contains { $0.function == "cifs_calculate_signature" }
            #expect(signs == scenario.contains { $0 == "--sign" || $0 == "on" })
            // One summary line: events, decisions, the end, the speed.
            #expect(first.stderr.hasPrefix("trace: \(document.events.count) events, \(document.decisions?.count ?? 0) decisions, completed: "))
            #expect(first.stderr.contains(" events/s); "))
            #expect(first.stderr.split(separator: "\n").count == 1)
        }
    }

    @Test func anotherSeedGivesAnotherFile() throws {
        let scenario = Self.scenarios[0]
        let a = try CLIRunner.run(["trace"] + scenario + ["--seed", "1", "-o", "-"])
        let b = try CLIRunner.run(["trace"] + scenario + ["--seed", "2", "-o", "-"])
        #expect(a.status == 0 && b.status == 0)
        #expect(a.stdout.hasPrefix("{\"decisions\":["))
        #expect(a.stdout != b.stdout, "the seed sets the challenge, the nonces and the MIDs")
    }

    /// `cifstep trace` writes what the REPL's `export` writes after running the same scenario to
    /// the same event — at the end, and part-way after going back and forth by replay.
    @Test func equalToWhatTheREPLExports() throws {
        let scenario = ["--auth", "ntlmssp", "--sign", "--file", "random-256k.bin"]
        try withTemporaryDirectory { dir in
            func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
            let trace = try CLIRunner.run(["trace"] + scenario + ["-o", path("trace.json")])
            let part = try CLIRunner.run(["trace"] + scenario + ["--until", "300", "-o", path("trace-300.json")])
            #expect(trace.status == 0 && part.status == 0, "\(trace.stderr) \(part.stderr)")
            let commands = ["continue", "export \(path("repl.json"))",
                            "goto 450", "back 150", "step 40", "goto 300", "export \(path("repl-300.json"))", "quit"]
            let repl = try CLIRunner.run(["repl", "--no-color"] + scenario,
                                         stdin: Data((commands.joined(separator: "\n") + "\n").utf8))
            #expect(repl.status == 0)
            #expect(repl.stdout.contains("wrote "), "\(repl.stdout.suffix(500))")
            let full = try Data(contentsOf: URL(fileURLWithPath: path("trace.json")))
            #expect(try Data(contentsOf: URL(fileURLWithPath: path("repl.json"))) == full)
            let partial = try Data(contentsOf: URL(fileURLWithPath: path("trace-300.json")))
            #expect(try Data(contentsOf: URL(fileURLWithPath: path("repl-300.json"))) == partial)
            #expect(try TraceDocument(decoding: partial).events.count == 300)
            #expect(try TraceDocument(decoding: partial).events == Array(try TraceDocument(decoding: full).events.prefix(300)))
        }
    }

    @Test func stdoutGetsTheSameDocumentAsAFile() throws {
        try withTemporaryDirectory { dir in
            let file = dir.appendingPathComponent("t.json").path
            let toFile = try CLIRunner.run(["trace", "--until", "120", "-o", file])
            let toStdout = try CLIRunner.run(["trace", "--until", "120", "-o", "-"])
            #expect(toFile.status == 0 && toStdout.status == 0)
            #expect(Data(toStdout.stdout.utf8) == (try Data(contentsOf: URL(fileURLWithPath: file))))
            #expect(toStdout.stderr.contains("120 events") && toStdout.stderr.contains("stopped at event 120 (--until)"))
        }
    }

    // MARK: Refusals

    /// Exit status, stderr's only line, and whether the directory is still empty.
    /// `--fault` on the command line is `fault` typed before the first step: the same file, the
    /// fault recorded in the scenario, its path in the events; a misspelt one is a usage error.
    @Test func faultsOnTheCommandLineAreTheREPLsFaultAtTheStart() throws {
        let scenario = ["--sign", "--file", "random-256k.bin"]
        try withTemporaryDirectory { dir in
            func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
            let trace = try CLIRunner.run(["trace"] + scenario
                + ["--fault", "bad-signature:6", "--fault", "read-error", "-o", path("trace.json")])
            #expect(trace.status == 0, "\(trace.stderr)")
            let repl = try CLIRunner.replTranscript(
                ["fault bad-signature 6", "fault read-error", "info faults", "continue", "export \(path("repl.json"))",
                 "quit"], scenario)
            #expect(repl.status == 0)
            #expect(CLIRunner.output(of: "info faults", in: repl.stdout)
                .contains("  bad-signature:6 after event 0: the server corrupts the signature of its reply 6"))
            let file = try Data(contentsOf: URL(fileURLWithPath: path("trace.json")))
            #expect(try Data(contentsOf: URL(fileURLWithPath: path("repl.json"))) == file)
            let document = try TraceDocument(decoding: file)
            #expect(document.scenario?["faults"] == "bad-signature:6@0,read-error:1@0")
            #expect(document.events.contains { $0.function == "cifs_verify_signature" && $0.message.contains("EACCES") })
            #expect(document.events.contains { $0.function == "cifs_readv_discard" })
            let bad = try refused(["--fault", "bad-signatur:2", "-o", path("x.json")], in: dir)
            #expect(bad.status == 2)
            #expect(bad.line.contains("--fault bad-signatur:2: no fault 'bad-signatur'; closest: bad-signature"))
        }
    }

    private func refused(_ arguments: [String], in dir: URL) throws -> (status: Int32, line: String, left: [String]) {
        let r = try CLIRunner.run(["trace"] + arguments)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "one line: \(r.stderr)")
        #expect(r.stdout.isEmpty)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        return (r.status, lines.first.map(String.init) ?? "", left)
    }

    @Test func badInputIsOneLineAndExitStatus2() throws {
        try withTemporaryDirectory { dir in
            let out = dir.appendingPathComponent("t.json").path
            var r = try refused(["--readahead", "lots", "-o", out], in: dir)
            #expect(r.status == 2)
            #expect(r.line == "cifstep: --readahead: expected 0 ... 65536 pages (or default), got 'lots'")
            #expect(r.left.isEmpty)
            r = try refused(["--bogus", "-o", out], in: dir)
            #expect(r.status == 2)
            #expect(r.line.contains("'--bogus'"))
            r = try refused(["--sign", "--signing", "off", "-o", out], in: dir)
            #expect(r.status == 2)
            #expect(r.line == "cifstep: --sign and --signing off disagree")
            r = try refused(["--until", "0", "-o", out], in: dir)
            #expect(r.status == 2)
            #expect(r.line == "cifstep: --until: expected an event number ≥ 1, got 0")
            r = try refused(["-o", dir.appendingPathComponent("t.txt").path], in: dir)
            #expect(r.status == 2)
            #expect(r.line.hasSuffix("t.txt: the extension names the format: one of .json, .md, .html, .pcapng, .pcap"))
            #expect(r.left.isEmpty)
            r = try refused([], in: dir)
            #expect(r.status == 2)
            #expect(r.line.contains("--output"))
        }
    }

    @Test func anExistingFileIsReplacedOnlyWithForce() throws {
        try withTemporaryDirectory { dir in
            let out = dir.appendingPathComponent("t.json")
            try Data("keep me".utf8).write(to: out)
            let r = try refused(["--until", "10", "-o", out.path], in: dir)
            #expect(r.status == 2)
            #expect(r.line == "cifstep: \(out.path) exists (use --force to overwrite)")
            #expect(r.left == ["t.json"])
            #expect(try Data(contentsOf: out) == Data("keep me".utf8))
            let forced = try CLIRunner.run(["trace", "--until", "10", "-o", out.path, "--force"])
            #expect(forced.status == 0)
            #expect(try TraceDocument(decoding: Data(contentsOf: out)).events.count == 10)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["t.json"], "no temporary file left")
        }
    }

    /// A run that fails exits 1 with its real cause; nothing is written unless --keep-failed.
    @Test func aFailedRunSaysWhyAndWritesNothingUnlessAsked() throws {
        try withTemporaryDirectory { dir in
            let out = dir.appendingPathComponent("t.json").path
            let r = try refused(["--file", "nope.txt", "-o", out], in: dir)
            #expect(r.status == 1)
            #expect(r.line.hasPrefix("cifstep: trace: the reader failed at event "))
            #expect(r.line.contains(": NT_CREATE_ANDX: STATUS_OBJECT_NAME_NOT_FOUND"))
            #expect(r.line.hasSuffix("; nothing written (--keep-failed writes the trace of a failed run)"))
            #expect(r.left.isEmpty)
            let kept = try refused(["--file", "nope.txt", "-o", out, "--keep-failed"], in: dir)
            #expect(kept.status == 1)
            #expect(kept.line.hasSuffix("; trace written to \(out)"))
            #expect(kept.left == ["t.json"])
            let document = try TraceDocument(decoding: Data(contentsOf: URL(fileURLWithPath: out)))
            #expect(document.scenario?["file"] == "nope.txt")
            #expect(document.events.contains { $0.message.contains("STATUS_OBJECT_NAME_NOT_FOUND") })
        }
    }
}

/// The REPL's `export`.
@Suite struct REPLExportTests {
    @Test func exportRefusesOtherFormatsAndExistingFilesUnlessForced() throws {
        try withTemporaryDirectory { dir in
            let json = dir.appendingPathComponent("run.json").path
            // Piped commands stop at the first error, so each refusal ends its own transcript.
            func run(_ commands: [String]) throws -> CLIResult {
                try CLIRunner.run(["repl", "--no-color"], stdin: Data((commands.joined(separator: "\n") + "\n").utf8))
            }
            let text = try run(["step 5", "export \(dir.path)/run.txt", "quit"])
            #expect(text.status == 2)
            #expect(text.stdout.contains("export: the extension names the format: one of .json, .md, .html, .pcapng, .pcap"))
            let first = try run(["step 5", "export \(json)", "quit"])
            #expect(first.status == 0)
            #expect(first.stdout.contains("wrote 5 events and "))
            let exists = try run(["step 10", "export \(json)", "quit"])
            #expect(exists.status == 2)
            // The message is wider than 100 columns with this long path, so it wraps.
            #expect(exists.stdout.replacingOccurrences(of: "\n    ", with: " ")
                .contains("export: \(json) exists; 'export --force \(json)' replaces it"))
            let forced = try run(["step 10", "export --force \(json)", "help", "quit"])
            #expect(forced.status == 0)
            #expect(forced.stdout.contains("wrote 10 events and "))
            #expect(forced.stdout.contains("write the run so far: .json, .md, .html, .pcapng or .pcap"))
            let bare = try run(["export", "quit"])
            #expect(bare.stdout.contains("usage: export [--force] FILE"))
            let document = try TraceDocument(decoding: Data(contentsOf: URL(fileURLWithPath: json)))
            #expect(document.events.count == 10)
            #expect(document.scenario?["readahead"] == "default")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["run.json"])
        }
    }
}
