import Foundation
import Testing
@testable import KernelRuntime

/// Throughput figures, printed only: run with `CIFSTEP_BENCH=1 swift test -c release --filter RuntimeBenchmarks`.
/// No timing assertions (the machine is shared); the checks only guard correctness.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["CIFSTEP_BENCH"] != nil))
struct RuntimeBenchmarks {
    private func measure(_ label: String, operations: Int, _ body: () throws -> Void) rethrows {
        let start = monotonicNanoseconds()
        try body()
        let elapsed = Double(monotonicNanoseconds() - start)
        let perOp = elapsed / Double(operations)
        print(String(format: "BENCH %@: %d ops in %.1f ms = %.0f ns/op (%.2f M ops/s)",
                     label, operations, elapsed / 1e6, perOp, 1e3 / perOp))
    }

    @Test func uncontendedLockAndWake() throws {
        // Through the existential, as the client core will hold it.
        let rt: any KernelRuntime = FreeRunRuntime(seed: 0)
        let queue = WaitQueue("page")
        let page = Box(false)
        let n = 1_000_000
        measure("withLock + wakeAll (no waiters)", operations: n) {
            for _ in 0..<n {
                rt.withLock {
                    page.value.toggle()
                    rt.wakeAll(queue)
                }
            }
        }
        let disabled = Box(0)
        measure("disabled tracepoint", operations: n) {
            for i in 0..<n {
                try? rt.tracepoint("unlock_page", .wake, "page[\(i)]", diff: [StateDiff(path: "page.locked", old: "true", new: "false")])
                disabled.value &+= 1
            }
        }
    }

    /// 256 MiB as 65,536 pages: a worker unlocks them in batches of 16 (one 64 KiB ReadData),
    /// the reader waits on each page's own queue in order.
    @Test func pageLockHandoff() throws {
        let rt = FreeRunRuntime(seed: 0)
        let count = 65_536
        let pages = (0..<count).map(TestPage.init)
        let seen = Box(0)
        try measure("page unlock → waiting reader (65,536 pages, batches of 16)", operations: count) {
            try rt.runMain(name: "reader") {
                let worker = rt.spawn(name: "cifsiod") {
                    for batch in stride(from: 0, to: count, by: 16) {
                        rt.withLock {
                            for page in pages[batch..<(batch + 16)] {
                                page.locked = false
                                rt.wakeAll(page.queue)
                            }
                        }
                    }
                }
                for page in pages {
                    try rt.withLock { try rt.wait(on: page.queue) { !page.locked } }
                    seen.value += 1
                }
                try rt.join(worker)
            }
        }
        #expect(seen.value == count)
    }

    /// Worst case: every operation blocks and needs the other thread to run.
    @Test func pingPong() throws {
        let rt = FreeRunRuntime(seed: 0)
        let rounds = 100_000
        let turn = Box(0)
        let ping = WaitQueue("ping")
        let pong = WaitQueue("pong")
        try measure("ping-pong handoff (2 threads, one block + wake each)", operations: 2 * rounds) {
            try rt.runMain(name: "ping") {
                let other = rt.spawn(name: "pong") {
                    for _ in 0..<rounds {
                        try rt.withLock {
                            try rt.wait(on: pong) { turn.value == 1 }
                            turn.value = 0
                            rt.wakeOne(ping)
                        }
                    }
                }
                for _ in 0..<rounds {
                    try rt.withLock {
                        try rt.wait(on: ping) { turn.value == 0 }
                        turn.value = 1
                        rt.wakeOne(pong)
                    }
                }
                try rt.join(other)
            }
        }
    }

    @Test func steppedStepsPerSecond() throws {
        let rt = SteppedRuntime(seed: 0)
        let steps = 20_000
        try measure("stepped tracepoint steps (2 threads)", operations: steps) {
            try rt.runMain(name: "a") {
                let b = rt.spawn(name: "b") { for _ in 0..<(steps / 2) { try rt.tracepoint("b", .note, "") } }
                for _ in 0..<(steps / 2) { try rt.tracepoint("a", .note, "") }
                try rt.join(b)
            }
        }
        #expect(rt.recordedEventCount == steps)
    }

    @Test func pipeThroughput() throws {
        let rt = FreeRunRuntime(seed: 0)
        let total = 64 << 20
        let chunk = [UInt8](repeating: 0x5a, count: 128 << 10)
        let got = Box(0)
        try measure("pipe 64 MiB in 128 KiB sends (bytes)", operations: total) {
            try rt.runMain(name: "reader") {
                let (a, b) = PipeTransport.makePair(runtime: rt)
                let writer = rt.spawn(name: "writer") {
                    for _ in 0..<(total / chunk.count) { try a.send(chunk) }
                    a.close()
                }
                var buffer = [UInt8](repeating: 0, count: 128 << 10)
                while true {
                    let n = try buffer.withUnsafeMutableBytes { try b.receive(into: $0) }
                    if n == 0 { break }
                    got.value += n
                }
                try rt.join(writer)
            }
        }
        #expect(got.value == total)
    }
}
