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
}
