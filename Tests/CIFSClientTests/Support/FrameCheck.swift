import KernelRuntime

/// Checks that a thread's events form properly nested frames: every `enter` is closed by an
/// `exit` of the same function, innermost first, and every other event (block, wake, send,
/// receive, note) sits inside a frame of its own function — the shape `runtime.traced` gives.
enum FrameCheck {
    /// What is wrong with the frames of the threads named in `threads` (empty when nothing).
    /// With `complete`, frames still open at the end of the events are reported too.
    static func violations(_ events: [TraceEvent], threads: Set<String>, complete: Bool = true) -> [String] {
        var stacks: [Int: [String]] = [:]
        var names: [Int: String] = [:]
        var problems: [String] = []
        for event in events where threads.contains(event.threadName) {
            names[event.threadID] = event.threadName
            var stack = stacks[event.threadID, default: []]
            switch event.phase {
            case .enter:
                stack.append(event.function)
            case .exit:
                if stack.last == event.function {
                    stack.removeLast()
                } else {
                    problems.append("\(event): exit, but the open frame is \(stack.last ?? "none")")
                }
            default:
                if stack.last != event.function {
                    problems.append("\(event): outside its frame (open frame \(stack.last ?? "none"))")
                }
            }
            stacks[event.threadID] = stack
        }
        if complete {
            for (thread, stack) in stacks.sorted(by: { $0.key < $1.key }) where !stack.isEmpty {
                problems.append("thread \(thread) \(names[thread] ?? "") ends inside \(stack.joined(separator: " > "))")
            }
        }
        return problems
    }

    /// What is wrong with the mids' lifetimes: every `allocate_mid` must be followed by exactly
    /// one `DeleteMidQEntry` of its mid (empty when nothing is wrong).
    static func midLifetimeProblems(_ events: [TraceEvent]) -> [String] {
        var alive: [Int: Int] = [:]  // mid → sequence of its allocation
        var problems: [String] = []
        for event in events where event.phase == .exit {
            guard let mid = event.mid else { continue }
            switch event.function {
            case "allocate_mid" where !event.message.hasPrefix("error"):
                if alive[mid] != nil { problems.append("#\(event.sequence): mid \(mid) allocated while alive") }
                alive[mid] = event.sequence
            case "DeleteMidQEntry":
                if alive.removeValue(forKey: mid) == nil { problems.append("#\(event.sequence): mid \(mid) freed but not alive") }
            default:
                break
            }
        }
        for (mid, sequence) in alive.sorted(by: { $0.key < $1.key }) {
            problems.append("mid \(mid) allocated at #\(sequence) never freed")
        }
        return problems
    }
}
