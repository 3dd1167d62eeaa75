import Foundation
import Testing
@testable import KernelRuntime

/// Stepped-runtime throughput on ``SteppedProgram`` (4 threads, 105,001 events with buffers and
/// diffs), printed only. Run with `Benchmarks/stepped-runtime.sh`, or
/// `CIFSTEP_BENCH=1 swift test -c release --filter SteppedBenchmarks`.
/// No timing assertions (the machine is shared); the checks only guard correctness.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["CIFSTEP_BENCH"] != nil))
struct SteppedBenchmarks {
    static let pages = Int(ProcessInfo.processInfo.environment["CIFSTEP_BENCH_PAGES"] ?? "") ?? 7_000
    static let seed: UInt64 = 1
    /// The stepper's `goto 10000`: a replay from the start to this event.
    static let gotoEvent = 10_000

    private struct Run {
        let runtime: SteppedRuntime
        let program: SteppedProgram
    }

    private func start(_ runtime: SteppedRuntime) -> Run {
        let program = SteppedProgram(runtime: runtime, pageCount: Self.pages)
        runtime.spawn(name: "reader") { try program.reader() }
        return Run(runtime: runtime, program: program)
    }

    /// Process CPU seconds (user + system) and context switches (voluntary + involuntary) so far:
    /// less sensitive than wall time to what else the shared machine runs.
    private func usage() -> (cpu: Double, switches: Int) {
        var u = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &u)
        #else
        getrusage(RUSAGE_SELF, &u)
        #endif
        let cpu = Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec)
            + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
        return (cpu, u.ru_nvcsw + u.ru_nivcsw)
    }

    @discardableResult
    private func measure(_ label: String, events: () -> Int, _ body: () throws -> Void) rethrows -> Double {
        let before = usage()
        let start = monotonicNanoseconds()
        try body()
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        let after = usage()
        let count = Double(events())
        print(String(format: "BENCH stepped %@: %.0f events in %.3f s = %.0f events/s (%.1f µs/event; CPU %.1f µs/event; %.2f context switches/event)",
                     label, count, seconds, count / seconds, seconds * 1e6 / count,
                     (after.cpu - before.cpu) * 1e6 / count, Double(after.switches - before.switches) / count))
        return seconds
    }

    private func checkComplete(_ run: Run) throws {
        try run.runtime.runToCompletion()  // nothing left to run; rethrows a thread's failure
        #expect(run.program.results.count == Self.pages)
        #expect(run.runtime.recordedEventCount == run.program.eventCount)
    }

    @Test func throughput() throws {
        // One event per call, as the REPL's `step` does.
        let stepped = start(SteppedRuntime(seed: Self.seed))
        measure("step() one at a time, seeded random", events: { stepped.runtime.recordedEventCount }) {
            while (try? stepped.runtime.step()) ?? nil != nil {}
        }
        try checkComplete(stepped)
        let decisions = stepped.runtime.decisions
        print(String(format: "BENCH stepped decisions: %d for %d events (%.2f per event)",
                     decisions.count, stepped.runtime.recordedEventCount,
                     Double(decisions.count) / Double(stepped.runtime.recordedEventCount)))

        // A breakpoint that never hits: the stepper's `continue`.
        let running = start(SteppedRuntime(seed: Self.seed))
        measure("run(until:) never stopping, seeded random", events: { running.runtime.recordedEventCount }) {
            _ = try? running.runtime.run { $0.function == "no_such_function" }
        }
        try checkComplete(running)
        #expect(running.runtime.trace.events == stepped.runtime.trace.events)
        #expect(running.runtime.decisions == decisions)

        let completed = start(SteppedRuntime(seed: Self.seed))
        measure("runToCompletion, seeded random", events: { completed.runtime.recordedEventCount }) {
            try? completed.runtime.runToCompletion()
        }
        try checkComplete(completed)

        let kept = start(SteppedRuntime(seed: Self.seed, policy: .keepRunning))
        measure("run(until:) never stopping, keep running", events: { kept.runtime.recordedEventCount }) {
            _ = try? kept.runtime.run { $0.function == "no_such_function" }
        }
        try checkComplete(kept)

        // The runtime's own cost per event: one thread, so every decision keeps it running.
        let alone = SteppedRuntime(seed: Self.seed)
        let count = 200_000
        alone.spawn(name: "alone") {
            for i in 0..<count { try alone.tracepoint("tick", .note, "tick \(i)") }
        }
        measure("run(until:) one thread, bare tracepoints", events: { alone.recordedEventCount }) {
            _ = try? alone.run { $0.function == "no_such_function" }
        }
        #expect(alone.recordedEventCount == count)

        // `goto N` from the stepper: a fresh replay of the recorded decisions up to event N.
        for attempt in 1...3 {
            let replay = start(stepped.runtime.makeReplay())
            let seconds = try measure("replay to event \(Self.gotoEvent) (attempt \(attempt))",
                                      events: { replay.runtime.recordedEventCount }) {
                try replay.runtime.run(untilEvent: Self.gotoEvent)
            }
            print(String(format: "BENCH stepped goto %d: %.3f s", Self.gotoEvent, seconds))
            #expect(replay.runtime.trace.events == Array(stepped.runtime.trace.events.prefix(Self.gotoEvent)))
            let abortStart = monotonicNanoseconds()
            replay.runtime.abort()
            print(String(format: "BENCH stepped abort after goto: %.1f ms",
                         Double(monotonicNanoseconds() - abortStart) / 1e6))
        }

        let full = start(stepped.runtime.makeReplay())
        measure("full replay (run(untilEvent:) past the end)", events: { full.runtime.recordedEventCount }) {
            _ = try? full.runtime.run(untilEvent: .max)
        }
        try checkComplete(full)
        #expect(full.runtime.trace.events == stepped.runtime.trace.events)
    }
}
