import Foundation
import LessonFormat
import Testing
@testable import CifstepKit

/// A student following lesson 1 in the real REPL: starts it, steps through it, answers one
/// prediction wrongly and the next rightly.
@Suite(.serialized) struct LessonTmuxTests {
    @Test func aStudentAnswersOnePredictionWronglyAndTheNextRightly() throws {
        guard TmuxREPL.usable() else { return }
        let lesson = try EmbeddedLesson.find("1").parsed()
        // Which step asks for the dialect, and which for extended security (the lesson's own order).
        let predictions = lesson.steps.enumerated().flatMap { index, step in
            step.actions.compactMap { action -> (step: Int, path: String, answer: String?)? in
                if case let .predict(path, answer) = action.kind { return (index, path, answer) }
                return nil
            }
        }
        try #require(predictions.count >= 2)
        let first = predictions[0], second = predictions[1]
        let right = try #require(second.answer)

        let repl = try TmuxREPL(["repl"], noColor: true)
        defer { repl.close() }
        try repl.waitFor("cifstep[0]>")
        try repl.type("lesson start 1")
        // `lesson start` runs step 1; each `lesson next` one more step until the first prediction.
        for _ in 0..<first.step {
            try repl.waitFor("'lesson next'")
            try repl.type("lesson next")
        }
        try repl.waitFor("Predict: what is \(first.path) now?")
        try repl.type("lesson hint")
        try repl.waitFor("Hint: ")
        // A wrong answer: a number nobody would get here.
        try repl.type("12345")
        try repl.waitFor("Not quite: ")
        try repl.waitFor("(you said 12345).")
        // On to the next prediction: the rest of this step, then the steps up to it (a `lesson
        // next` typed while a prediction waits only says so).
        for _ in first.step...second.step {
            try repl.type("lesson next")
        }
        try repl.waitFor("Predict: what is \(second.path) now?")
        try repl.type(right)
        let screen = try repl.waitFor("Right: ")
        #expect(screen.contains("Right: \(right)."))
        try repl.type("quit")
        try repl.waitUntilExited()
    }
}
