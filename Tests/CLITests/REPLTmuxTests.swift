import Foundation
import Testing

/// The REPL in a terminal, as a teacher uses it: prompts, colour, the `why` tree.
@Suite struct REPLTmuxTests {
    @Test func whyInATerminalShowsTheWalkWithColour() throws {
        guard TmuxREPL.available else {
            // CI installs tmux (scripts/install-deps --test); a missing one there is a failure.
            #expect(ProcessInfo.processInfo.environment["CI"] != "true", "tmux is not installed")
            return
        }
        let repl = try TmuxREPL(["repl", "--auth", "ntlm", "--sign"])
        defer { repl.close() }
        try repl.waitFor("cifstep[0]>")
        try repl.type("break cifs_verify_signature")
        try repl.waitFor("breakpoint 1 at cifs_verify_signature")
        try repl.type("continue")
        try repl.waitFor("breakpoint 1: cifs_verify_signature")
        try repl.type("finish")
        try repl.waitFor("cifs_verify_signature exit")
        try repl.type("why signature")
        let screen = try repl.waitFor("└─ given: the mount's password (pass=)")
        let tree = screen.components(separatedBy: "why signature").last ?? ""
        #expect(tree.contains("└─ MD5 of"))
        #expect(tree.contains("MAC key: MAC key $"))
        #expect(tree.contains("bytes 69..<77 (NegotiateResponse.Challenge) of reply $"))
        #expect(tree.contains("└─ as received from the wire"))
        // On a terminal the names are bold and the events dim (colour only on a TTY).
        let coloured = try repl.screen(escapes: true)
        #expect(coloured.contains("\u{1b}[1msignature"))
        try repl.type("quit")
    }

    @Test func noColorIsHonouredOnATerminal() throws {
        guard TmuxREPL.available else {
            #expect(ProcessInfo.processInfo.environment["CI"] != "true", "tmux is not installed")
            return
        }
        let repl = try TmuxREPL(["repl"], noColor: true)
        defer { repl.close() }
        try repl.waitFor("cifstep[0]>")
        try repl.type("step 3")
        try repl.waitFor("cifstep[3]>")
        #expect(try repl.screen().contains("#3 [reader] cifs_get_tcp_session exit"))
        #expect(!(try repl.screen(escapes: true)).contains("\u{1b}["))
        try repl.type("quit")
    }
}
