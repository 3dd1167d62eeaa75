#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Thin wrappers over pthread primitives. They live on the heap because a pthread mutex or
// condition must never move once initialised. Internal: the kernel code never sees them.

/// A heap-allocated `pthread_mutex_t`.
final class PThreadMutex: @unchecked Sendable {
    let raw: UnsafeMutablePointer<pthread_mutex_t>

    init(recursive: Bool = false) {
        raw = .allocate(capacity: 1)
        var attr = pthread_mutexattr_t()
        pthread_mutexattr_init(&attr)
        if recursive {
            pthread_mutexattr_settype(&attr, Int32(PTHREAD_MUTEX_RECURSIVE))
        }
        pthread_mutex_init(raw, &attr)
        pthread_mutexattr_destroy(&attr)
    }

    deinit {
        pthread_mutex_destroy(raw)
        raw.deallocate()
    }

    @inline(__always) func lock() { pthread_mutex_lock(raw) }
    @inline(__always) func unlock() { pthread_mutex_unlock(raw) }

    @inline(__always) func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(raw)
        defer { pthread_mutex_unlock(raw) }
        return try body()
    }
}

/// A heap-allocated `pthread_cond_t` whose timed waits use the monotonic clock.
final class PThreadCondition: @unchecked Sendable {
    let raw: UnsafeMutablePointer<pthread_cond_t>

    init() {
        raw = .allocate(capacity: 1)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        #if os(Linux)
        // Deadlines are monotonic nanoseconds, so the condition must time against the same clock.
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        #endif
        pthread_cond_init(raw, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(raw)
        raw.deallocate()
    }

    @inline(__always) func wait(_ mutex: PThreadMutex) { pthread_cond_wait(raw, mutex.raw) }

    /// Waits until signalled or until the monotonic clock reaches `deadline` (nanoseconds).
    /// - Returns: `false` when the deadline passed.
    func wait(_ mutex: PThreadMutex, untilMonotonic deadline: UInt64) -> Bool {
        #if os(Linux)
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        #else
        // Darwin conditions time against the wall clock: convert the remaining interval.
        let now = monotonicNanoseconds()
        let remaining = deadline > now ? deadline - now : 0
        var tv = timeval()
        gettimeofday(&tv, nil)
        let wall = UInt64(tv.tv_sec) * 1_000_000_000 + UInt64(tv.tv_usec) * 1_000 + remaining
        var ts = timespec(tv_sec: Int(wall / 1_000_000_000), tv_nsec: Int(wall % 1_000_000_000))
        #endif
        return pthread_cond_timedwait(raw, mutex.raw, &ts) != ETIMEDOUT
    }

    @inline(__always) func signal() { pthread_cond_signal(raw) }
    @inline(__always) func broadcast() { pthread_cond_broadcast(raw) }
}

/// Gives the calling OS thread `name` as the system shows it (`top -H`, `perf`, gdb, `/proc`):
/// its first 15 bytes, Linux's limit. Foundation's `Thread.name` does not reach the system there.
func nameCallingOSThread(_ name: String) {
    #if os(Linux)
    var shown = ""
    for character in name {
        guard shown.utf8.count + character.utf8.count <= 15 else { break }
        shown.append(character)
    }
    // glibc's pthread_setname_np is not visible to Swift; the thread's comm file is the same.
    let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    _ = shown.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, shown.utf8.count) }
    close(fd)
    #endif
}

/// Nanoseconds on the monotonic clock (arbitrary origin).
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Nanoseconds since the Unix epoch on the wall clock.
func wallClockNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Converts a `Duration` to whole nanoseconds, saturating at zero and `UInt64.max`.
func nanoseconds(_ duration: Duration) -> UInt64 {
    let (seconds, attoseconds) = duration.components
    if seconds < 0 { return 0 }
    let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
    if overflow { return .max }
    let (sum, overflow2) = whole.addingReportingOverflow(UInt64(attoseconds / 1_000_000_000))
    return overflow2 ? .max : sum
}

// MARK: - Thread-local slots

private func makeThreadKey() -> pthread_key_t {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
}

/// Thread-local slot: the `KernelThread` the calling OS thread runs (unretained).
let currentKernelThreadKey: pthread_key_t = makeThreadKey()
/// Thread-local slot: the runtime whose state lock the calling OS thread holds (unretained).
let heldRuntimeLockKey: pthread_key_t = makeThreadKey()

/// The `KernelThread` that the calling OS thread runs, if a runtime spawned it.
func currentKernelThread() -> KernelThread? {
    guard let raw = pthread_getspecific(currentKernelThreadKey) else { return nil }
    return Unmanaged<KernelThread>.fromOpaque(raw).takeUnretainedValue()
}

func setCurrentKernelThread(_ thread: KernelThread?) {
    if let thread {
        pthread_setspecific(currentKernelThreadKey, Unmanaged.passUnretained(thread).toOpaque())
    } else {
        pthread_setspecific(currentKernelThreadKey, nil)
    }
}
