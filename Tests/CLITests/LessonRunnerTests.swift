import LessonFormat
import Testing
@testable import CifstepKit

/// The lesson runner against a stand-in host whose values the test sets.
@Suite struct LessonRunnerTests {
    final class FakeHost: LessonHost {
        var values: [String: String] = [:]
        var commands: [String] = []
        var failing: Set<String> = []

        func runCommand(_ line: String) -> (failed: Bool, message: String?) {
            commands.append(line)
            if line == "step" { values["n", default: "0"] = String(Int(values["n", default: "0"])! + 1) }
            return (failing.contains(line), "ran \(line)")
        }

        func check(_ condition: String) -> Result<(holds: Bool, values: [String]), LessonHostError> {
            let parts = condition.components(separatedBy: " == ")
            guard parts.count == 2, let value = values[parts[0]] else {
                return .failure(LessonHostError(message: "cannot read \(condition)"))
            }
            return .success((value == parts[1], ["\(parts[0]) = \(value)"]))
        }

        func value(at path: String) -> Result<String, LessonHostError> {
            values[path].map { .success($0) } ?? .failure(LessonHostError(message: "no path \(path)"))
        }
    }

    static let text = """
        # Counting

        Each step adds one.

        ```cifstep
        step
        expect n == 1
        hint it was 1, now one more
        predict n = 2
        step
        ```

        Then one more.

        ```cifstep
        step
        expect n == 4
        ```
        """

    static func lesson(_ text: String = text) throws -> Lesson { try LessonParser.parse(text, file: "count.md") }

    @Test func runningAllReportsEveryFailingCheckpointAndAnswerAtItsLine() throws {
        let host = FakeHost()
        host.values["n"] = "0"
        // `step` increments after the check of `predict n = 2` is made, so with n starting at 0:
        // step → 1 (expect 1 ✓), predict 2 ✗ (it is 1), step → 2, step → 3 (expect 4 ✗).
        var transcript: [String] = []
        let problems = LessonRunner(lesson: try Self.lesson(), host: host).runAll { transcript.append($0) }
        #expect(problems.map(\.description) == [
            "count.md:9: the lesson's answer 2 for n is wrong: it is 1",
            "count.md:17: checkpoint does not hold: expect n == 4 (n = 3)",
        ])
        #expect(host.commands == ["step", "step", "step"])
        #expect(transcript.contains("✓ expect n == 1  (n = 1)"))
        #expect(transcript.contains("cifstep> step"))
    }

    @Test func aStudentPredictsWronglyThenRightly() throws {
        let host = FakeHost()
        host.values["n"] = "0"
        let runner = LessonRunner(lesson: try Self.lesson(), host: host)
        var out: [String] = []
        _ = runner.next { out.append($0) }
        #expect(out.contains("Each step adds one."))
        #expect(runner.pendingPrediction?.path == "n")
        #expect(runner.hint() == "it was 1, now one more")
        #expect(runner.answer("banana", out: { out.append($0) }) == false)   // a name, compared and wrong
        #expect(out.last == "'lesson next' goes on." && out.contains("Not quite: 1 (you said banana)."))
        _ = runner.next { out.append($0) }  // the rest of step 1
        _ = runner.next { out.append($0) }  // step 2: n == 2 → 3, expect 4 fails
        #expect(runner.isFinished)
    }

    @Test func aRightAnswerSaysSoAndAFailedCommandIsAProblem() throws {
        let host = FakeHost()
        host.values["n"] = "1"
        host.failing = ["step"]
        let runner = LessonRunner(lesson: try Self.lesson(), host: host)
        var out: [String] = []
        let problems = runner.next { out.append($0) }
        #expect(problems.first?.description == "count.md:6: the command 'step' failed: ran step")
        // n was 1; the (failed) step still counted: 2.
        #expect(runner.answer("2", out: { out.append($0) }) == true)
        #expect(out.contains("Right: 2."))
    }

    @Test func placeholdersComeFromTheEnvironmentAndMissingOnesAreNamed() throws {
        let lesson = try Self.lesson("# S\n```cifstep\nrun server=//${CIFSTEP_SAMBA}/share/x user=${USER_X}\n```\n")
        let host = FakeHost()
        #expect(LessonRunner(lesson: lesson, host: host, environment: [:]).missingVariables == ["CIFSTEP_SAMBA", "USER_X"])
        let runner = LessonRunner(lesson: lesson, host: host, environment: ["CIFSTEP_SAMBA": "h:1", "USER_X": "bob"])
        #expect(runner.missingVariables.isEmpty)
        _ = runner.runAll { _ in }
        #expect(host.commands == ["run server=//h:1/share/x user=bob"])
    }
}
