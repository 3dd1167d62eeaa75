import Stepper
import Testing
@testable import CifstepKit

@Suite struct REPLParserTests {
    @Test(arguments: ["break cifs_sign_smb if server.sequenceNumber > 3",
                      "break cifs_sign_smb\tif server.sequenceNumber > 3",
                      "  break\tcifs_sign_smb \t if\tserver.sequenceNumber > 3"])
    func theConditionAfterIfSurvivesSpacesAndTabs(line: String) {
        guard case let .command(command) = REPLParser.parse(line) else {
            Issue.record("\(line) did not parse as a command")
            return
        }
        #expect(command == .breakpoint(function: "cifs_sign_smb", condition: "server.sequenceNumber > 3"))
    }

    @Test func whyTakesAnIdAPathOrANameWithSpacesOrQuotes() {
        #expect(REPLParser.parse("why $12") == .command(.why(target: "$12")))
        #expect(REPLParser.parse("why server.sessionKey") == .command(.why(target: "server.sessionKey")))
        #expect(REPLParser.parse("why MAC key") == .command(.why(target: "MAC key")))
        #expect(REPLParser.parse("why \"MAC key\"") == .command(.why(target: "MAC key")))
        guard case .usage = REPLParser.parse("why") else {
            Issue.record("a bare why must print its usage")
            return
        }
    }
}

/// gdb's grammar: abbreviations, unique prefixes, and errors that name the closest command.
@Suite struct GDBGrammarTests {
    @Test func gdbsAbbreviationsMeanWhatTheyMeanInGDB() {
        #expect(REPLParser.parse("b cifs_sign_smb") == .command(.breakpoint(function: "cifs_sign_smb")))
        #expect(REPLParser.parse("c") == .command(.continue))
        #expect(REPLParser.parse("s") == .command(.step(count: 1)))
        #expect(REPLParser.parse("s 4") == .command(.step(count: 4)))
        #expect(REPLParser.parse("n") == .command(.next))
        #expect(REPLParser.parse("n 3") == .repeated(.next, times: 3))
        #expect(REPLParser.parse("p server.sequenceNumber") == .print(path: "server.sequenceNumber", full: false))
        #expect(REPLParser.parse("bt") == .command(.backtrace()))
        #expect(REPLParser.parse("where 2") == .command(.backtrace(thread: 2)))
        #expect(REPLParser.parse("i b") == .command(.infoBreakpoints))
        #expect(REPLParser.parse("i threads") == .command(.threads))
        #expect(REPLParser.parse("fin") == .command(.finish))
        #expect(REPLParser.parse("d 2") == .command(.delete(.number(2))))
        #expect(REPLParser.parse("tb cifs_readv_callback if mid == 5")
            == .command(.temporaryBreakpoint(function: "cifs_readv_callback", condition: "mid == 5")))
        #expect(REPLParser.parse("rs 3") == .command(.reverseStep(count: 3)))
        #expect(REPLParser.parse("back") == .command(.reverseStep(count: 1)))
        #expect(REPLParser.parse("rc") == .command(.reverseContinue))
        #expect(REPLParser.parse("l") == .list(function: nil, more: false))
        #expect(REPLParser.parse("q") == .quit)
    }

    @Test func aUniquePrefixIsTheCommand() {
        #expect(REPLParser.parse("cont") == .command(.continue))
        #expect(REPLParser.parse("wa server.sequenceNumber") == .command(.watch(path: "server.sequenceNumber")))
        #expect(REPLParser.parse("reverse-c") == .command(.reverseContinue))
        #expect(REPLParser.parse("fini") == .command(.finish))
        #expect(REPLParser.parse("info fun sign") == .command(.infoFunctions(matching: "sign")))
        #expect(REPLParser.parse("i th") == .command(.threads))
        #expect(REPLParser.parse("apr sign") == .apropos("sign"))
    }

    @Test func anAmbiguousPrefixListsTheCandidates() {
        #expect(REPLParser.parse("rev") == .usage("ambiguous command 'rev': reverse-step, reverse-continue"))
        #expect(REPLParser.parse("e") == .usage("ambiguous command 'e': expect, events, export"))
        #expect(REPLParser.parse("info s") == .usage("ambiguous info topic 's': session, server, state, scenario"))
    }

    @Test func anUnknownCommandNamesTheClosest() {
        #expect(REPLParser.parse("stpe") == .usage("unknown command 'stpe'; the closest is 'step' ('help' lists them)"))
        #expect(REPLParser.parse("brake cifs_sign_smb") == .usage("unknown command 'brake'; the closest is 'break' ('help' lists them)"))
        #expect(REPLParser.parse("info thraeds") == .usage(
            "unknown info topic 'thraeds'; the closest is 'threads'; usage: info breakpoints|threads|mids|pages|session|server|functions|state|scenario|faults"))
    }

    @Test func controlCharactersInJunkAreShownEscaped() {
        guard case let .usage(message) = REPLParser.parse("\u{1b}[A\u{7f}x\u{01}") else {
            Issue.record("junk must be refused")
            return
        }
        #expect(message.hasPrefix("unknown command '\\x1b[A\\x7fx\\x01'"))
        #expect(!message.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f })
    }

    @Test func malformedArgumentsSayTheExpectedForm() {
        #expect(REPLParser.parse("goto x") == .usage("usage: goto N (an event number ≥ 0)"))
        #expect(REPLParser.parse("step -3") == .usage("expected a positive number, got '-3'; usage: step [N]"))
        #expect(REPLParser.parse("break") == .usage("usage: break FUNC [if COND]"))
        #expect(REPLParser.parse("show abc") == .usage("usage: show [--all] [N] (N: an event number)"))
        #expect(REPLParser.parse("continue 3") == .usage("usage: continue (no arguments)"))
        #expect(REPLParser.parse("c/x") == .usage("continue takes no /x; usage: continue"))
    }

    @Test func xTakesACountAFormatAndAnOffset() {
        #expect(REPLParser.parse("x/8xb signature") == .examine(Examine(count: 8, format: .hex, target: "signature", offset: 0)))
        #expect(REPLParser.parse("x signature") == .examine(Examine(count: 8, format: .hex, target: "signature", offset: 0)))
        #expect(REPLParser.parse("x/16c last.received+32") == .examine(Examine(count: 16, format: .characters, target: "last.received", offset: 32)))
        #expect(REPLParser.parse("x/4xb last.sent+0x0e") == .examine(Examine(count: 4, format: .hex, target: "last.sent", offset: 14)))
        #expect(REPLParser.parse("x/8 \"MAC key\"") == .examine(Examine(count: 8, format: .hex, target: "MAC key", offset: 0)))
        guard case let .usage(units) = REPLParser.parse("x/4xw last.sent"), units.contains("only byte units") else {
            Issue.record("word units must be refused")
            return
        }
        guard case .usage = REPLParser.parse("x/8xb"), case .usage = REPLParser.parse("x/0xb last.sent"),
              case .usage = REPLParser.parse("x/\(Int.max)xb last.sent+\(Int.max)"),
              case .usage = REPLParser.parse("x/8xb last.sent+99999999999999999999") else {
            Issue.record("x without a target or with a zero count must be refused")
            return
        }
    }

    @Test func setChangesTheScenarioAndInjectArmsAFault() throws {
        #expect(REPLParser.parse("set auth ntlm") == .command(.reset(settings: ["auth=ntlm"])))
        #expect(REPLParser.parse("set sign on") == .command(.reset(settings: ["signing=on"])))
        #expect(REPLParser.parse("set size 16M") == .command(.reset(settings: ["file=random-16m.bin"])))
        #expect(REPLParser.parse("set readahead=256") == .command(.reset(settings: ["readahead=256"])))
        #expect(REPLParser.parse("set domain") == .command(.reset(settings: ["domain="])))
        #expect(REPLParser.parse("set aut ntlm") == .usage(
            "unknown setting 'aut'; the closest is 'auth'; set KEY VALUE with KEY one of auth, sign, signing, user, domain, password, seed, file, size, rsize, readahead, policy"))
        #expect(REPLParser.parse("inject bad-signature:2") == .command(.fault(try StepperFault(parsing: "bad-signature:2"))))
        #expect(REPLParser.parse("fault read-error") == .command(.fault(try StepperFault(parsing: "read-error"))))
    }

    @Test func helpGivesEachCommandOneLineWithinAHundredColumns() {
        for spec in REPLCommandSpec.all {
            #expect(spec.helpLine.count <= 100, "\(spec.helpLine)")
            for detail in spec.details { #expect(detail.count <= 98, "\(detail)") }
        }
        #expect(REPLCommandSpec.named("x")?.helpLine.hasPrefix("  x/N[xbc] WHAT ") == true)
        #expect(REPLCommandSpec.named("break")?.helpLine.hasPrefix("  break, b, br FUNC [if COND] ") == true)
    }

    @Test func theRestOfTheCommands() {
        #expect(REPLParser.parse("help") == .help(nil))
        #expect(REPLParser.parse("help break") == .help("break"))
        #expect(REPLParser.parse("events") == .events(filter: nil, count: 10))
        #expect(REPLParser.parse("events 40") == .events(filter: nil, count: 40))
        #expect(REPLParser.parse("events cifsd 20") == .events(filter: "cifsd", count: 20))
        #expect(REPLParser.parse("list cifs_sign_smb") == .list(function: "cifs_sign_smb", more: false))
        #expect(REPLParser.parse("expect server.sequenceNumber == 4") == .expect("server.sequenceNumber == 4"))
        #expect(REPLParser.parse("info mids") == .command(.infoState(prefix: "mid[")))
        #expect(REPLParser.parse("info session") == .commands([.infoState(prefix: "ses."), .infoState(prefix: "tcon.")]))
        #expect(REPLParser.parse("lesson list") == .lesson(["list"]))
        #expect(REPLParser.parse("lesson start 4") == .lesson(["start", "4"]))
        #expect(REPLParser.parse("diff") == .reserved("diff"))
        #expect(REPLParser.parse("   ") == .nothing)
    }
}
