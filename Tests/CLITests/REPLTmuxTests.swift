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
        try repl.type("why signature")
        let screen = try repl.waitFor("← given: the mount's password (pass=)")
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
