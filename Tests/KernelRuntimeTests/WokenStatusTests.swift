import KernelRuntime
import Testing

/// A thread whose wait is over but that has not run yet says so (`info threads` showed it as
/// still blocked).
@Suite struct WokenStatusTests {
    final class Flag: @unchecked Sendable {
        var set = false
    }

    @Test func aWokenThreadIsReportedAsWokenUntilItRuns() throws {
        let rt = SteppedRuntime(seed: 1, policy: .lowestID)
        defer { rt.abort() }
        let queue = WaitQueue("q")
        let flag = Flag()
        rt.spawn(name: "waiter") {
            try rt.withLock { try rt.wait(on: queue) { flag.set } }
            try rt.traced("after_wait") { _ in }
        }
        rt.spawn(name: "waker") {
            try rt.traced("wake_up") { _ in rt.withLock { flag.set = true; rt.wakeAll(queue) } }
        }
        #expect(try rt.step(only: 1) == .blocked(ThreadSnapshot(id: 1, name: "waiter", status: .blocked(on: "q", deadline: nil))))
        _ = try rt.step(only: 2)  // wake_up enter
        #expect(rt.threads[0].status == .blocked(on: "q", deadline: nil))
        _ = try rt.step(only: 2)  // wake_up exit: the waiter's condition now holds
        #expect(rt.threads[0].status == .woken(from: "q"))
        #expect(rt.threads[0].status.description == "woken from q, runs when scheduled")
        guard case let .event(event) = try rt.step(only: 1) else { Issue.record("the waiter did not run"); return }
        #expect(event.function == "after_wait")
        #expect(rt.threads[0].status == .ready)
    }
}
