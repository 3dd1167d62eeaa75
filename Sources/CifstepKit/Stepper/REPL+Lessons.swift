import Foundation
import LessonFormat
import Stepper

/// The last line the REPL wrote.
final class OutputMemory {
    var line: String?
}

// `lesson …` in the REPL, and the REPL as what a lesson drives.
extension REPL: LessonHost {
    /// Whether `line` reads as a REPL command (its first word names one), not as an answer.
    static func isCommand(_ line: String) -> Bool {
        guard let word = line.split(separator: " ").first.map(String.init) else { return false }
        return ["lesson", "help", "h", "?", "quit", "q"].contains(word)
    }

    /// `lesson list|start NAME|next|hint|stop`.
    func lesson(_ words: [String]) -> Outcome {
        let usage = "usage: lesson list | lesson start NUMBER|NAME|FILE.md | lesson next | lesson hint | lesson stop"
        switch words.first {
        case "list"?:
            for lesson in EmbeddedLesson.all {
                let title = (try? lesson.parsed().title) ?? lesson.name
                say("  \(lesson.name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(title)")
            }
            say("'lesson start 1' begins the first.")
        case "start"?:
            guard words.count == 2 else { say(usage); return .failed(ScriptStatus.badCommand) }
            let lesson: Lesson
            do {
                lesson = try EmbeddedLesson.find(words[1]).parsed()
            } catch let error as LessonLookupError {
                say("lesson: \(error)")
                return .failed(ScriptStatus.badCommand)
            } catch let error as LessonProblems {
                for problem in error.problems { say(problem.description) }
                return .failed(ScriptStatus.badCommand)
            } catch {
                say("lesson: \(error)")
                return .failed(ScriptStatus.badCommand)
            }
            let runner = LessonRunner(lesson: lesson, host: self)
            if !runner.missingVariables.isEmpty {
                say("lesson: '\(lesson.title)' needs \(runner.missingVariables.joined(separator: ", ")) set in the "
                    + "environment (a Samba server as HOST:PORT and its account: scripts/test sets them)")
                return .failed(ScriptStatus.badCommand)
            }
            lessonRunner = runner
            say("Lesson: \(lesson.title) (\(lesson.steps.count) steps; 'lesson next' goes on, 'lesson hint' helps)")
            return lessonStep(runner)
        case "next"?, nil:
            guard let runner = lessonRunner else { say("no lesson started: 'lesson list', then 'lesson start 1'"); return .ok }
            return lessonStep(runner)
        case "hint"?:
            guard let runner = lessonRunner else { say("no lesson started"); return .ok }
            say("Hint: " + runner.hint())
        case "stop"?:
            lessonRunner = nil
            say("lesson stopped; the run stays where it is")
        default:
            say(usage)
            return .failed(ScriptStatus.badCommand)
        }
        return .ok
    }

    private func lessonStep(_ runner: LessonRunner) -> Outcome {
        let problems = runner.next(out: say)
        for problem in problems { say("lesson: \(problem)") }
        if runner.isFinished { lessonRunner = nil }
        return problems.isEmpty ? .ok : .failed(ScriptStatus.expectFailed)
    }

    private func say(_ text: String) {
        out(text)
    }

    // MARK: LessonHost

    func runCommand(_ line: String) -> (failed: Bool, message: String?) {
        lastOutput.line = nil
        switch handle(line) {
        case .ok: return (false, nil)
        case .quit: return (true, "quit ends the session, not a lesson")
        case .failed: return (true, lastOutput.line)
        }
    }

    func check(_ condition: String) -> Result<(holds: Bool, values: [String]), LessonHostError> {
        switch session.execute(.evaluate(condition: condition)) {
        case let .failure(error):
            return .failure(LessonHostError(message: error.description))
        case let .success(result):
            guard case let .condition(holds, values) = result.report else {
                return .failure(LessonHostError(message: "not a condition"))
            }
            return .success((holds, values.map { "\($0.path) = \($0.value.map(\.description) ?? "nothing")" }))
        }
    }

    func value(at path: String) -> Result<String, LessonHostError> {
        switch session.execute(.print(path: path)) {
        case let .failure(error):
            return .failure(LessonHostError(message: error.description))
        case let .success(result):
            if let value = result.report.printedValue {
                if case let .text(text) = value, text.isEmpty { return .success("\"\"") }
                return .success(value.description)
            }
            if case let .absent(_, reason) = result.report { return .success("nothing (\(reason))") }
            return .success("(an object: 'print \(path)' shows its fields)")
        }
    }
}
