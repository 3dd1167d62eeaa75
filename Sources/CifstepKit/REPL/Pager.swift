#if canImport(Glibc)
import Glibc
#endif

/// Pages long output on a terminal as gdb does: a screenful, then a prompt; Enter or space
/// shows the next screenful, `c` the rest without stopping, `q` stops.
struct Pager {
    /// Lines of the terminal (the prompt line is kept free).
    let rows: Int

    /// A pager for the terminal on stdout, or nil when stdout is not one (or is too small to page).
    static func forTerminal() -> Pager? {
        guard Terminal.stdoutIsTTY, let size = Terminal.size, size.rows > 4 else { return nil }
        return Pager(rows: size.rows)
    }

    func show(_ lines: [String], write: (String) -> Void) {
        let page = rows - 1
        var index = 0
        while index < lines.count {
            let end = min(lines.count, index + page)
            for line in lines[index..<end] { write(line) }
            index = end
            guard index < lines.count else { return }
            switch Self.ask("--More-- (\(lines.count - index) lines left; Enter: more, c: all, q: stop)") {
            case "q": return
            case "c":
                for line in lines[index...] { write(line) }
                return
            default: continue
            }
        }
    }

    /// Shows `prompt`, reads one key from the terminal without echo, and erases the prompt.
    private static func ask(_ prompt: String) -> Character {
        fflush(nil)
        let fd = open("/dev/tty", O_RDWR)
        guard fd >= 0 else { return "c" }
        defer { close(fd) }
        var old = termios()
        guard tcgetattr(fd, &old) == 0 else { return "c" }
        var raw = old
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        _ = tcsetattr(fd, TCSANOW, &raw)
        defer { _ = tcsetattr(fd, TCSANOW, &old) }
        _ = prompt.withCString { write(fd, $0, strlen($0)) }
        var byte: UInt8 = 0
        let got = read(fd, &byte, 1)
        let erase = "\r\u{1b}[K"
        _ = erase.withCString { write(fd, $0, strlen($0)) }
        guard got == 1 else { return "q" }
        return Character(UnicodeScalar(byte))
    }
}

extension Terminal {
    /// The terminal's rows and columns on stdout, if it is one.
    static var size: (rows: Int, columns: Int)? {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0 else { return nil }
        return (Int(size.ws_row), Int(size.ws_col))
    }
}
