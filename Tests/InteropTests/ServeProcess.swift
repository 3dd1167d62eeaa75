import Foundation

/// `cifstep serve` running as a separate process on a free loopback port, for real clients.
final class ServeProcess {
    let port: UInt16
    let process = Process()
    private let errPipe = Pipe()
    private let log = LiveLog()
    /// Signalled when the process exits.
    private let exited = DispatchSemaphore(value: 0)

    /// Starts `executable` serving with `arguments`: by default the built `cifstep`, or
    /// `$CIFSTEP_SERVE_BIN` (to run these tests against another build, e.g. one from before a fix).
    init(_ arguments: [String], executable: String = Peers.env["CIFSTEP_SERVE_BIN"] ?? Peers.cifstep) throws {
        port = try Peers.freePort()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--seed", "7"] + arguments
        process.standardError = errPipe
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        process.terminationHandler = { [exited] _ in exited.signal() }
        try process.run()
        log.follow(errPipe.fileHandleForReading)
        // Ready once it says it listens.
        guard log.wait(timeout: 20, until: { $0.contains("serve: listening on") }) else {
            process.terminate()
            throw POSIXError(.ETIMEDOUT)
        }
    }

    var pid: Int32 { process.processIdentifier }

    /// What the server has logged so far.
    var logText: String { log.text }

    /// Waits until the log satisfies `condition` (the server reports what it did: a connection
    /// closed, refused…); `timeout` only bounds a failure.
    @discardableResult
    func waitForLog(timeout: TimeInterval = 60, until condition: @escaping (String) -> Bool) -> Bool {
        log.wait(timeout: timeout, until: condition)
    }

    /// How many lines of the log contain `text`.
    func count(_ text: String) -> Int {
        logText.split(separator: "\n").filter { $0.contains(text) }.count
    }

    /// A field of `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`), nil once the process is gone.
    func memoryKiB(_ field: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }

    static func answers(_ port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = port.bigEndian
        return withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// Stops the server with SIGINT and returns what it logged.
    func stop() -> String {
        if process.isRunning {
            kill(process.processIdentifier, SIGINT)
            if exited.wait(timeout: .now() + 5) == .timedOut { process.terminate() }
        }
        process.waitUntilExit()
        log.waitForEnd()
        return log.text
    }

    deinit { _ = stop() }
}

/// A pipe read as it fills, so a test can wait for a line to appear.
final class LiveLog: @unchecked Sendable {
    private let condition = NSCondition()
    private var data = Data()
    private var ended = false

    func follow(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                condition.lock()
                if chunk.isEmpty { ended = true } else { data.append(chunk) }
                condition.broadcast()
                condition.unlock()
                if chunk.isEmpty { return }
            }
        }
    }

    var text: String {
        condition.lock()
        defer { condition.unlock() }
        return String(decoding: data, as: UTF8.self)
    }

    /// Waits until `predicate` holds for the text (true) or `timeout` passes or the pipe ends
    /// without it (false).
    func wait(timeout: TimeInterval, until predicate: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if predicate(String(decoding: data, as: UTF8.self)) { return true }
            if ended || !condition.wait(until: deadline) { return predicate(String(decoding: data, as: UTF8.self)) }
        }
    }

    func waitForEnd() {
        condition.lock()
        defer { condition.unlock() }
        while !ended { condition.wait() }
    }
}
