import Foundation
import Testing

/// The stepper REPL, driven through stdin as a transcript (no terminal: no prompt colour,
/// commands echoed).
@Suite struct REPLTests {
    private func transcript(_ commands: [String], _ args: [String] = []) throws -> CLIResult {
        try CLIRunner.run(["repl"] + args, stdin: Data((commands.joined(separator: "\n") + "\n").utf8))
    }

    @Test func sameSeedGivesTheSameRun() throws {
        let commands = ["continue", "list 400", "quit"]
        let a = try transcript(commands, ["--auth", "ntlmssp", "--sign", "--seed", "42"])
        let b = try transcript(commands, ["--auth", "ntlmssp", "--sign", "--seed", "42"])
        #expect(a.status == 0)
        #expect(a.stdout == b.stdout)
        #expect(a.stdout.contains("cifs_sign_smb"))
        #expect(a.stdout.contains("end of the run: 38 bytes read"))
        let c = try transcript(commands, ["--auth", "ntlmssp", "--sign", "--seed", "43"])
        #expect(c.stdout != a.stdout, "another seed must change the challenge and nonces")
    }

    @Test func backReplaysToTheSameEvent() throws {
        let r = try transcript(["step 40", "show", "back 5", "step 5", "show", "quit"], ["--auth", "ntlmv2"])
        let blocks = r.stdout.components(separatedBy: "cifstep[")
        // The two `show` outputs (at event 40, before and after going back) are identical.
        let shows = blocks.filter { $0.hasPrefix("40]> show") }
        #expect(shows.count == 2)
        #expect(shows.first == shows.last)
    }

    @Test func breakpointStopsAtTheKernelFunction() throws {
        let r = try transcript(["break cifs_sign_smb", "continue", "quit"], ["--auth", "ntlm", "--sign"])
        #expect(r.stdout.contains("breakpoint 1 at cifs_sign_smb"))
        #expect(r.stdout.contains("breakpoint 1: cifs_sign_smb"))
        // It stopped there: the last event shown is that function's, and the run is not over.
        let events = r.stdout.split(separator: "\n").filter { $0.hasPrefix("#") }
        #expect(events.last?.contains("cifs_sign_smb") == true)
        #expect(!r.stdout.contains("end of the run"))
    }

    @Test func unknownBreakpointNamesAreRefusedWithTheClosestNames() throws {
        let r = try transcript(["break cifs_sign_smbb", "info breakpoints", "quit"])
        #expect(r.stdout.contains("no traced function 'cifs_sign_smbb'; closest: cifs_sign_smb"))
        #expect(r.stdout.contains("no breakpoints or watches"))
    }

    @Test func unknownCommandsAndBadNumbersAreExplained() throws {
        let r = try transcript(["frobnicate", "step -3", "goto x", "quit"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("unknown command 'frobnicate'"))
        #expect(r.stdout.contains("expected a positive number"))
        #expect(r.stdout.contains("usage: goto N"))
    }
}
