import Foundation
import Testing

/// `cifstep --batch FILE` and commands piped on stdin: a transcript (each command echoed after
/// its prompt, then its output) that stops at the first error with that error's exit status.
@Suite struct ScriptModeTests {
    private func batch(_ lines: [String], _ args: [String] = []) throws -> CLIResult {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cifstep-script-\(UUID().uuidString).gdb")
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        return try CLIRunner.run(["--batch", file.path] + args)
    }

    @Test func aScriptThatSucceedsPrintsATranscriptAndExitsZero() throws {
        let r = try batch(["# a comment, then a blank line", "", "b cifs_sign_smb", "c", "expect server.sequenceNumber == 0",
                           "s", "quit"], ["--sign"])
        #expect(r.status == 0, "\(r.stdout)")
        #expect(r.stdout.contains("cifstep[0]> b cifs_sign_smb\nbreakpoint 1 at cifs_sign_smb\n"))
        #expect(r.stdout.contains("cifstep[11]> expect server.sequenceNumber == 0\ntrue\n"))
        #expect(!r.stdout.contains("# a comment"), "comments are not commands")
        #expect(!r.stdout.contains("\u{1b}["), "no colour in a transcript")
    }

    @Test(arguments: [
        (["b cifs_sign_smb", "frobnicate", "c"], "unknown command 'frobnicate'", Int32(2)),
        (["b cifs_sign_smb", "goto minus-one", "c"], "usage: goto N", Int32(2)),
        (["b cifs_sign_smb", "watch no.such.path", "c"], "no state path 'no.such.path'", Int32(2)),
        (["b cifs_sign_smb", "c", "expect server.sequenceNumber == 7", "c"], "expect failed: server.sequenceNumber == 7", Int32(1)),
        (["set file nope.txt", "c", "events"], "end of the run: the reader failed: NT_CREATE_ANDX", Int32(3)),
    ])
    func theFirstErrorStopsTheScriptWithItsStatus(lines: [String], message: String, status: Int32) throws {
        let r = try batch(lines, ["--sign"])
        #expect(r.status == status, "\(r.stdout)")
        #expect(r.stdout.contains(message))
        // Nothing after the failing command ran: its prompt is the last one.
        let prompts = r.stdout.split(separator: "\n").filter { $0.contains("cifstep[") && $0.contains("]> ") }
        #expect(prompts.count == lines.count - 1, "\(prompts)")
    }

    @Test func aRunThatFailsOnAnInjectedFaultIsNotAnError() throws {
        let r = try batch(["inject wrong-password", "c", "info faults"])
        #expect(r.stdout.contains("end of the run: the reader failed: SESSION_SETUP_ANDX: STATUS_LOGON_FAILURE"))
        #expect(r.status == 0, "\(r.stdout.suffix(600))")
        #expect(r.stdout.contains("]> info faults\n  wrong-password after event 0"))
    }

    @Test func pipedCommandsAreAScriptToo() throws {
        let r = try CLIRunner.replTranscript(["step", "nonsense", "step"])
        #expect(r.status == 2)
        #expect(r.stdout.contains("cifstep[0]> step\n#1 [reader] cifs_mount enter"))
        #expect(r.stdout.contains("unknown command 'nonsense'"))
        #expect(!r.stdout.contains("#2 "))
    }

    @Test func aMissingScriptIsABadArgument() throws {
        let r = try CLIRunner.run(["repl", "--batch", "/nonexistent/script"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--batch: cannot read /nonexistent/script"))
    }
}
