import ArgumentParser
import Foundation
import LessonFormat
import Stepper
import TraceRender

/// `cifstep lesson`: the lessons headless — list them, run one as a transcript, check them all.
struct LessonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson",
        abstract: "Run the executable lessons headless: list, run one, check them.",
        discussion: """
            A lesson is a Markdown handout in Lessons/ whose ```cifstep blocks the stepper runs \
            (Lessons/README.md). In the REPL, 'lesson start NAME' walks a student through one.
            """,
        subcommands: [List.self, Run.self, Check.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The lessons built into cifstep.")

        func run() throws {
            for lesson in EmbeddedLesson.all {
                let title = (try? lesson.parsed().title) ?? "(does not parse: 'cifstep lesson check' says why)"
                print("\(lesson.name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(title)")
            }
        }
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one lesson to its end and print its transcript (predictions answered with the lesson's answers).")

        @Argument(help: "A number (4), a name (04-bad-signature) or a Markdown file.") var name: String
        @Option(name: .shortAndLong, help: ArgumentHelp(
            "Also write the run as it stands at the lesson's end; the extension names the format: "
                + ".json, .md, .html, .pcapng or .pcap.", valueName: "FILE"))
        var output: String?
        @Flag(help: "Replace an existing output file.") var force = false

        func run() throws {
            let lesson = try LessonCommand.load(name)
            let export = try output.map { path in
                (format: try TraceFile.format(of: path, flag: "-o"), file: try OutputFile(path: path, overwrite: force))
            }
            let outcome = try LessonCommand.run(lesson, transcript: { print($0) }) { session in
                guard let export else { return }
                try TraceFile.write(TraceDocument(session: session), as: export.format, to: export.file)
            }
            switch outcome {
            case let .skipped(why):
                Terminal.writeError("lesson: skipped: \(why)\n")
            case let .ran(problems):
                for problem in problems { Terminal.writeError("\(problem)\n") }
                if !problems.isEmpty { throw ExitCode(1) }
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run lessons and verify every checkpoint and every stated prediction; report file:line for each problem.",
            discussion: """
                Without FILES: Lessons/NN-*.md under the current directory when there are any, else the \
                lessons built into cifstep. A lesson whose ${VARIABLE}s are not set is skipped (under \
                CI=true that is an error). Exit status 1 when anything failed.
                """)

        @Argument(help: "Lesson files (Markdown).") var files: [String] = []

        func run() throws {
            let lessons = try files.isEmpty ? LessonCommand.defaultLessons() : files.map(LessonCommand.read)
            let strict = ProcessInfo.processInfo.environment["CI"] == "true"
            var failed = 0
            var skipped = 0
            for source in lessons {
                let started = ProgressBar.nowNanos()
                let problems: [LessonProblem]
                var note = ""
                switch Result(catching: { () throws(LessonProblems) -> Lesson in try source.parsed() }) {
                case let .failure(error):
                    problems = error.problems
                case let .success(lesson):
                    switch LessonCommand.run(lesson, transcript: { _ in }, finished: { _ in }) {
                    case let .skipped(why):
                        problems = strict ? [LessonProblem(file: source.file, line: 0, message: "skipped under CI=true: \(why)")] : []
                        if !strict { skipped += 1; note = " (skipped: \(why))" }
                    case let .ran(found):
                        problems = found
                    }
                }
                let seconds = Double(ProgressBar.nowNanos() - started) / 1e9
                for problem in problems { print(problem.description) }
                if !problems.isEmpty { failed += 1 }
                print("\(problems.isEmpty ? "ok  " : "FAIL") \(source.file) \(Formatting.decimal(seconds, places: 3)) s\(note)")
            }
            print("\(lessons.count) lessons: \(lessons.count - failed - skipped) passed, \(failed) failed, \(skipped) skipped")
            if failed > 0 { throw ExitCode(1) }
        }
    }

    /// How a headless run went.
    enum Outcome {
        case skipped(String)
        case ran([LessonProblem])
    }

    /// Runs `lesson` from a fresh session, all at once, writing its transcript; `finished` then
    /// sees the session (to export it).
    static func run(_ lesson: Lesson, transcript: @escaping (String) -> Void,
                    finished: (StepperSession) throws -> Void = { _ in }) rethrows -> Outcome {
        let repl = REPL(session: StepperSession(scenario: Scenario()), color: false, output: transcript)
        defer { repl.session.close() }
        let runner = LessonRunner(lesson: lesson, host: repl)
        if !runner.missingVariables.isEmpty {
            return .skipped("'\(lesson.title)' needs \(runner.missingVariables.joined(separator: ", ")) "
                + "(a Samba server as HOST:PORT and its account; scripts/test sets them)")
        }
        let problems = runner.runAll(out: transcript)
        try finished(repl.session)
        return .ran(problems)
    }

    static func load(_ name: String) throws -> Lesson {
        do {
            return try EmbeddedLesson.find(name).parsed()
        } catch let error as LessonProblems {
            throw CLIError.failure(error.problems.map(\.description).joined(separator: "\n"))
        } catch {
            throw CLIError.usage("lesson: \(error)")
        }
    }

    static func read(_ path: String) throws -> EmbeddedLesson {
        do {
            return try EmbeddedLesson.find(path.hasSuffix(".md") ? path : path + ".md")
        } catch {
            throw CLIError.usage("lesson check: \(error)")
        }
    }

    /// Lessons/NN-*.md here, else the built-in ones.
    static func defaultLessons() throws -> [EmbeddedLesson] {
        let directory = "Lessons"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let files = names.filter { $0.range(of: #"^\d\d-.*\.md$"#, options: .regularExpression) != nil }.sorted()
        if files.isEmpty { return EmbeddedLesson.all }
        return try files.map { try read(directory + "/" + $0) }
    }
}
