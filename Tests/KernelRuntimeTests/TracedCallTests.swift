import Testing
@testable import KernelRuntime

@Suite struct TracedCallTests {
    struct Boom: Error {}

    @Test func enterAndExitPairAlsoWhenTheBodyThrows() throws {
        let recorder = TraceRecorder()
        let runtime = FreeRunRuntime(seed: 1, recorder: recorder)
        try runtime.runMain {
            try runtime.traced("outer", "start") { outer in
                try outer.note("inside")
                _ = try? runtime.traced("inner") { _ -> Int in throw Boom() }
                outer.returning("done")
            }
        }
        let lines = recorder.events.map { "\($0.function) \($0.phase.rawValue) \($0.message)" }
        #expect(lines == [
            "outer enter start", "outer note inside", "inner enter ", "inner exit error: Boom()", "outer exit done",
        ])
    }

    @Test func stateChangesReadTheOldValue() {
        final class Box { var value = 3 }
        let box = Box()
        var changes = StateChanges(tracing: true)
        changes.set(box, \.value, 5, path: "box.value")
        changes.set(box, \.value, 5, path: "box.value")
        #expect(box.value == 5)
        #expect(changes.diffs.map(\.description) == ["box.value 3 → 5"])
        var silent = StateChanges(tracing: false)
        silent.set(box, \.value, 7, path: "box.value")
        #expect(box.value == 7 && silent.diffs.isEmpty)
    }
}
