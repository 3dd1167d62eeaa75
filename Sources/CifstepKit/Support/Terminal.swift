import Glibc

/// What the terminal can do, and small helpers that degrade without one.
enum Terminal {
    static var stderrIsTTY: Bool { isatty(STDERR_FILENO) == 1 }
    static var stdoutIsTTY: Bool { isatty(STDOUT_FILENO) == 1 }

    /// Colour only on a terminal, and never when `NO_COLOR` is set (https://no-color.org).
    static var useColor: Bool { stdoutIsTTY && getenv("NO_COLOR") == nil && (getenv("TERM").map { String(cString: $0) } ?? "dumb") != "dumb" }

    /// Reads a line from the terminal with echo off; nil when there is no terminal.
    static func readSecret(prompt: String) -> String? {
        let fd = open("/dev/tty", O_RDWR)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var old = termios()
        guard tcgetattr(fd, &old) == 0 else { return nil }
        var quiet = old
        quiet.c_lflag &= ~tcflag_t(ECHO)
        _ = tcsetattr(fd, TCSAFLUSH, &quiet)
        defer {
            _ = tcsetattr(fd, TCSAFLUSH, &old)
            _ = write(fd, "\n", 1)
        }
        _ = prompt.withCString { write(fd, $0, strlen($0)) }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1, byte != UInt8(ascii: "\n") { bytes.append(byte) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes to stderr unbuffered.
    static func writeError(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { raw in
                write(STDERR_FILENO, raw.baseAddress.map { $0 + offset }, raw.count - offset)
            }
            if n <= 0 { return }
            offset += n
        }
    }
}

/// A one-line progress bar on stderr, redrawn at most ten times a second; silent when
/// stderr is not a terminal.
final class ProgressBar: @unchecked Sendable {
    private let total: UInt64?
    private let enabled: Bool
    private let start: UInt64
    private var lastDraw: UInt64 = 0

    init(total: UInt64?, enabled: Bool = Terminal.stderrIsTTY) {
        self.total = total
        self.enabled = enabled
        start = ProgressBar.nowNanos()
    }

    static func nowNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    func update(_ done: UInt64) {
        guard enabled else { return }
        let now = ProgressBar.nowNanos()
        guard now - lastDraw > 100_000_000 || total == done else { return }
        lastDraw = now
        let seconds = Double(now - start) / 1e9
        let rate = seconds > 0 ? Double(done) / seconds / 1e6 : 0
        var line = "\r"
        if let total, total > 0 {
            let fraction = min(Double(done) / Double(total), 1)
            let width = 30
            let filled = Int(fraction * Double(width))
            line += "[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "]"
            line += " \(Int(fraction * 100))%"
        }
        line += " \(Formatting.bytes(done))  \(Formatting.decimal(rate, places: 1)) MB/s   "
        Terminal.writeError(line)
    }

    func finish() {
        guard enabled else { return }
        Terminal.writeError("\r\u{1b}[K")
    }
}

enum Formatting {
    static func decimal(_ v: Double, places: Int) -> String {
        guard v.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let rounded = (v * scale).rounded() / scale
        var s = String(rounded)
        if let dot = s.firstIndex(of: ".") {
            let decimals = s.distance(from: dot, to: s.endIndex) - 1
            if decimals < places { s += String(repeating: "0", count: places - decimals) }
        } else if places > 0 {
            s += "." + String(repeating: "0", count: places)
        }
        return s
    }

    static func bytes(_ n: UInt64) -> String {
        if n < 1024 { return "\(n) B" }
        if n < 1 << 20 { return decimal(Double(n) / 1024, places: 1) + " KiB" }
        if n < 1 << 30 { return decimal(Double(n) / 1_048_576, places: 1) + " MiB" }
        return decimal(Double(n) / 1_073_741_824, places: 2) + " GiB"
    }
}
