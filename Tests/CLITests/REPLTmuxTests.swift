import Foundation
import Testing

/// The REPL in a terminal, as a teacher uses it: prompts, colour, the `why` tree.
@Suite struct REPLTmuxTests {
    @Test func whyInATerminalShowsTheWalkWithColour() throws {
        guard TmuxREPL.usable() else { return }
        let repl = try TmuxREPL(["repl", "--auth", "ntlm", "--sign"])
        defer { repl.close() }
        try repl.waitFor("cifstep[0]>")
        try repl.type("break cifs_verify_signature")
        try repl.waitFor("breakpoint 1 at cifs_verify_signature")
        try repl.type("continue")
        try repl.waitFor("breakpoint 1: cifs_verify_signature")
        try repl.type("finish")
        try repl.waitFor("cifs_verify_signature exit")
        // The walk is long: wait for the prompt after it, not for a line inside it (a loaded
        // machine draws it in pieces).
        let prompts = try repl.screen().components(separatedBy: "cifstep[").count - 1
        try repl.type("why signature")
        try repl.waitFor("← given: the mount's password (pass=)")
        let screen = try repl.waitFor("cifstep[", count: prompts + 1)
        let walk = screen.components(separatedBy: "why signature").last ?? ""
        #expect(walk.contains(" ← MD5 of $"))
        #expect(walk.contains(" MAC key = "))
        #expect(walk.contains("[69..<77] (NegotiateResponse.Challenge)"))
        #expect(walk.contains("← as received from the wire (cifsd standard_receive3)"))
        // On a terminal the names are bold and the events dim (colour only on a TTY).
        let coloured = try repl.screen(escapes: true)
        #expect(coloured.contains("\u{1b}[1msignature"))
        try repl.type("quit")
    }

    @Test func noColorIsHonouredOnATerminal() throws {
        guard TmuxREPL.usable() else { return }
        let repl = try TmuxREPL(["repl"], noColor: true)
        defer { repl.close() }
        try repl.waitFor("cifstep[0]>")
        try repl.type("step 3")
        try repl.waitFor("cifstep[3]>")
        #expect(try repl.screen().contains("#3 [reader] cifs_get_tcp_session exit"))
        #expect(!(try repl.screen(escapes: true)).contains("\u{1b}["))
        try repl.type("quit")
    }

    @Test func aFaultArmedAtAPromptTakesThe38PathAndGoingBackReplaysIt() throws {
        guard TmuxREPL.usable() else { return }
        let repl = try TmuxREPL(["repl", "--sign", "--file", "random-256k.bin"], noColor: true)
        defer { repl.close() }
        try repl.waitFor("cifstep[0]>")
        try repl.type("goto 300")
        try repl.waitFor("cifstep[300]>")
        try repl.type("fault disconnect 3")
        try repl.waitFor("fault disconnect:3 armed after event 300: the server drops the connection at its request")
        try repl.type("break cifs_reconnect")
        try repl.waitFor("breakpoint 1 at cifs_reconnect")
        try repl.type("continue")
        let first = try repl.waitFor("breakpoint 1: cifs_reconnect")
        let stopLine = first.split(separator: "\n").last { $0.contains("] cifs_reconnect enter") }
        #expect(stopLine?.contains("[cifsd] cifs_reconnect enter: reconnecting to cifstep") == true)
        try repl.type("info faults")
        try repl.waitFor("  disconnect:3 after event 300:")
        // Back before the fault and forward again: the same reconnect at the same event.
        try repl.type("goto 100")
        try repl.waitFor("cifstep[100]>")
        try repl.type("continue")
        let again = try repl.waitFor("breakpoint 1: cifs_reconnect", count: 2)
        let lines = again.split(separator: "\n").filter { $0.contains("] cifs_reconnect enter") }
        #expect(lines.count >= 2 && lines[lines.count - 1] == lines[lines.count - 2])
        try repl.type("quit")
    }
}

/// The gdb-style REPL as a person uses it in a terminal (issue 10's walk-through).
@Suite struct GDBStyleTmuxTests {
    /// The number in the last prompt on the screen.
    private func position(_ screen: String) -> Int? {
        let prompts = screen.components(separatedBy: "cifstep[").dropFirst()
        return prompts.last.flatMap { Int($0.prefix { $0.isNumber }) }
    }

    @Test func aSessionTypedAsInGDBWithinAHundredColumns() throws {
        guard TmuxREPL.usable() else { return }
        // Wider than the limit, so a line past 100 columns would show as one.
        let repl = try TmuxREPL(["repl", "--auth", "ntlm", "--sign"], width: 140, height: 50)
        defer { repl.close() }
        try repl.waitFor("cifstep[0]>")
        // TAB completes a command, then a tracepoint name.
        try repl.send("brea")
        try repl.press("Tab")
        try repl.waitFor("cifstep[0]> break ")
        try repl.send("cifs_sign_s")
        try repl.press("Tab")
        try repl.waitFor("cifstep[0]> break cifs_sign_smb ")
        try repl.press("Enter")
        try repl.waitFor("breakpoint 1 at cifs_sign_smb")
        try repl.type("c")
        try repl.waitFor("breakpoint 1: cifs_sign_smb")
        // The prompt names the event, the thread and its function.
        try repl.waitFor("(reader cifs_sign_smb) cifstep[")
        try repl.type("p server.sequenceNumber")
        try repl.waitFor("server.sequenceNumber = 0")
        try repl.type("d 1")
        try repl.waitFor("deleted breakpoint 1 at cifs_sign_smb")
        try repl.type("tb cifs_calculate_signature")
        try repl.waitFor("temporary breakpoint 2 at cifs_calculate_signature")
        try repl.type("c")
        try repl.waitFor("deleted temporary breakpoint 2 at cifs_calculate_signature")
        try repl.type("fin")
        try repl.waitFor("cifs_calculate_signature exit")
        try repl.type("x/8xb signature")
        try repl.waitFor("signature[0..<8] of 8 bytes, 'signature' of #")
        try repl.type("why signature")
        try repl.waitFor("← given: the mount's password (pass=)")
        try repl.type("info threads")
        try repl.waitFor("* 1 reader: ")
        let here = try #require(position(try repl.screen()))
        // Event numbers come back as the run goes back and forth: wait for one more prompt at
        // the event than the screen shows now, or the next keys would be typed ahead.
        func then(_ keys: () throws -> Void, prompt event: Int) throws {
            let prompt = "cifstep[\(event)]>"
            let before = try repl.screen().components(separatedBy: prompt).count - 1
            try keys()
            try repl.waitFor(prompt, count: before + 1)
        }
        try then({ try repl.type("reverse-step") }, prompt: here - 1)
        // Up recalls the last command; Enter runs it.
        try repl.press("Up")
        try repl.waitFor("cifstep[\(here - 1)]> reverse-step")
        try then({ try repl.press("Enter") }, prompt: here - 2)
        // Enter on an empty line repeats step.
        try then({ try repl.type("s") }, prompt: here - 1)
        try then({ try repl.press("Enter") }, prompt: here)
        // Ctrl-C on a half-typed line drops it and gives a fresh prompt; it does not exit.
        try repl.send("frobnic")
        try repl.press("C-c")
        try repl.waitFor("frobnic^C")
        try repl.type("info breakpoints")
        try repl.waitFor("no breakpoints or watches")
        #expect(!(try repl.screen()).contains("unknown command 'frobnic'"))
        // A nonsense command gets one line naming the closest.
        try repl.type("frobnicate")
        try repl.waitFor("unknown command 'frobnicate'; the closest is")
        let screen = try repl.screen()
        let wide = screen.split(separator: "\n").filter { $0.count > 100 }
        #expect(wide.isEmpty, "lines wider than 100 columns: \(wide.map { String($0) }); screen:\n\(screen)")
        try repl.type("quit")
        try repl.waitUntilExited()
    }

    @Test func ctrlCStopsALongContinueAndCtrlDExits() throws {
        guard TmuxREPL.usable() else { return }
        let repl = try TmuxREPL(["repl", "--file", "random-256m.bin"], noColor: true)
        defer { repl.close() }
        try repl.waitFor("cifstep[0]>")
        try repl.typeAndWaitUntilRead("c")
        // A SIGINT that lands before the move begins is not the move's: press until one stops it.
        var stopped = false
        for _ in 0..<20 where !stopped {
            try repl.press("C-c")
            stopped = (try? repl.waitFor("interrupted after", timeout: 3)) != nil
        }
        #expect(stopped)
        let screen = try repl.waitFor("(the next command goes on from here)")
        #expect(!screen.contains("end of the run"))
        let here = try #require(position(screen))
        try repl.type("s")
        try repl.waitFor("cifstep[\(here + 1)]>")
        try repl.press("C-d")
        try repl.waitUntilExited()
    }
}

/// Long dumps page on a terminal, as gdb's output does.
@Suite struct PagerTmuxTests {
    @Test func aLongDumpStopsAtAScreenfulAndQStopsIt() throws {
        guard TmuxREPL.usable() else { return }
        let repl = try TmuxREPL(["repl", "--file", "random-256k.bin"], width: 120, height: 24, noColor: true)
        defer { repl.close() }
        try repl.waitFor("cifstep[0]>")
        try repl.type("b cifs_readv_callback")
        try repl.waitFor("breakpoint 1 at cifs_readv_callback")
        try repl.type("c")
        try repl.waitFor("breakpoint 1: cifs_readv_callback")
        try repl.type("x/1024xb reply")
        let paused = try repl.waitFor("--More-- (")
        #expect(paused.contains("reply[0..<1024] of 61500 bytes"))
        #expect(!paused.contains("03f0  "), "the last row waits for the next screenful")
        #expect(!paused.contains("0100  "))
        try repl.press("Space")
        try repl.waitFor("0100  ")
        try repl.press("q")
        let after = try repl.waitFor("cifstep[", count: 4)
        #expect(!after.contains("03f0  "), "q stops the dump")
        // Enter on the empty line goes on with the next bytes, paged again; c shows the rest.
        try repl.press("Enter")
        try repl.waitFor("reply[1024..<2048] of 61500 bytes")
        try repl.press("c")
        try repl.waitFor("07f0  ")
        try repl.type("quit")
        try repl.waitUntilExited()
    }
}
