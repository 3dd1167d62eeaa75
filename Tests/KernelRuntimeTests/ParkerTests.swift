import Foundation
import Testing

@testable import KernelRuntime

/// The semaphore every blocked runtime thread sleeps on: posts are kept, timed waits run on
/// the monotonic clock.
@Suite struct ParkerTests {
    @Test func aPostBeforeTheWaitIsKept() {
        let parker = Parker()
        parker.post()
        #expect(parker.wait(untilMonotonic: monotonicNanoseconds()))  // already due: takes the post
        #expect(!parker.tryWait())
    }

    @Test func aTimedWaitWithoutAPostEndsAtItsMonotonicDeadline() {
        let parker = Parker()
        let start = monotonicNanoseconds()
        let deadline = start + 50_000_000
        #expect(!parker.wait(untilMonotonic: deadline))
        #expect(monotonicNanoseconds() >= deadline)
        // Not the wall clock's meaning of the same number, which lies decades later.
        #expect(monotonicNanoseconds() - start < 30_000_000_000)
    }

    @Test func aPostFromAnotherThreadEndsATimedWait() {
        let parker = Parker()
        let waiting = Parker()
        Thread.detachNewThread {
            waiting.post()
            parker.post()
        }
        waiting.wait()
        #expect(parker.wait(untilMonotonic: monotonicNanoseconds() + 30_000_000_000))
    }
}
