import Foundation
import Testing

/// `show` is where an event's message is read whole: wrapped within 100 columns, never cut.
@Suite struct ShowWholeMessageTests {
    @Test func showWrapsTheWholeMessage() throws {
        let script = "set sign on\ninject bad-signature:6\nbreak cifs_verify_signature if mid == 6\ncontinue\nfinish\nshow\n"
        let r = try CLIRunner.run(["repl", "--no-color"], stdin: Data(script.utf8))
        #expect(r.status == 0, "\(r.stderr)")
        let shown = try #require(r.stdout.components(separatedBy: "> show\n").last)
        // The event line of `finish` was cut; `show` has every word of the message.
        let joined = shown.split(separator: "\n").prefix(3).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        #expect(joined.contains("SMB signature verification returned error = -13 (EACCES)"), "\(shown)")
        #expect(joined.contains("the data is used anyway"), "\(shown)")
        #expect(r.stdout.split(separator: "\n").allSatisfy { $0.count <= 100 })
    }
}
