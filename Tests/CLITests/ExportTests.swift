import Foundation
import KernelRuntime
import Testing
import TraceRender

/// External programs the export tests run: Debian's `chromium` and `tshark`. Off CI a missing
/// one skips the tests that need it; under `CI=true` they run anyway and fail, so CI cannot go
/// green without them (scripts/install-deps --test installs both).
enum ExportTools {
    static func tool(_ name: String) -> String? {
        ["/usr/bin/", "/usr/local/bin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static let chromium = tool("chromium")
    static let tshark = tool("tshark")
    static let required = ProcessInfo.processInfo.environment["CI"] == "true"

    /// Runs `path` with `arguments`, at most `limit` seconds.
    static func run(_ path: String, _ arguments: [String], limit: Double = 120) throws -> CLIResult {
        try CLIRunner.runProcess(URL(fileURLWithPath: path), arguments, limit: limit)
    }

    /// `chromium --headless --dump-dom URL` with a profile of its own; the DOM after the page's
    /// scripts ran, and stderr (console messages appear there as `:CONSOLE` lines).
    static func dumpDOM(_ url: String, profile: URL) throws -> CLIResult {
        try run(chromium ?? "/usr/bin/chromium", [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile.path)",
            "--enable-logging=stderr", "--v=0", "--dump-dom", url,
        ])
    }
}

/// Writes the trace of a signed read (NTLM, signing on, 256 KiB: five READ_ANDX) in `format`,
/// and the same run's JSON, in `dir`; returns the file and the document.
func signedRead(_ name: String, in dir: URL, extra: [String] = []) throws -> (path: String, document: TraceDocument) {
    let flags = ["--auth", "ntlm", "--sign", "--file", "random-256k.bin"] + extra
    let path = dir.appendingPathComponent(name).path
    let json = dir.appendingPathComponent(name + ".reference.json").path
    let r = try CLIRunner.run(["trace"] + flags + ["-o", path])
    try #require(r.status == 0, "\(r.stderr)")
    let j = try CLIRunner.run(["trace"] + flags + ["-o", json])
    try #require(j.status == 0, "\(j.stderr)")
    return (path, try TraceDocument(decoding: Data(contentsOf: URL(fileURLWithPath: json))))
}

/// The HTML export, opened by a real browser.
@Suite(.enabled(if: ExportTools.chromium != nil || ExportTools.required,
                "chromium is not installed: scripts/install-deps --test installs it (under CI=true this test fails instead)"))
struct HTMLExportBrowserTests {
    @Test func chromiumOpensTheSignedReadWithAnElementPerEventAndNoErrors() throws {
        try #require(ExportTools.chromium != nil, "chromium is missing: run scripts/install-deps --test")
        try withTemporaryDirectory { dir in
            let (page, document) = try signedRead("signed.html", in: dir)
            let r = try ExportTools.dumpDOM(URL(fileURLWithPath: page).absoluteString,
                                            profile: dir.appendingPathComponent("profile"))
            #expect(r.status == 0, "\(r.stderr)")
            let dom = r.stdout
            // Every event has its element, exactly once.
            #expect(document.events.count > 1_000)
            let ids = dom.components(separatedBy: "id=\"event-").dropFirst().map { String($0.prefix { $0.isNumber }) }
            #expect(ids == document.events.map { String($0.sequence) })
            // The script ran to its end, and nothing complained: no error recorded by the page's
            // collector, no console message at all.
            #expect(dom.contains("data-ready=\"true\""))
            #expect(!dom.contains("data-errors="), "\(dom.prefix(600))")
            let console = r.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }
            #expect(console.isEmpty, "\(console)")
        }
    }

    /// A deep link opens its step and draws its buffers: the signature's bytes as hex.
    @Test func aDeepLinkOpensTheStepAndDrawsItsBytes() throws {
        try #require(ExportTools.chromium != nil, "chromium is missing: run scripts/install-deps --test")
        try withTemporaryDirectory { dir in
            let (page, document) = try signedRead("signed.html", in: dir)
            let signing = try #require(document.events.first {
                $0.function == "cifs_calculate_signature" && $0.phase == .exit && $0.buffers.contains { $0.name == "signature" }
            })
            let signature = try #require(signing.buffers.first { $0.name == "signature" }).bytes
            let r = try ExportTools.dumpDOM(URL(fileURLWithPath: page).absoluteString + "#event-\(signing.sequence)",
                                            profile: dir.appendingPathComponent("profile"))
            #expect(r.status == 0)
            let element = try #require(r.stdout.components(separatedBy: "id=\"event-\(signing.sequence)\"").dropFirst().first)
                .components(separatedBy: "id=\"event-").first ?? ""
            #expect(element.hasPrefix(" class=\"ev l0 p-exit\" open=\"\""), "the step is open")
            #expect(element.contains("class=\"pane\""), "its bytes are drawn")
            #expect(element.contains(signature.map { String(format: "%02x", $0) }.joined(separator: " ")))
            // Steps not linked to stay closed and undrawn.
            #expect(r.stdout.components(separatedBy: "class=\"pane\"").count - 1 == signing.buffers.count)
            #expect(!r.stdout.contains("data-errors="))
        }
    }
}

/// The pcapng export, read by tshark.
@Suite(.enabled(if: ExportTools.tshark != nil || ExportTools.required,
                "tshark is not installed: scripts/install-deps --test installs it (under CI=true this test fails instead)"))
struct CaptureExportTsharkTests {
    @Test func tsharkDecodesEveryMessageWithItsCommentAndNothingMalformed() throws {
        let tshark = try #require(ExportTools.tshark, "tshark is missing: run scripts/install-deps --test")
        try withTemporaryDirectory { dir in
            let (capture, document) = try signedRead("signed.pcapng", in: dir)
            // What should be on the wire: the client's smb_send and the server's srv_send_smb.
            let sends = document.events.filter {
                $0.phase == .send && ($0.function == "smb_send" || $0.function == "srv_send_smb")
            }
            // 13 requests (negotiate, session setup, tree connect, create, query info, five reads,
            // close, tree disconnect, logoff) and their 13 replies.
            #expect(sends.count == 26)
            let malformed = try ExportTools.run(tshark, ["-r", capture, "-Y", "_ws.malformed || _ws.expert.severity >= error"])
            #expect(malformed.status == 0, "\(malformed.stderr)")
            #expect(malformed.stdout.isEmpty, "\(malformed.stdout)")
            // SMB with no Decode As: every message decodes as SMB, in order, with its command.
            let smb = try ExportTools.run(tshark, ["-r", capture, "-Y", "smb", "-T", "fields", "-e", "smb.cmd", "-e", "smb.mid"])
            let decoded = smb.stdout.split(separator: "\n").map { String($0) }
            #expect(decoded.count == sends.count)
            #expect(decoded.first == "0x72\t1")
            // Each packet's comment names its event and function.
            let comments = try ExportTools.run(tshark, ["-r", capture, "-Y", "smb", "-T", "fields", "-e", "frame.comment"])
            let lines = comments.stdout.split(separator: "\n").map { String($0) }
            #expect(lines.count == sends.count)
            for (line, event) in zip(lines, sends) {
                #expect(line.hasPrefix("event \(event.sequence) \(event.function) (\(event.threadName)): "), "\(line)")
            }
            #expect(lines.first == "event \(sends[0].sequence) smb_send (reader): NEGOTIATE request mid 1")
            #expect(lines.contains { $0.contains("READ_ANDX reply mid") && $0.contains("; read by cifsd at event ") })
        }
    }

    /// A reconnect (the server hangs up at request 7) opens a second TCP connection from the next
    /// client port, with its own handshake; it too decodes cleanly.
    @Test func aReconnectIsASecondConnection() throws {
        let tshark = try #require(ExportTools.tshark, "tshark is missing: run scripts/install-deps --test")
        try withTemporaryDirectory { dir in
            let (capture, document) = try signedRead("reconnect.pcapng", in: dir, extra: ["--fault", "disconnect:7"])
            #expect(document.events.contains { $0.function == "cifs_reconnect" && $0.phase == .exit })
            let malformed = try ExportTools.run(tshark, ["-r", capture, "-Y", "_ws.malformed || _ws.expert.severity >= error"])
            #expect(malformed.stdout.isEmpty, "\(malformed.stdout)")
            let syn = try ExportTools.run(tshark, ["-r", capture, "-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 0",
                                                   "-T", "fields", "-e", "tcp.srcport"])
            #expect(syn.stdout == "49152\n49153\n")
            let negotiate = try ExportTools.run(tshark, ["-r", capture, "-Y", "smb.cmd == 0x72 && smb.flags.response == 0",
                                                         "-T", "fields", "-e", "tcp.stream"])
            #expect(negotiate.stdout == "0\n1\n", "each connection negotiates")
        }
    }

    /// The classic pcap: the same packets, no comments.
    @Test func thePcapHasTheSamePackets() throws {
        let tshark = try #require(ExportTools.tshark, "tshark is missing: run scripts/install-deps --test")
        try withTemporaryDirectory { dir in
            let (capture, _) = try signedRead("signed.pcap", in: dir)
            let (next, _) = try signedRead("signed.pcapng", in: dir)
            func commands(_ file: String) throws -> String {
                try ExportTools.run(tshark, ["-r", file, "-Y", "smb", "-T", "fields", "-e", "smb.cmd", "-e", "smb.mid",
                                             "-e", "smb.signature"]).stdout
            }
            #expect(try commands(capture) == commands(next))
            #expect(try !commands(capture).isEmpty)
        }
    }
}

/// The Markdown handout and the format dispatch of `trace -o` and the REPL's `export`.
@Suite struct HandoutExportTests {
    /// The handout shows a signature annotated twice: as computed (its own table) and in the
    /// signed request (the header.SecuritySignature row of the message as sent).
    @Test func theHandoutHoldsTheAnnotatedHexOfASignature() throws {
        try withTemporaryDirectory { dir in
            let (path, document) = try signedRead("signed.md", in: dir)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let signing = try #require(document.events.first {
                $0.function == "cifs_calculate_signature" && $0.phase == .exit && $0.buffers.contains { $0.name == "signature" }
            })
            let signature = try #require(signing.buffers.first { $0.name == "signature" })
            let spaced = signature.bytes.map { String(format: "%02x", $0) }.joined(separator: " ")
            let id = try #require(signature.id)
            #expect(text.contains("**\(signing.sequence).** reader · `cifs_calculate_signature` · exit"))
            #expect(text.contains("Buffer **signature** `\(id)`, 8 bytes — the first 8 bytes of "))
            #expect(text.contains("| 0..<8 | *(no field)* | `\(spaced)` |"))
            let sent = try #require(document.events.first {
                $0.function == "smb_send" && $0.phase == .send && $0.sequence > signing.sequence
            })
            #expect(text.contains("**\(sent.sequence).** reader · `smb_send` · send"))
            #expect(text.contains("| 14..<22 | header.SecuritySignature | `\(spaced)` | \(signature.bytes.map { String(format: "%02x", $0) }.joined()) |"))
            // Every event is a step.
            for event in document.events.prefix(50) { #expect(text.contains("**\(event.sequence).** \(event.threadName) · ")) }
        }
    }

    /// `export` in the REPL writes each format by its extension; the JSON one validates.
    @Test func theREPLExportsEveryFormat() throws {
        try withTemporaryDirectory { dir in
            let names = ["run.json", "run.md", "run.html", "run.pcapng", "run.pcap"]
            let commands = ["continue"] + names.map { "export \(dir.path)/\($0)" } + ["quit"]
            let r = try CLIRunner.run(["repl", "--no-color", "--sign"], stdin: Data((commands.joined(separator: "\n") + "\n").utf8))
            #expect(r.status == 0)
            // A line longer than 100 columns (a long temporary path) wraps onto indented lines.
            let unwrapped = r.stdout.replacingOccurrences(of: "\n    ", with: " ")
            for (name, kind) in zip(names, ["JSON trace", "Markdown handout", "HTML page", "pcapng capture", "pcap capture"]) {
                #expect(unwrapped.contains("to \(dir.path)/\(name) (\(kind), "), "\(name)")
            }
            let md = try String(contentsOfFile: dir.appendingPathComponent("run.md").path, encoding: .utf8)
            #expect(md.hasPrefix("# cifstep trace: sec=ntlmssp, signing on, hello.txt, seed 1\n"))
            let pcapng = try Data(contentsOf: dir.appendingPathComponent("run.pcapng"))
            #expect(pcapng.prefix(4) == Data([0x0a, 0x0d, 0x0d, 0x0a]))
            let html = try String(contentsOfFile: dir.appendingPathComponent("run.html").path, encoding: .utf8)
            #expect(html.hasPrefix("<!DOCTYPE html>"))
            if SchemaValidator.available {
                let v = try SchemaValidator.validate([dir.appendingPathComponent("run.json").path])
                #expect(v.valid, "\(v.report)")
            }
            // The same run through `cifstep trace -o`: byte-identical exports.
            for name in names where name != "run.json" {
                let out = dir.appendingPathComponent("trace-" + name).path
                let t = try CLIRunner.run(["trace", "--sign", "-o", out])
                #expect(t.status == 0)
                #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: dir.appendingPathComponent(name)), "\(name)")
            }
        }
    }
}

/// `cifstep diff`.
@Suite struct DiffCommandTests {
    static func diff(_ arguments: [String]) throws -> TraceDiff {
        let r = try CLIRunner.run(["diff"] + arguments + ["--json"])
        try #require(r.status == 0, "\(r.stderr)")
        return try JSONDecoder().decode(TraceDiff.self, from: Data(r.stdout.utf8))
    }

    /// NTLM against NTLMv2, signing on: the same negotiate; the session setup differs in the
    /// response (24 bytes against a blob-carrying one), the session key and the MAC key; every
    /// message after it differs in its signature only.
    @Test func ntlmAgainstNTLMv2() throws {
        let diff = try Self.diff(["ntlm", "ntlmv2", "--sign"])
        #expect(diff.settings == [TraceDiff.Change(name: "auth", a: "ntlm", b: "ntlmv2")])
        let negotiate = diff.messages.filter { $0.title.hasPrefix("NEGOTIATE ") }
        #expect(negotiate.map(\.verdict) == [.same, .same])
        let setup = try #require(diff.messages.first { $0.title == "SESSION_SETUP_ANDX request mid 2" })
        #expect(setup.verdict == .differs)
        let response = try #require(setup.fields.first { $0.name == "SessionSetupAndXRequest.UnicodePassword" })
        #expect(response.a?.hasSuffix("(24 bytes)") == true)
        let blobLength = try #require(response.b.flatMap { $0.split(separator: "(").last }.flatMap { Int($0.prefix { $0.isNumber }) })
        #expect(blobLength > 24 + 28, "the NTLMv2 response: a 16-byte proof and the blob")
        #expect(setup.fields.contains { $0.name == "SessionSetupAndXRequest.UnicodePasswordLen" && $0.a == "24 (0x0018)" })
        for name in ["session key", "MAC key"] {
            let row = try #require(diff.values.first { $0.thread == "reader" && $0.name == name }, "\(name)")
            #expect(row.differing == 1 && row.countA == 1 && row.countB == 1)
        }
        #expect(diff.values.first { $0.name == "MAC key" }?.firstA?.contains("(40 bytes)") == true)
        let lastSetup = try #require(diff.messages.lastIndex { $0.title.hasPrefix("SESSION_SETUP_ANDX") })
        let after = diff.messages[(lastSetup + 1)...]
        #expect(after.count >= 12)
        #expect(after.allSatisfy { $0.verdict == .signatureOnly }, "\(after.filter { $0.verdict != .signatureOnly })")
        // The text says it in short.
        let text = try CLIRunner.run(["diff", "ntlm", "ntlmv2", "--sign"]).stdout
        #expect(text.contains("  NEGOTIATE: the same in both runs.\n"))
        #expect(text.contains("  After the session setup, of \(after.count) messages: \(after.count) differ only in their signatures.\n"))
    }

    /// Unsigned, nothing after the session setup differs at all.
    @Test func unsignedRunsAgreeAfterTheSessionSetup() throws {
        let diff = try Self.diff(["ntlm", "ntlmv2"])
        let lastSetup = try #require(diff.messages.lastIndex { $0.title.hasPrefix("SESSION_SETUP_ANDX") })
        #expect(diff.messages[(lastSetup + 1)...].allSatisfy { $0.verdict == .same })
        #expect(diff.messages.first { $0.title == "SESSION_SETUP_ANDX request mid 2" }?.verdict == .differs)
    }

    /// Two saved traces; a trace against itself is the same throughout.
    @Test func twoFilesAndASettingWithTwoValues() throws {
        try withTemporaryDirectory { dir in
            let a = dir.appendingPathComponent("a.json").path, b = dir.appendingPathComponent("b.json").path
            #expect(try CLIRunner.run(["trace", "--sign", "-o", a]).status == 0)
            #expect(try CLIRunner.run(["trace", "--sign", "--seed", "2", "-o", b]).status == 0)
            let same = try Self.diff([a, a])
            #expect(same.messages.allSatisfy { $0.verdict == .same } && same.events.isEmpty && same.values.isEmpty)
            #expect(same.alikeEvents == same.a.events)
            let seeds = try Self.diff([a, b])
            #expect(seeds.settings == [TraceDiff.Change(name: "seed", a: "1", b: "2")])
            #expect(seeds.messages.contains { $0.verdict == .differs })
            let signing = try Self.diff(["sign", "off", "on", "--auth", "ntlm"])
            #expect(signing.settings == [TraceDiff.Change(name: "signing", a: "off", b: "on")])
            #expect(signing.a.label == "sign off" && signing.b.label == "sign on")
        }
        let bad = try CLIRunner.run(["diff", "colour", "red", "blue"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("diff: unknown setting 'colour'"))
        let one = try CLIRunner.run(["diff", "ntlm"])
        #expect(one.status == 2)
        #expect(one.stderr.contains("usage: diff A.json B.json"))
    }
}
