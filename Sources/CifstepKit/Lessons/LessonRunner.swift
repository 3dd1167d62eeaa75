import Foundation
import LessonFormat

/// What a lesson drives: the REPL, or a stand-in in tests.
protocol LessonHost: AnyObject {
    /// Runs one REPL command line, its output going where the host writes; returns whether it
    /// failed and, if so, the last line it wrote (the error).
    func runCommand(_ line: String) -> (failed: Bool, message: String?)
    /// Whether `condition` holds now, with the values it read (one line each), or why it could
    /// not be evaluated.
    func check(_ condition: String) -> Result<(holds: Bool, values: [String]), LessonHostError>
    /// The value at `path` now, as the REPL prints it, or why not.
    func value(at path: String) -> Result<String, LessonHostError>
}

/// Why the host could not check a condition or read a path.
struct LessonHostError: Error, Equatable, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// A problem a lesson run found, at its line.
struct LessonProblem: Equatable, CustomStringConvertible {
    var file: String
    var line: Int
    var message: String
    var description: String { "\(file):\(line): \(message)" }
}

/// Runs a ``Lesson`` against a ``LessonHost``: step by step for a student (``next(out:)``,
/// ``answer(_:out:)``, ``hint()``), or all at once for a transcript and a check (``runAll(out:)``).
final class LessonRunner {
    let lesson: Lesson
    private let host: LessonHost
    /// Values for `${NAME}` placeholders.
    private let environment: [String: String]
    /// The next step to show, and the next action of the step being run.
    private(set) var stepIndex = 0
    private var actionIndex = 0
    private var stepShown = false
    /// The hint for what comes next, once a `hint` line has been passed.
    private var currentHint: String?
    /// A prediction waiting for the student's answer.
    private(set) var pendingPrediction: (path: String, answer: String?, line: Int)?

    init(lesson: Lesson, host: LessonHost, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.lesson = lesson
        self.host = host
        self.environment = environment
    }

    /// The `${NAME}` placeholders the lesson uses that the environment does not set.
    var missingVariables: [String] {
        var missing: [String] = []
        for action in lesson.actions {
            for name in Self.placeholders(in: Self.text(of: action)) where environment[name] == nil && !missing.contains(name) {
                missing.append(name)
            }
        }
        return missing
    }

    /// Whether every step has run.
    var isFinished: Bool { stepIndex >= lesson.steps.count && pendingPrediction == nil }

    // MARK: All at once

    /// Runs every step, writing a transcript; returns the problems (a command that failed, a
    /// checkpoint that does not hold, a stated answer that is not the value).
    func runAll(out: (String) -> Void) -> [LessonProblem] {
        var problems: [LessonProblem] = []
        for step in lesson.steps {
            for line in step.prose { out(line) }
            for action in step.actions {
                problems += perform(action, interactive: false, out: out)
            }
        }
        stepIndex = lesson.steps.count
        return problems
    }

    // MARK: Step by step

    /// Shows the next step's prose and runs its actions up to the next prediction (which then
    /// waits for ``answer(_:out:)``) or the end of the step.
    func next(out: (String) -> Void) -> [LessonProblem] {
        if let pending = pendingPrediction {
            out("First your prediction: what is \(pending.path) now? (type the value, or 'lesson hint')")
            return []
        }
        guard stepIndex < lesson.steps.count else {
            out("The lesson is over: \(lesson.title). 'lesson list' shows the others.")
            return []
        }
        let step = lesson.steps[stepIndex]
        if !stepShown {
            for line in step.prose { out(line) }
            stepShown = true
        }
        var problems: [LessonProblem] = []
        while actionIndex < step.actions.count {
            let action = step.actions[actionIndex]
            actionIndex += 1
            problems += perform(action, interactive: true, out: out)
            if pendingPrediction != nil { return problems }
        }
        finishStep(out: out)
        return problems
    }

    /// The student's answer to the pending prediction: compared with the live value, which is
    /// then shown. Returns whether it was right (`nil` when no prediction waits or the answer
    /// could not be read).
    @discardableResult
    func answer(_ text: String, out: (String) -> Void) -> Bool? {
        guard let pending = pendingPrediction else { return nil }
        let answer = text.trimmingCharacters(in: .whitespaces)
        guard !answer.isEmpty else {
            out("Type your prediction for \(pending.path) (or 'lesson hint').")
            return nil
        }
        switch host.check("\(pending.path) == \(answer)") {
        case let .failure(error):
            out("I could not read '\(answer)' as a value for \(pending.path): \(error). Try again.")
            return nil
        case let .success((holds, _)):
            pendingPrediction = nil
            let actual = (try? host.value(at: pending.path).get()) ?? "?"
            out(holds ? "Right: \(actual)." : "Not quite: \(actual) (you said \(answer)).")
            if actionIndex >= lesson.steps[stepIndex].actions.count { finishStep(out: out) }
            else { out("'lesson next' goes on.") }
            return holds
        }
    }

    /// The hint for what comes next, if the lesson gives one.
    func hint() -> String {
        currentHint ?? "No hint here: read the prose above again, or 'help' for the commands."
    }

    private func finishStep(out: (String) -> Void) {
        stepIndex += 1
        actionIndex = 0
        stepShown = false
        currentHint = nil
        out(stepIndex < lesson.steps.count
            ? "('lesson next' for step \(stepIndex + 1) of \(lesson.steps.count))"
            : "End of the lesson: \(lesson.title).")
    }

    // MARK: Actions

    private func perform(_ action: LessonAction, interactive: Bool, out: (String) -> Void) -> [LessonProblem] {
        func problem(_ message: String) -> [LessonProblem] {
            [LessonProblem(file: lesson.file, line: action.line, message: message)]
        }
        switch action.kind {
        case let .command(raw):
            let line = expand(raw)
            out("cifstep> \(line)")
            let result = host.runCommand(line)
            return result.failed ? problem("the command '\(line)' failed: \(result.message ?? "")") : []
        case let .expect(raw):
            let condition = expand(raw)
            switch host.check(condition) {
            case let .failure(error):
                out("✗ expect \(condition): \(error)")
                return problem("expect \(condition): \(error)")
            case let .success((holds, values)):
                out((holds ? "✓ " : "✗ ") + "expect \(condition)" + (values.isEmpty ? "" : "  (" + values.joined(separator: ", ") + ")"))
                return holds ? [] : problem("checkpoint does not hold: expect \(condition) (" + values.joined(separator: ", ") + ")")
            }
        case let .hint(text):
            currentHint = text
            return []
        case let .predict(path, answer):
            if interactive {
                pendingPrediction = (path, answer, action.line)
                out("Predict: what is \(path) now? Type your answer ('lesson hint' for a hint).")
                return []
            }
            let actual: String
            switch host.value(at: path) {
            case let .failure(error): return problem("predict \(path): \(error)")
            case let .success(value): actual = value
            }
            guard let answer else {
                out("predict \(path): \(actual)")
                return []
            }
            switch host.check("\(path) == \(answer)") {
            case let .failure(error):
                return problem("predict \(path) = \(answer): the answer is not a value: \(error)")
            case let .success((holds, _)):
                out("predict \(path) = \(answer): \(holds ? "✓" : "✗") it is \(actual)")
                return holds ? [] : problem("the lesson's answer \(answer) for \(path) is wrong: it is \(actual)")
            }
        }
    }

    /// `${NAME}` replaced by the environment's value (left as is when unset).
    private func expand(_ text: String) -> String {
        var result = text
        for name in Self.placeholders(in: text) {
            if let value = environment[name] { result = result.replacingOccurrences(of: "${\(name)}", with: value) }
        }
        return result
    }

    static func placeholders(in text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { break }
            let name = String(rest[open.upperBound..<close])
            if !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) { names.append(name) }
            rest = rest[rest.index(after: close)...]
        }
        return names
    }

    static func text(of action: LessonAction) -> String {
        switch action.kind {
        case let .command(text), let .expect(text), let .hint(text): return text
        case let .predict(path, answer): return path + (answer.map { " = " + $0 } ?? "")
        }
    }
}
