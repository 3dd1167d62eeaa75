import Foundation
@testable import KernelRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Tests that act on a blocked thread (close its transport, abort its run) wait until they
/// can see it blocked, instead of sleeping and hoping it got there.
enum BlockedThreads {
    /// Looks at `holds` until it is true, pausing briefly between looks; false if it is still
    /// false after `seconds` (a guard against hanging the suite, not a timing assumption).
    static func eventually(within seconds: Double = 60, _ holds: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !holds() {
            if Date() >= deadline { return false }
            usleep(200)
        }
        return true
    }

    /// Whether `thread` is blocked on one of the runtime's wait queues.
    static func isWaiting(_ thread: KernelThread, in runtime: FreeRunRuntime) -> Bool {
        runtime.withLock { thread.blockedOn != nil }
    }

    /// The calling OS thread's id, for ``isInSystemCall(_:_:)`` (read from /proc/thread-self,
    /// a link to `PID/task/TID`: Glibc's module does not export `gettid`); 0 where there is none.
    static func currentThreadID() -> Int32 {
        let link = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")) ?? ""
        return link.split(separator: "/").last.flatMap { Int32($0) } ?? 0
    }

    /// System calls a blocking socket operation sits in (x86-64 Linux numbers).
    enum Call {
        case accept, receive, poll
        var numbers: Set<Int> {
            switch self {
            case .accept: return [43, 288]       // accept, accept4
            case .receive: return [0, 45, 47]    // read, recvfrom, recvmsg
            case .poll: return [7, 271]          // poll, ppoll
            }
        }
    }

    /// Whether the OS thread `tid` of this process is inside `call` now, read from
    /// /proc/self/task/TID/syscall (its first field is the number of the system call the
    /// thread is blocked in). Where that file does not exist (not Linux, not x86-64), says
    /// true: the test then acts without knowing, as it would on a slow machine.
    static func isInSystemCall(_ tid: Int32, _ call: Call) -> Bool {
        #if os(Linux) && arch(x86_64)
        guard tid > 0, let text = try? String(contentsOfFile: "/proc/self/task/\(tid)/syscall", encoding: .utf8) else { return true }
        guard let first = text.split(separator: " ").first, let number = Int(first) else { return false }  // "running"
        return call.numbers.contains(number)
        #else
        return true
        #endif
    }
}
