import Foundation
import Stepper
import Testing
@testable import CifstepKit

/// The REPL in-process: Enter repeating, completion, and every line within 100 columns.
@Suite struct REPLBehaviourTests {
    final class Lines: @unchecked Sendable {
        var all: [String] = []
    }

    private func repl(_ scenario: Scenario = Scenario(), _ lines: Lines) -> REPL {
        REPL(scenario: scenario, color: false, output: { lines.all += $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) })
    }

    @Test func enterRepeatsStepNextXAndListButNotOtherCommands() {
        let lines = Lines()
        let repl = repl(Scenario(auth: .ntlm, signing: .on), lines)
        defer { repl.session.close() }
        repl.handle("s 2")
        repl.handle("")
        #expect(repl.session.position == 4)
        repl.handle("n")
        let afterNext = repl.session.position
        repl.handle("")
        #expect(repl.session.position > afterNext)
        // Not repeated: a query in between breaks the chain.
        repl.handle("p server.sequenceNumber")
        let here = repl.session.position
        lines.all = []
        repl.handle("")
        #expect(repl.session.position == here && lines.all.isEmpty)
        // x goes on with the next bytes.
        repl.handle("b cifs_sign_smb")
        repl.handle("c")
        lines.all = []
        repl.handle("x/16xb last.sent")
        repl.handle("")
        #expect(lines.all.first?.hasPrefix("last.sent[0..<16] of ") == true)
        #expect(lines.all.contains { $0.hasPrefix("last.sent[16..<32] of ") })
        #expect(lines.all.contains { $0.hasPrefix("0010  ") })
        // list goes on with the next lines of the same function.
        lines.all = []
        repl.handle("list")
        #expect(lines.all.first?.hasPrefix("cifs_sign_smb in Sources/CIFSClient/") == true)
        #expect(lines.all.contains { $0.hasPrefix("→") && $0.contains("traced(\"cifs_sign_smb\"") })
        let lastNumber = lines.all.last.flatMap { Int($0.dropFirst().prefix { $0 == " " || $0.isNumber }.trimmingCharacters(in: .whitespaces)) }
        lines.all = []
        repl.handle("")
        let nextNumber = lines.all.first.flatMap { Int($0.dropFirst().prefix { $0 == " " || $0.isNumber }.trimmingCharacters(in: .whitespaces)) }
        #expect(lastNumber != nil && nextNumber == lastNumber.map { $0 + 1 })
    }

    @Test func eventsFilterByFunctionThreadOrPhaseAndXShowsCharacters() {
        let lines = Lines()
        let repl = repl(Scenario(), lines)
        defer { repl.session.close() }
        repl.handle("s 120")
        lines.all = []
        repl.handle("events cifsd 5")
        #expect(lines.all.count == 6 && lines.all.dropFirst().allSatisfy { $0.contains(" [cifsd] ") }, "\(lines.all)")
        #expect(lines.all.first?.hasSuffix("earlier matching events not shown; 'events cifsd N' shows more)") == true)
        lines.all = []
        repl.handle("events block 50")
        #expect(!lines.all.isEmpty && lines.all.allSatisfy { $0.contains(" block") }, "\(lines.all)")
        lines.all = []
        repl.handle("events CIFSSMBNegotiate")
        #expect(lines.all.count == 2 && lines.all.allSatisfy { $0.contains(" CIFSSMBNegotiate ") })
        lines.all = []
        repl.handle("x/8c last.sent+4")
        #expect(lines.all.count == 2)
        #expect(lines.all.first?.hasPrefix("last.sent[4..<12] of ") == true)
        // The bytes after the protocol id as characters: printable ones as is, others escaped.
        #expect(lines.all.last?.hasPrefix("0004  ") == true)
        #expect(lines.all.last?.contains("\\x") == true || lines.all.last?.contains("\\0") == true)
    }

    @Test func listSaysWhenThereIsNothingToList() {
        let lines = Lines()
        let repl = repl(Scenario(), lines)
        defer { repl.session.close() }
        #expect(repl.handle("list") == .failed(REPL.ScriptStatus.badCommand))
        #expect(lines.all.last == "no current function yet: 'step' first, or 'list FUNCTION'")
        #expect(repl.handle("list cifs_sign_smbb") == .failed(REPL.ScriptStatus.badCommand))
        #expect(lines.all.last?.hasPrefix("no traced function 'cifs_sign_smbb'; closest: cifs_sign_smb") == true)
    }

    @Test func tabCompletesCommandsFunctionsPathsSettingsAndFaults() {
        let lines = Lines()
        let repl = repl(Scenario(), lines)
        defer { repl.session.close() }
        repl.handle("s 30")
        #expect(repl.completions(before: "", word: "bre") == ["break"])
        #expect(repl.completions(before: "", word: "rev") == ["reverse-continue", "reverse-step"])
        #expect(repl.completions(before: "b ", word: "cifs_sign_s") == ["cifs_sign_smb"])
        #expect(repl.completions(before: "tbreak ", word: "cifs_calc_sig") == ["cifs_calc_signature"])
        #expect(repl.completions(before: "p ", word: "server.sequenceN") == ["server.sequenceNumber"])
        #expect(repl.completions(before: "x/8xb ", word: "last.s") == ["last.sent"])
        #expect(repl.completions(before: "watch ", word: "threads[1].st") == ["threads[1].state"])
        #expect(repl.completions(before: "set ", word: "si") == ["sign", "signing", "size"])
        #expect(repl.completions(before: "set auth ", word: "ntlmv") == ["ntlmv2"])
        #expect(repl.completions(before: "inject ", word: "bad") == ["bad-signature"])
        #expect(repl.completions(before: "info ", word: "th") == ["threads"])
        #expect(repl.completions(before: "help ", word: "apr") == ["apropos"])
        #expect(repl.completions(before: "step ", word: "th") == ["thread"])
        #expect(repl.completions(before: "frob ", word: "x").isEmpty)
        #expect(repl.completions(before: "lesson ", word: "st") == ["start", "stop"])
        #expect(repl.completions(before: "lesson start ", word: "04") == ["04-bad-signature"])
        // x and why also offer the names of recorded buffers.
        #expect(repl.completions(before: "x/8xb ", word: "requ").contains("request"))
        #expect(!repl.completions(before: "print ", word: "requ").contains("request"))
    }

    /// A session's worth of commands whose output runs long: no line is wider than 100 columns.
    @Test func everyLineFitsAProjector() {
        let lines = Lines()
        let repl = repl(Scenario(auth: .ntlmssp, signing: .on, file: "random-256k.bin"), lines)
        defer { repl.session.close() }
        for command in ["help", "help x", "apropos sign", "info functions", "break cifs_readv_callback", "continue",
                        "show", "show --all", "p last.received", "p/x last.received", "x/64xb last.received", "why signature",
                        "info state", "info threads", "bt", "list", "events 200", "info scenario", "\u{1b}[A junk"] {
            repl.handle(command)
        }
        #expect(lines.all.count > 500)
        let wide = lines.all.filter { TextFit.visibleWidth($0) > 100 }
        #expect(wide.isEmpty, "\(wide.prefix(3))")
        #expect(!lines.all.contains { $0.unicodeScalars.contains { $0.value == 0x1b } })
    }

    @Test func longLinesWrapAtABlankAndEscapesDoNotCount() {
        let words = Array(repeating: "abcdefghi", count: 25).joined(separator: " ")
        let wrapped = TextFit.fit(words, width: 40).split(separator: "\n").map(String.init)
        #expect(wrapped.allSatisfy { $0.count <= 40 })
        #expect(wrapped.dropFirst().allSatisfy { $0.hasPrefix("    ") })
        #expect(wrapped.joined(separator: " ").split(separator: " ").joined(separator: " ") == words)
        let coloured = "\u{1b}[1m" + String(repeating: "x", count: 100) + "\u{1b}[0m"
        #expect(TextFit.fit(coloured) == coloured)
        #expect(TextFit.fit("a\u{1b}b\u{07}") == "a\\x1bb\\x07")
    }
}

/// Junk never crashes the REPL: seeded random lines of commands, numbers, paths and control
/// characters, parsed and run.
@Suite struct REPLJunkTests {
    static let vocabulary = [
        "s", "n", "c", "b", "tb", "d", "p", "x", "x/8xb", "x/99999999999999999999c", "x/3w", "p/x", "i", "info", "bt",
        "why", "list", "l", "events", "show", "show/x", "goto", "rs", "rc", "fin", "thread", "threads", "watch", "check",
        "expect", "inject", "fault", "help", "apropos", "lesson", "diff", "if", "==", "&&", "(", ")", "$12", "$", "$-1",
        "0", "1", "-1", "3", "9223372036854775807", "99999999999999999999", "+", "+7", "0x", "last.sent", "last.sent+4",
        "server.sequenceNumber", "mid[1].state", "page[", "page[0].flags", "threads[1]", "signature", "cifs_sign_smb",
        "read-error:2", "bad-signature", "\u{1b}[A", "\u{7f}", "\u{00}", "\t", "é", "‖", "\"", "'",
    ]

    /// A small linear congruential generator: the same lines on every run.
    struct Lines: Sequence, IteratorProtocol {
        var state: UInt64
        mutating func next() -> String? {
            func random(_ bound: Int) -> Int {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Int((state >> 33) % UInt64(bound))
            }
            return (0..<(1 + random(5))).map { _ in REPLJunkTests.vocabulary[random(REPLJunkTests.vocabulary.count)] }
                .joined(separator: random(4) == 0 ? "" : " ")
        }
    }

    @Test func junkIsRefusedOrRunNeverCrashes() {
        for line in Lines(state: 7).prefix(20_000) {
            if case let .usage(message) = REPLParser.parse(line) {
                #expect(!message.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(message)")
            }
        }
        let output = REPLBehaviourTests.Lines()
        let repl = REPL(scenario: Scenario(), color: false, output: { output.all.append($0) })
        defer { repl.session.close() }
        for line in Lines(state: 11).prefix(250) { repl.handle(line) }
        #expect(output.all.allSatisfy { $0.split(separator: "\n").allSatisfy { TextFit.visibleWidth(String($0)) <= 100 } })
    }
}
