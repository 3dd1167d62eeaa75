import Foundation
import KernelRuntime
import Synchronization
import Testing

/// A driver's own interruption flag (`SteppedRuntime.alsoInterruptedWhen`, the stepper's Ctrl-C)
/// ends a wait for the network as `interrupt()` does, and no controller call clears it.
@Suite struct ExternalInterruptionTests {
    final class Flag: Sendable {
        let raised = Atomic<Bool>(false)
    }

    @Test func theDriversFlagEndsAWaitForTheNetwork() throws {
        let gate = DispatchSemaphore(value: 0)
        let server = try ServerLinkTests.ReversingServer(gate: gate)
        let link = ServerLink(host: "127.0.0.1", port: server.port)
        let runtime = SteppedRuntime(seed: 5, policy: .lowestID)
        let flag = Flag()
        runtime.alsoInterruptedWhen = { flag.raised.load(ordering: .relaxed) }
        let client = ServerLinkTests.Client(runtime: runtime, link: link, requests: [[1, 2, 3, 4]])
        Thread.detachNewThread {
            while !runtime.isWaitingForNetwork { sched_yield() }
            flag.raised.store(true, ordering: .relaxed)
        }
        do {
            try runtime.runToCompletion()
            Issue.record("the run ended although the server never answered")
        } catch let RuntimeError.interrupted(waiting) {
            #expect(waiting.contains { $0.name == "client" })
        }
        // The driver lowers its flag; the same run goes on once the server answers.
        flag.raised.store(false, ordering: .relaxed)
        gate.signal()
        try runtime.runToCompletion()
        #expect(client.replies == [[4, 3, 2, 1]])
        server.close()
    }
}
