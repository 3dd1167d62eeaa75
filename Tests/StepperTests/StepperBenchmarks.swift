import Foundation
import KernelRuntime
import Stepper
import Testing
import TraceRender

/// Figures for the pinned scenario, printed as `BENCH …` lines, never asserted (the machine is
/// shared): run with `CIFSTEP_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter
/// StepperBenchmarks`, or Benchmarks/stepper-speed.sh. The checks only guard correctness.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["CIFSTEP_BENCH"] != nil))
struct StepperBenchmarks {
    /// ntlmssp, signed, a 16 MiB file, the teaching order (issue 7's pinned scenario).
    static let pinned = Scenario(auth: .ntlmssp, signing: .on, file: "random-16m.bin", policy: .teaching)

    private func seconds(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    private func report(_ label: String, _ seconds: Double, events: Int? = nil) {
        var line = String(format: "BENCH %@: %.3f s", label, seconds)
        if let events { line += String(format: " (%d events, %.0f events/s)", events, Double(events) / seconds) }
        print(line)
    }

    /// A finished run, then `goto 10000` (a replay from the start), `goto 0` and `goto 10000` again.
    @Test func gotoOnAFinishedRun() throws {
        let session = StepperSession(scenario: Self.pinned)
        defer { session.close() }
        var finished: Result<CommandResult, StepperError>?
        let run = seconds { finished = session.execute(.continue) }
        report("headless run to the end (session .continue)", run, events: session.position)
        _ = try #require(try finished?.get())
        #expect(session.outcome == .completed(bytesRead: 16 << 20))
        let total = session.position
        try #require(total > 10_000)
        let at10k = session.events[9_999]

        // The JSON trace of the finished run, written and read back.
        let document = TraceDocument(decisions: session.decisions, events: session.events)
        var bytes: [UInt8] = []
        let encode = seconds { bytes = document.encoded() }
        report("encode the JSON trace (\(bytes.count) bytes)", encode)
        var decoded: TraceDocument?
        let decode = seconds { decoded = try? TraceDocument(decoding: Data(bytes)) }
        report("decode it", decode)
        #expect(decoded == document)

        var result: Result<CommandResult, StepperError>?
        let back = seconds { result = session.execute(.goto(event: 10_000)) }
        report("goto 10000 from the end (\(total))", back)
        #expect(try result?.get().position == 10_000)
        #expect(session.events.last == at10k, "the replay reached the same event")

        let toStart = seconds { result = session.execute(.goto(event: 0)) }
        report("goto 0", toStart)
        #expect(try result?.get().position == 0)

        let forward = seconds { result = session.execute(.goto(event: 10_000)) }
        report("goto 10000 from 0", forward)
        #expect(try result?.get().position == 10_000)
        #expect(session.events.last == at10k)

        let toEnd = seconds { result = session.execute(.goto(event: total)) }
        report("goto \(total) (the end) from 10000", toEnd)
        #expect(session.position == total)
    }
}
