import LessonFormat
import Testing

@Suite struct LessonParserTests {
    static let sample = """
        # 1. Negotiate

        The client asks first.

        ```cifstep
        reset auth=ntlm
        # run to the function
        break CIFSSMBNegotiate

        continue
        expect ses.status == "new"
        hint the challenge is 8 bytes
        predict server.cryptKey
        predict server.sequenceNumber = 0
        ```

        ```sh
        # not run: a shell example
        cifstep trace -o run.json
        ```

        More prose.
        """

    @Test func stepsActionsAndLinesAreRead() throws {
        let lesson = try LessonParser.parse(Self.sample, file: "01.md")
        #expect(lesson.title == "1. Negotiate")
        #expect(lesson.steps.count == 2)
        #expect(lesson.steps[0].prose == ["# 1. Negotiate", "", "The client asks first.", ""])
        #expect(lesson.steps[0].actions == [
            LessonAction(.command("reset auth=ntlm"), line: 6),
            LessonAction(.command("break CIFSSMBNegotiate"), line: 8),
            LessonAction(.command("continue"), line: 10),
            LessonAction(.expect("ses.status == \"new\""), line: 11),
            LessonAction(.hint("the challenge is 8 bytes"), line: 12),
            LessonAction(.predict(path: "server.cryptKey", answer: nil), line: 13),
            LessonAction(.predict(path: "server.sequenceNumber", answer: "0"), line: 14),
        ])
        // Other code blocks are prose, shown as written.
        #expect(lesson.steps[1].actions.isEmpty)
        #expect(lesson.steps[1].prose.contains("cifstep trace -o run.json"))
        #expect(lesson.steps[1].prose.last == "More prose.")
    }

    @Test(arguments: [
        ("no title\n```cifstep\nstep\n```\n", 1, "title"),
        ("# T\n```cifstep\nstep\n", 2, "never closed"),
        ("# T\n```cifstep\nexpect\n```\n", 3, "condition"),
        ("# T\n```cifstep\npredict\n```\n", 3, "path"),
        ("# T\n```cifstep\npredict a b\n```\n", 3, "one path"),
        ("# T\n```cifstep\npredict a =\n```\n", 3, "answer is missing"),
        ("# T\n```cifstep\nhint\n```\n", 3, "text"),
        ("# T\n```cifstep\nstep \u{1b}[A\n```\n", 3, "control character"),
        ("# T\n\nonly prose\n", 0, "nothing to run"),
    ])
    func malformedLessonsNameTheLine(_ text: String, _ line: Int, _ words: String) {
        do {
            _ = try LessonParser.parse(text, file: "x.md")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.errors.first?.line == line, "\(error)")
            #expect(error.errors.first?.message.contains(words) == true, "\(error)")
        }
    }

    @Test func everyProblemIsReportedNotOnlyTheFirst() {
        do {
            _ = try LessonParser.parse("# T\n```cifstep\nexpect\nstep\nhint\n```\n", file: "x.md")
            Issue.record("accepted")
        } catch {
            #expect(error.errors.map(\.line) == [3, 5])
        }
    }

    @Test func oversizedInputIsRefusedWithoutReadingIt() {
        let huge = "# T\n```cifstep\n" + String(repeating: "x", count: LessonParser.maximumCommandLength + 1) + "\n```\n"
        #expect(throws: LessonFormatErrors.self) { try LessonParser.parse(huge, file: "x.md") }
        let file = String(repeating: "a", count: LessonParser.maximumFileSize + 1)
        #expect(throws: LessonFormatErrors.self) { try LessonParser.parse(file, file: "x.md") }
    }

    @Test func windowsLineEndingsReadLikeUnixOnes() throws {
        let crlf = Self.sample.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n")
        #expect(crlf.utf8.count > Self.sample.utf8.count)
        #expect(try LessonParser.parse(crlf, file: "01.md") == LessonParser.parse(Self.sample, file: "01.md"))
    }

    @Test func longerFencesAndTildesWork() throws {
        let lesson = try LessonParser.parse("# T\n~~~~ cifstep\nstep\n```\nnot a close\n~~~~\n", file: "x.md")
        #expect(lesson.actions.map(\.kind) == [.command("step"), .command("```"), .command("not a close")])
    }
}
