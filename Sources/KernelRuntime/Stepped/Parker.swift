#if canImport(Glibc)
import CGlibcSemaphore
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where one thread sleeps: a stepped thread (or the controller) while it does not hold the
/// baton, posted by whoever hands it the baton; a free-run thread blocked on a wait queue,
/// posted by its waker. A counting semaphore.
///
/// Unlike a condition variable on the runtime's mutex, waking through a semaphore does not make
/// the woken thread fight for that mutex with the thread that woke it: the hander releases the
/// mutex first, then posts. (Signalling a condition variable under the mutex woke the receiver only
/// to block it again on the mutex — an extra pair of context switches per hand-off.)
///
/// Posts are hints, not state: the baton itself is a flag under the runtime's mutex, re-checked
/// after every wake-up, so a post left over from a timed-out wait costs one extra loop and no harm.
final class Parker: @unchecked Sendable {
    #if os(Linux)
    private let semaphore: UnsafeMutablePointer<sem_t>

    init() {
        semaphore = .allocate(capacity: 1)
        sem_init(semaphore, 0, 0)
    }

    deinit {
        sem_destroy(semaphore)
        semaphore.deallocate()
    }

    @inline(__always) func post() { sem_post(semaphore) }

    /// Waits for a post (or returns early on a signal; callers re-check their flag).
    @inline(__always) func wait() { _ = sem_wait(semaphore) }

    /// Takes a pending post without sleeping.
    @inline(__always) func tryWait() -> Bool { sem_trywait(semaphore) == 0 }

    /// Waits for a post until the monotonic clock reaches `deadline` (nanoseconds), timed
    /// against that clock (`sem_clockwait`), so a step of the wall clock changes nothing.
    /// - Returns: `false` when the deadline passed (or on a signal: callers re-check their flag
    ///   and the clock).
    func wait(untilMonotonic deadline: UInt64) -> Bool {
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        return sem_clockwait(semaphore, CLOCK_MONOTONIC, &ts) == 0
    }
    #else
    // Darwin has no unnamed POSIX semaphores: a private mutex, condition and count.
    private let mutex = PThreadMutex()
    private let condition = PThreadCondition()
    private var posts = 0

    func post() {
        mutex.locked { posts += 1 }
        condition.signal()
    }

    func wait() {
        mutex.locked {
            while posts == 0 { condition.wait(mutex) }
            posts -= 1
        }
    }

    func tryWait() -> Bool {
        mutex.locked {
            guard posts > 0 else { return false }
            posts -= 1
            return true
        }
    }

    func wait(untilMonotonic deadline: UInt64) -> Bool {
        mutex.locked {
            while posts == 0 {
                if !condition.wait(mutex, untilMonotonic: deadline) { return false }
            }
            posts -= 1
            return true
        }
    }
    #endif
}
