import KernelRuntime
@testable import Stepper

/// Small programs on a bare SteppedRuntime, for the controls: traced functions nested on a few
/// threads, one of them throwing, and one state value.
enum Synthetic {
    struct Boom: Error, CustomStringConvertible {
        var description: String { "boom" }
    }

    /// A catalogue listing `functions` (the session checks breakpoint names against it).
    static func catalogue(_ functions: [String]) -> TracepointCatalogue {
        TracepointCatalogue(entries: functions.map {
            TracepointCatalogue.Entry(function: $0, kernelName: $0 == "renamed" ? "renamed_in_3_8" : nil,
                                      kernelFile: "test.c", swift: "Synthetic.swift:1", side: "client", summary: $0)
        })
    }

    /// One integer, `counter.value`, guarded by the runtime lock.
    final class Counter: @unchecked Sendable {
        var value = 0
        var flag = false
        let queue = WaitQueue("flag")
    }

    static let paths = StatePaths([
        StatePathPattern("counter.value", kind: .integer),
        StatePathPattern("counter.flag", kind: .bool),
    ])

    static func run(_ runtime: SteppedRuntime, _ counter: Counter) -> ClosureProgramRun {
        ClosureProgramRun(state: {
            runtime.withLock { [
                StateEntry(path: "counter.value", value: .integer(counter.value)),
                StateEntry(path: "counter.flag", value: .bool(counter.flag)),
            ] }
        })
    }

    /// Thread 1 `alpha`:
    /// ```
    /// outer enter
    ///   a1 · inner enter · i1 · (counter = 1) i2 · inner exit
    ///   a2 · leafy (an unpaired note) · thrower enter · t1 · thrower exit (error: boom)
    ///   a3 · ghost exit (an exit without enter)
    /// outer exit
    /// ```
    /// Thread 2 `beta`: `b_work enter · b1 · b2 · b_work exit`.
    static let nested = StepperProgram(paths: paths) { runtime in
        let counter = Counter()
        runtime.spawn(name: "alpha") {
            try runtime.traced("outer", "start") { outer in
                try outer.note("a1")
                try runtime.traced("inner") { inner in
                    try inner.note("i1")
                    runtime.withLock { counter.value = 1 }
                    try inner.note("i2")
                }
                try outer.note("a2")
                try runtime.tracepoint("leafy", .note, "unpaired")
                _ = try? runtime.traced("thrower") { thrower -> Int in
                    try thrower.note("t1")
                    throw Boom()
                }
                try outer.note("a3")
                try runtime.tracepoint("ghost", .exit, "no enter")
                outer.returning("done")
            }
        }
        runtime.spawn(name: "beta") {
            try runtime.traced("b_work") { work in
                try work.note("b1")
                try work.note("b2")
            }
        }
        return run(runtime, counter)
    }

    /// Thread 1 `waiter` waits (under the lock) until thread 2 `setter` sets the flag.
    /// ```
    /// waiter: wait_for_flag enter · about to wait · [blocks on "flag"] · woke · wait_for_flag exit
    /// setter: set_flag enter · s1 · (flag = true, wake) · s2 · set_flag exit
    /// ```
    static let waiting = StepperProgram(paths: paths) { runtime in
        let counter = Counter()
        runtime.spawn(name: "waiter") {
            try runtime.traced("wait_for_flag") { call in
                try call.note("about to wait")
                try runtime.withLock { try runtime.wait(on: counter.queue) { counter.flag } }
                try call.note("woke")
            }
        }
        runtime.spawn(name: "setter") {
            try runtime.traced("set_flag") { call in
                try call.note("s1")
                runtime.withLock {
                    counter.flag = true
                    runtime.wakeAll(counter.queue)
                }
                try call.note("s2")
            }
        }
        return run(runtime, counter)
    }

    /// Thread `ticker`: for i in 1...5, sets `counter.value = i` (under the lock), then calls
    /// `tick` ("i=N"), which notes once. Then `counter.value` stays 5.
    static let ticking = StepperProgram(paths: paths) { runtime in
        let counter = Counter()
        runtime.spawn(name: "ticker") {
            for i in 1...5 {
                runtime.withLock { counter.value = i }
                try runtime.traced("tick", "i=\(i)") { call in try call.note("tock \(i)") }
            }
        }
        return run(runtime, counter)
    }

    static let functions = ["outer", "inner", "thrower", "leafy", "ghost", "b_work", "wait_for_flag", "set_flag",
                            "tick", "renamed"]

    /// A session on `program` with the teaching order (or `policy`).
    static func session(_ program: StepperProgram, policy: Scenario.Policy = .teaching, seed: UInt64 = 1) -> StepperSession {
        StepperSession(scenario: Scenario(seed: seed, policy: policy), catalogue: catalogue(functions)) { _ in program }
    }
}

extension StepperSession {
    /// Runs `command`, failing the test on an error.
    func must(_ command: Command) throws -> CommandResult {
        try execute(command).get()
    }

    /// `function phase message` of the event at the current position.
    var here: String {
        guard let event = events.last else { return "start" }
        return "\(event.threadName) \(event.function) \(event.phase.rawValue) \(event.message)"
    }
}
