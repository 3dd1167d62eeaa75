import Foundation
import Testing

/// The stepper REPL, driven through stdin as a transcript (no terminal: no prompt colour,
/// commands echoed).
@Suite struct REPLTests {
    private func transcript(_ commands: [String], _ args: [String] = []) throws -> CLIResult {
        try CLIRunner.run(["repl"] + args, stdin: Data((commands.joined(separator: "\n") + "\n").utf8))
    }

    @Test func sameSeedGivesTheSameRun() throws {
        let commands = ["continue", "events 400", "quit"]
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
        let r = try transcript(["break cifs_sign_smbb", "quit"])
        #expect(r.stdout.contains("no traced function 'cifs_sign_smbb'; closest: cifs_sign_smb"))
        #expect(r.status == 2, "piped commands stop at the first error")
        let after = try transcript(["info breakpoints", "quit"])
        #expect(after.stdout.contains("no breakpoints or watches"))
    }

    @Test(arguments: [("frobnicate", "unknown command 'frobnicate'"), ("step -3", "expected a positive number"),
                      ("goto x", "usage: goto N")])
    func unknownCommandsAndBadNumbersAreExplained(command: String, message: String) throws {
        let r = try transcript([command, "step", "quit"])
        #expect(r.status == 2)
        #expect(r.stdout.contains(message))
        #expect(!r.stdout.contains("]> step\n"), "nothing runs after the first error")
    }
}

/// The commands the stepper library added, through the REPL as a user types them.
@Suite struct REPLControlTests {
    private func transcript(_ commands: [String], _ args: [String] = []) throws -> CLIResult {
        try CLIRunner.replTranscript(commands, args)
    }

    private func output(of command: String, in stdout: String) -> String {
        CLIRunner.output(of: command, in: stdout)
    }

    @Test func nextFinishBacktraceAndThreads() throws {
        // Find the reader's NEGOTIATE call first, then step over it and finish it from its enter.
        let probe = try transcript(["step 200", "quit"])
        let enter = try #require(probe.stdout.split(separator: "\n").first { $0.contains("[reader] CIFSSMBNegotiate enter") })
        let number = try #require(Int(enter.dropFirst().prefix { $0.isNumber }))
        let r = try transcript(["goto \(number)", "bt", "next", "goto \(number)", "finish", "threads", "thread 2", "bt 2", "quit"])
        #expect(r.status == 0)
        #expect(output(of: "next", in: r.stdout).split(separator: "\n").last?.contains("[reader] CIFSSMBNegotiate exit") == true)
        #expect(output(of: "finish", in: r.stdout).split(separator: "\n").last?.contains("[reader] CIFSSMBNegotiate exit") == true)
        let bt = output(of: "bt", in: r.stdout)
        #expect(bt.contains("#0 CIFSSMBNegotiate (entered at #\(number)"))
        #expect(bt.contains("cifs_mount (entered at #1"))
        let threads = output(of: "threads", in: r.stdout)
        #expect(threads.contains("* 1 reader"))
        #expect(threads.contains("2 smbd: blocked on"))
        #expect(r.stdout.contains("current thread: 2 smbd"))
        #expect(output(of: "bt 2", in: r.stdout).hasPrefix("thread 2 smbd: blocked on"))
    }

    @Test func whyWalksASignatureBackToThePasswordAndTheChallengeOnTheWire() throws {
        let r = try transcript(
            ["break cifs_verify_signature", "continue", "finish", "why signature", "why server.sessionKey", "quit"],
            ["--auth", "ntlm", "--sign"])
        #expect(r.status == 0)
        let signature = output(of: "why signature", in: r.stdout)
        let lines = signature.split(separator: "\n").map(String.init)
        // The signature the verifier computed, then each step below it, one a line.
        #expect(lines.first?.range(of: #"^#\d+ \$\d+ signature = [0-9a-f]{16} ← the first 8 bytes of \$\d+$"#,
                                  options: .regularExpression) != nil, "\(signature)")
        for step in [" MD5 digest = ", " ← MD5 of $", " MD5 input = ", " MAC key = ", " ← copy of $", " auth key = ",
                     " session key = ", " NT hash = ", " password = 576f6e6465726c616e642d3432 ← given: the mount's password (pass=)",
                     "(NegotiateResponse.Challenge)", " reply = ff534d42", "← as received from the wire (cifsd standard_receive3)",
                     " reply with sequence 3 = ", " sequence number = 03000000 ← given: mid[3].sequenceNumber + 1",
                     " DES key = ", " ← DES of $"] {
            #expect(signature.contains(step), "why signature lacks \(step)")
        }
        #expect(lines.allSatisfy { $0.count <= 100 }, "lines stay short enough for a projector")
        let macKey = output(of: "why server.sessionKey", in: r.stdout)
        #expect(macKey.range(of: #"^#\d+ \$\d+ MAC key = "#, options: .regularExpression) != nil)
        #expect(macKey.contains(" ← copy of $") && macKey.contains(" ← DES of $"))
        let start = ["break cifs_verify_signature", "continue", "finish"]
        for (command, message) in [("why $99999", "no buffer $99999 recorded yet"), ("why ses.uid", "not bytes the code computed"),
                                   ("why", "usage: why")] {
            let refused = try transcript(start + [command, "quit"], ["--auth", "ntlm", "--sign"])
            #expect(refused.status == 2)
            #expect(output(of: command, in: refused.stdout).contains(message), "\(command)")
        }
    }

    @Test func stepThreadReportsABlockedThread() throws {
        let r = try transcript(["step thread 1 500", "step thread 1", "quit"])
        #expect(r.stdout.contains("thread 1 reader blocked on mid 1"))
        #expect(r.stdout.contains("thread 1 reader cannot run now: blocked on mid 1 (runnable: 2, 3)"))
        #expect(!r.stdout.contains("[smbd]"))
    }

    @Test func watchPrintReverseAndReset() throws {
        let r = try transcript([
            "watch server.sequenceNumber", "continue", "continue", "print server.sequenceNumber", "reverse-continue",
            "print server.sequenceNumber", "info breakpoints", "info state ra", "reset readahead=256 file=random-256k.bin",
            "info scenario", "quit",
        ], ["--sign"])
        #expect(r.status == 0)
        let path = try transcript(["print nosuch.path", "quit"])
        let condition = try transcript(["break cifs_sign_smb if server.sequenceNumber = 3", "quit"])
        #expect(path.status == 2 && condition.status == 2)
        #expect(output(of: "continue", in: r.stdout).contains("watch 1: server.sequenceNumber 0 → 2"))
        let values = r.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("server.sequenceNumber = ") }
        #expect(values.count == 2)
        #expect(values.first != values.last)
        #expect(output(of: "reverse-continue", in: r.stdout).contains("watch 1: server.sequenceNumber 0 → 2"))
        #expect(r.stdout.contains("watch 1 on server.sequenceNumber"))
        #expect(output(of: "info state ra", in: r.stdout).contains("(nothing there now)"))
        #expect(r.stdout.contains("rsize 61440 (3.8's default without Unix extensions).\nreadahead 256 pages (not 3.8's default (3.8: rsize / 4096 = 15 pages))."))
        #expect(r.stdout.contains("readahead 256 pages  (not 3.8's default"))
        #expect(path.stdout.contains("no state path 'nosuch.path'; closest:"))
        #expect(condition.stdout.contains("bad condition: expected '==' (comparison), found '=' (column 23 of the condition)"))
    }

    @Test func replFlagsSetTheScenario() throws {
        let r = try transcript(["info scenario", "continue", "quit"],
                               ["--auth", "ntlmv2", "--signing", "required", "--user", "bob", "--password", "pw",
                                "--file", "random-100000.bin", "--rsize", "16384", "--readahead", "8", "--policy", "random",
                                "--seed", "5"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("Flow: mount //cifstep/share as bob (sec=ntlmv2, server requires signing), read random-100000.bin"))
        #expect(r.stdout.contains("end of the run: 100000 bytes read"))
        let bad = try transcript(["quit"], ["--readahead", "lots"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--readahead: expected 0 ... 65536 pages (or default), got 'lots'"))
        let missing = try transcript(["continue", "quit"], ["--file", "nope.txt"])
        #expect(missing.stdout.contains("end of the run: the reader failed: NT_CREATE_ANDX: STATUS_OBJECT_NAME_NOT_FOUND"))
        #expect(missing.status == 3, "a run that fails on an error nobody injected fails a script")
        #expect(!missing.stdout.contains("deadlock"))
    }
}
