import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The real REPL in a tmux pane, driven as a person drives it: keys sent, the screen read back.
/// Each session runs on its own tmux server socket, so tests never touch a user's tmux.
struct TmuxREPL {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// How long to wait for text to appear before failing (a slow CI machine, not a slow REPL).
    static let deadline: TimeInterval = 60

    let socket: String
    let home: URL

    /// Whether tmux is installed (CI installs it; elsewhere the tests say they were skipped).
    static var available: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") }

    /// `available`, recording a failure when it is not under CI (scripts/install-deps --test
    /// installs tmux there): a test returns at once when this is false.
    static func usable() -> Bool {
        guard available else {
            #expect(ProcessInfo.processInfo.environment["CI"] != "true", "tmux is not installed")
            return false
        }
        return true
    }

    /// Starts `cifstep ARGUMENTS` in a detached `width`×`height` pane with a private HOME and
    /// without NO_COLOR (which `swift test` sets), unless `noColor`.
    init(_ arguments: [String], width: Int = 200, height: Int = 60, noColor: Bool = false) throws {
        socket = "cifstep-test-\(UUID().uuidString.prefix(8))"
        home = FileManager.default.temporaryDirectory.appendingPathComponent(socket)
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let command = ["env", "-u", "NO_COLOR", "HOME=\(home.path)"] + (noColor ? ["NO_COLOR=1"] : [])
            + [CLIRunner.executable.path] + arguments
        try tmux(["new-session", "-d", "-s", "repl", "-x", String(width), "-y", String(height), "--"] + command,
                 readingOutput: false)
    }

    /// Types `line` and Enter.
    func type(_ line: String) throws {
        try tmux(["send-keys", "-t", "repl", "-l", line])
        try tmux(["send-keys", "-t", "repl", "Enter"])
    }

    /// Types `text` without Enter.
    func send(_ text: String) throws {
        try tmux(["send-keys", "-t", "repl", "-l", text])
    }

    /// Presses keys by tmux's names: `Tab`, `Up`, `Enter`, `C-c`, `C-d`.
    func press(_ keys: String...) throws {
        try tmux(["send-keys", "-t", "repl"] + keys)
    }

    /// The row of the pane's cursor (from 0).
    func cursorRow() throws -> Int {
        Int(try tmux(["display-message", "-p", "-t", "repl", "#{cursor_y}"]).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// Types `line` and Enter, and waits until the REPL has read it (the cursor left the prompt's
    /// row): keys pressed before that, such as Ctrl-C, would reach the line editor instead.
    func typeAndWaitUntilRead(_ line: String) throws {
        let row = try cursorRow()
        try type(line)
        let start = Date()
        while try cursorRow() == row {
            if Date().timeIntervalSince(start) > Self.deadline {
                throw Failure(description: "'\(line)' was not read within \(Self.deadline) s")
            }
            usleep(20_000)
        }
    }

    /// Whether the REPL is still running in its pane.
    var isRunning: Bool { (try? tmux(["has-session", "-t", "repl"])) != nil }

    /// The pane's text with its history (`escapes`: keep colour codes).
    func screen(escapes: Bool = false) throws -> String {
        try tmux(["capture-pane", "-p", "-J", "-S", "-5000", "-t", "repl"] + (escapes ? ["-e"] : []))
    }

    /// Waits until the screen shows `text` `count` times, and returns the screen.
    @discardableResult
    func waitFor(_ text: String, count: Int = 1, timeout: TimeInterval = TmuxREPL.deadline) throws -> String {
        let start = Date()
        while true {
            let now = try screen()
            if now.components(separatedBy: text).count - 1 >= count { return now }
            if Date().timeIntervalSince(start) > timeout {
                throw Failure(description: "'\(text)' did not appear \(count)× within \(timeout) s; screen:\n\(now)")
            }
            // Poll the pane; the condition above, not this pause, is what the test waits for.
            usleep(20_000)
        }
    }

    /// Waits until the REPL has exited (its pane, and so the session, is gone).
    func waitUntilExited() throws {
        let start = Date()
        while isRunning {
            if Date().timeIntervalSince(start) > Self.deadline {
                throw Failure(description: "the REPL did not exit within \(Self.deadline) s")
            }
            usleep(20_000)
        }
    }

    func close() {
        // The REPL first, for sure: a SIGHUP that lands while libedit holds it blocked would
        // leave the REPL (and so the tmux server) running.
        if let pid = try? tmux(["display-message", "-p", "-t", "repl", "#{pane_pid}"]), let id = Int32(pid.trimmingCharacters(in: .whitespacesAndNewlines)) {
            kill(id, SIGKILL)
        }
        _ = try? tmux(["kill-server"])
        try? FileManager.default.removeItem(at: home)
    }

    /// Runs tmux with `arguments` and returns what it printed. Spawned directly and reaped with
    /// waitpid, its output going to a file: the server a `new-session` forks keeps whatever
    /// descriptors it inherits, so no pipe of ours may reach it.
    @discardableResult
    private func tmux(_ arguments: [String], readingOutput: Bool = true) throws -> String {
        let output = home.appendingPathComponent("tmux-output-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(
            &actions, 1, readingOutput ? output.path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ["/usr/bin/tmux", "-L", socket, "-f", "/dev/null"] + arguments
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for arg in cArgs { free(arg) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/usr/bin/tmux", &actions, nil, &cArgs, environ)
        guard spawned == 0 else { throw Failure(description: "cannot run tmux: error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let exited = status & 0x7f == 0 ? (status >> 8) & 0xff : -1
        guard exited == 0 else {
            throw Failure(description: "tmux \(arguments.joined(separator: " ")) exited \(exited)")
        }
        return readingOutput ? ((try? String(contentsOf: output, encoding: .utf8)) ?? "") : ""
    }
}
