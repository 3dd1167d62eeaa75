import ArgumentParser
import Foundation
import Stepper
import TraceRender

/// `cifstep trace`: runs a stepper scenario to the end with nobody at the keyboard and writes
/// its trace document — the events the REPL would show for the same scenario, byte for byte.
struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Run a stepper scenario to the end, headless, and write its trace (JSON, Markdown, HTML, pcapng or pcap).",
        discussion: """
            The run is the REPL's (same scenario flags, same defaults: Linux 3.8's rsize 61440 and \
            15-page readahead), driven with no breakpoints until it ends; the file holds the \
            scenario, every scheduling decision and every event (docs/trace-format.md). The same \
            flags give a byte-identical file in any process, equal to the REPL's 'export' at the \
            same event. The extension of -o picks the format: .json (the trace document), .md (a \
            handout), .html (one self-contained page), .pcapng (the wire, a comment per packet) or \
            .pcap (docs/exports.md).

            The file appears only once complete (written beside it, then renamed); an existing \
            file is replaced only with --force. A run that fails (a missing file, a refused \
            login) exits with status 1 and one line naming the cause, and writes nothing unless \
            --keep-failed is given. Bad flags exit with status 2. On success one line on stderr \
            gives the events, the decisions, how the run ended and its speed.
            """
    )

    @OptionGroup var source: SessionOptions
    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the trace: FILE.json, .md, .html, .pcapng or .pcap (- for JSON on stdout).",
                                                    valueName: "FILE"))
    var output: String
    @Option(help: ArgumentHelp("Stop after event N instead of running to the end.", valueName: "N"))
    var until: Int?
    @Flag(help: "Replace an existing output file.") var force = false
    @Flag(help: "Write the trace also when the run fails (the exit status is still 1).") var keepFailed = false

    func run() throws {
        if source.replay == nil {
            _ = try source.scenarioWithServer()
            _ = try source.scenario.parsedFaults()
        }
        if let until, until < 1 { throw CLIError.usage("--until: expected an event number ≥ 1, got \(until)") }
        let format = try TraceFile.format(of: output, flag: "-o")
        let out = try OutputFile(path: output, overwrite: force)

        let started = ProgressBar.nowNanos()
        let session = try source.makeSession()
        defer { session.close() }
        let stop: StopReason?
        switch session.execute(until.map { .goto(event: $0) } ?? .continue) {
        case let .success(result): stop = result.stop
        case let .failure(error): throw CLIError.failure("trace: \(error)")
        }
        let ran = ProgressBar.nowNanos()
        let events = session.position
        let decisions = session.decisions.count

        let ending: String
        var failure: String?
        switch session.outcome {
        case let .completed(bytes)?:
            ending = "completed: \(bytes) bytes read"
                + (session.firstWrongByte.map { " (differing from the file from byte \($0): what 3.8 did)" } ?? "")
        case let outcome?:
            ending = "failed"
            failure = "trace: " + Self.describe(outcome, at: events)
        case nil:
            // Only --until stops a run that is not over.
            ending = stop == .done ? "stopped at event \(events) (--until)" : "stopped at event \(events)"
        }
        if let failure, !keepFailed {
            out.discard()
            throw CLIError.failure(failure + "; nothing written (--keep-failed writes the trace of a failed run)")
        }

        let size = try TraceFile.write(TraceDocument(session: session), as: format, to: out)
        let wrote = ProgressBar.nowNanos()
        if let failure { throw CLIError.failure(failure + "; trace written to \(output)") }

        let runSeconds = Double(ran - started) / 1e9
        let writeSeconds = Double(wrote - ran) / 1e9
        let rate = runSeconds > 0 ? Int((Double(events) / runSeconds).rounded()) : 0
        let destination = output == "-" ? "stdout" : output
        Terminal.writeError(
            "trace: \(events) events, \(decisions) decisions, \(ending); "
                + "run \(Formatting.decimal(runSeconds, places: 3)) s (\(rate) events/s); "
                + "\(size) bytes to \(destination) in \(Formatting.decimal(writeSeconds, places: 3)) s\n")
    }

    /// How a run that did not complete ended, at which event, in one clause.
    static func describe(_ outcome: RunOutcome, at event: Int) -> String {
        switch outcome {
        case let .completed(bytes):
            return "the run completed at event \(event): \(bytes) bytes read"
        case let .programFailed(failure):
            return "the \(failure.thread) failed at event \(event): \(failure.error)"
                + (failure.errno.map { " (errno \($0))" } ?? "")
        case let .runtimeFailed(reason):
            return "the run stopped at event \(event): \(reason)"
        case let .couldNotStart(reason):
            return "the run could not start: \(reason)"
        }
    }
}
