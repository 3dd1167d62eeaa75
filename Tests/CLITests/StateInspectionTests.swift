import Foundation
import KernelRuntime
import SMBWire
import Stepper
import Testing
@testable import CifstepKit

/// How the REPL shows inspected state: why a path is empty, bytes as annotated dumps, long
/// bytes in listings, and the print/show flags that show every byte.
@Suite struct StateRenderingTests {
    let renderer = REPLRenderer(color: false)

    @Test func anEmptyPathSaysWhy() {
        let gone = StateAbsence.gone(object: "mid[5]", event: 812, function: "DeleteMidQEntry", removed: true)
        #expect(renderer.report(.absent(path: "mid[5].state", reason: gone)) == ["mid[5].state = gone (freed at #812 DeleteMidQEntry)"])
        let changed = StateAbsence.gone(object: "mid[5]", event: 40, function: "dequeue_mid", removed: false)
        #expect(renderer.report(.absent(path: "mid[5]", reason: changed)) == ["mid[5] = gone (last changed at #40 dequeue_mid)"])
        #expect(renderer.report(.absent(path: "mid[99].state", reason: .neverExisted(object: "mid[99]", known: [1, 2, 3, 5])))
            == ["mid[99].state: no mid[99] in this run so far; seen: mid[1…3, 5]"])
        #expect(renderer.report(.absent(path: "rdata[0].state", reason: .neverExisted(object: "rdata[0]", known: [])))
            == ["rdata[0].state: no rdata[0] in this run so far"])
        #expect(renderer.report(.absent(path: "file.fid", reason: .notNow)) == ["file.fid: nothing there now"])
    }

    @Test func aKeyPrintsAsHexThenADump() {
        let key: [UInt8] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]
        let value = StateBuffer(buffer: TraceBuffer(name: "ses.authKey", bytes: key), origin: nil)
        #expect(renderer.report(.bytes(path: "ses.authKey", value: value)) == [
            "ses.authKey = 00112233445566778899aabbccddeeff (16 bytes)",
            "0000  00 11 22 33 44 55 66 77  88 99 aa bb cc dd ee ff  ..\"3DUfw........",
        ])
    }

    @Test func aMessagePrintsWithItsFieldsAndWhereItWasRecorded() {
        let bytes: [UInt8] = [0xff, 0x53, 0x4d, 0x42, 0x2e] + [UInt8](repeating: 0, count: 27) + Array(0..<200).map { UInt8(0x41 + $0 % 26) }
        let spans = [FieldSpan(range: 0..<4, name: "header.Protocol", value: "ff534d42"),
                     FieldSpan(range: 4..<5, name: "header.Command", value: "0x2e", meaning: "SMB_COM_READ_ANDX"),
                     FieldSpan(range: 32..<232, name: "Data", value: "200 bytes")]
        let origin = StateBuffer.Origin(event: 105, threadName: "reader", function: "smb_send", phase: .send, bufferName: "request")
        let value = StateBuffer(buffer: TraceBuffer(name: "request", bytes: bytes, spans: spans), origin: origin)
        let lines = renderer.report(.bytes(path: "last.sent", value: value))
        let indent = String(repeating: " ", count: 6)
        #expect(lines == [
            "last.sent = 232 bytes, as 'request' of #105 [reader] smb_send send",
            "0000  ff 53 4d 42 2e 00 00 00  00 00 00 00 00 00 00 00  .SMB............",
            indent + "[0..<4]     header.Protocol  ff534d42",
            indent + "[4..<5]     header.Command   0x2e  (SMB_COM_READ_ANDX)",
            "0010  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  ................",
            "0020  41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50  ABCDEFGHIJKLMNOP",
            indent + "[32..<232]  Data             200 bytes",
            "0030  51 52 53 54 55 56 57 58  59 5a 41 42 43 44 45 46  QRSTUVWXYZABCDEF",
            "0040  47 48 49 4a 4b 4c 4d 4e  4f 50 51 52 53 54 55 56  GHIJKLMNOPQRSTUV",
            "0050  57 58 59 5a 41 42 43 44  45 46 47 48 49 4a 4b 4c  WXYZABCDEFGHIJKL",
            "      … 112 bytes not shown; 'print --all last.sent' shows every byte",
            "00d0  55 56 57 58 59 5a 41 42  43 44 45 46 47 48 49 4a  UVWXYZABCDEFGHIJ",
            "00e0  4b 4c 4d 4e 4f 50 51 52                           KLMNOPQR",
        ])
        let full = renderer.report(.bytes(path: "last.sent", value: value), full: true)
        #expect(full.count == 19 && !full.contains { $0.contains("not shown") })
    }

    @Test func listingsCutLongBytes() {
        let entries = [StateEntry(path: "last.sent", value: .bytes(Array(0..<40))),
                       StateEntry(path: "ses.cryptKey", value: .bytes([1, 2, 3, 4, 5, 6, 7, 8])),
                       StateEntry(path: "ses.authKey", value: .text("freed"))]
        #expect(renderer.report(.values(entries)) == [
            "  last.sent = 000102030405060708090a0b0c0d0e0f… (40 bytes; 'print last.sent' shows them)",
            "  ses.cryptKey = 0102030405060708",
            "  ses.authKey = freed",
        ])
    }

    @Test func printAndShowTakeAFlagForEveryByte() {
        #expect(REPLParser.parse("print last.sent") == .print(path: "last.sent", full: false))
        #expect(REPLParser.parse("p --all last.sent") == .print(path: "last.sent", full: true))
        #expect(REPLParser.parse("print/x ses.authKey") == .print(path: "ses.authKey", full: true))
        #expect(REPLParser.parse("p/x rdata[0]") == .print(path: "rdata[0]", full: true))
        #expect(REPLParser.parse("show") == .show(nil, full: false))
        #expect(REPLParser.parse("show --all 383") == .show(383, full: true))
        #expect(REPLParser.parse("show/x") == .show(nil, full: true))
        #expect(REPLParser.parse("print") == .usage("usage: print [--all] PATH (e.g. print server.sequenceNumber)"))
        #expect(REPLParser.parse("show --all x") == .usage("usage: show [--all] [N] (N: an event number)"))
    }
}

/// The same through the REPL as a user types it.
@Suite struct StateInspectionREPLTests {
    private func transcript(_ commands: [String], _ args: [String] = []) throws -> CLIResult {
        try CLIRunner.replTranscript(commands, args)
    }

    private func output(of command: String, in stdout: String) -> String {
        CLIRunner.output(of: command, in: stdout)
    }

    @Test func keysMidsThreadsAndMessagesPrint() throws {
        let probe = try transcript(["break cifs_setup_session", "continue", "finish", "quit"])
        let exit = try #require(probe.stdout.split(separator: "\n").last { $0.contains("[reader] cifs_setup_session exit") })
        let number = try #require(Int(exit.dropFirst().prefix { $0.isNumber }))
        let r = try transcript([
            "goto \(number)", "print ses.authKey", "back", "print server.sessionKey", "print mid[1].state", "print mid[99].state",
            "print rdata[0]", "print threads", "print last.sent", "info state last", "continue", "print rdata[0]", "help", "quit",
        ])
        #expect(r.status == 0)
        #expect(output(of: "print ses.authKey", in: r.stdout) == "ses.authKey = freed\n")
        let key = output(of: "print server.sessionKey", in: r.stdout)
        // Where the key was recorded does not fit on the value's line within 100 columns.
        #expect(key.hasPrefix("server.sessionKey = ") && key.contains(" (16 bytes)\n  as 'MAC key' of #"))
        #expect(key.split(separator: "\n").dropFirst(2).first?.hasPrefix("0000  ") == true)
        #expect(output(of: "print mid[1].state", in: r.stdout).hasPrefix("mid[1].state = gone (freed at #"))
        #expect(output(of: "print mid[1].state", in: r.stdout).contains(" DeleteMidQEntry)"))
        #expect(output(of: "print mid[99].state", in: r.stdout).hasPrefix("mid[99].state: no mid[99] in this run so far; seen: mid[1…"))
        #expect(r.stdout.contains("rdata[0]: no rdata[0] in this run so far"))
        #expect(output(of: "print threads", in: r.stdout).contains("  threads[1].name = reader\n"))
        let sent = output(of: "print last.sent", in: r.stdout)
        #expect(sent.contains("bytes, as 'request' of #") && sent.contains("[reader] smb_send send"))
        #expect(sent.contains("header.Command") && sent.contains("(SMB_COM_SESSION_SETUP_ANDX)"))
        #expect(output(of: "info state last", in: r.stdout).contains("  last.sent = ff534d4273"))
        let read = output(of: "print rdata[0]", in: r.stdout.components(separatedBy: "]> continue\n").last ?? "")
        #expect(read.contains("  rdata[0].state = completed\n") && read.contains("  rdata[0].bytes = 38\n"))
        let help = output(of: "help", in: r.stdout)
        #expect(help.contains("last.sent") && help.contains("rdata[K]") && help.contains("if mid == 5") && help.contains("print, p PATH"))
    }

    @Test func showCutsALongFieldUnlessAskedForEveryByte() throws {
        // The server's first READ_ANDX reply carries 61440 bytes of data.
        let list = try transcript(["continue", "events 2000", "quit"], ["--file", "random-256k.bin"])
        let line = try #require(list.stdout.split(separator: "\n").first { $0.contains("srv_send_smb send: READ_ANDX") })
        let number = try #require(Int(line.dropFirst().prefix { $0.isNumber }))
        let r = try transcript(["goto \(number)", "show", "show --all \(number)", "quit"], ["--file", "random-256k.bin"])
        let short = output(of: "show", in: r.stdout)
        #expect(short.contains("      … 61360 bytes not shown; 'show --all \(number)' shows every byte"))
        #expect(short.split(separator: "\n").count < 60)
        let full = output(of: "show --all \(number)", in: r.stdout)
        #expect(!full.contains("not shown"))
        #expect(full.split(separator: "\n").filter { $0.hasPrefix("f0") }.count == 4)  // 0xf000…0xf030: the last lines
    }
}
