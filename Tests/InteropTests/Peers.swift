import Crypto
import Foundation
import Testing

/// The real peers the interop tests talk to, as `scripts/test` starts them.
///
/// Off CI a missing peer disables the tests that need it; under `CI=true` those tests run
/// anyway and fail, so CI cannot go green without the peers.
enum Peers {
    static let env = ProcessInfo.processInfo.environment
    static var isCI: Bool { env["CI"] == "true" }

    /// `scripts/test`'s Samba with `server signing = auto`.
    static var samba: String? { env["CIFSTEP_SAMBA"] }
    /// `scripts/test`'s Samba with `server signing = mandatory`.
    static var sambaSigned: String? { env["CIFSTEP_SAMBA_SIGNED"] }
    static var user: String { env["CIFSTEP_SAMBA_USER"] ?? "alice" }
    static var password: String { env["CIFSTEP_SAMBA_PASSWORD"] ?? "Wonderland-42" }

    static func tool(_ name: String) -> String? {
        ["/usr/bin/", "/usr/local/bin/", "/usr/sbin/"].map { $0 + name }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var hasSamba: Bool { samba != nil && sambaSigned != nil }
    static var hasSmbclient: Bool { tool("smbclient") != nil }
    static var hasTshark: Bool { tool("tshark") != nil }
    static var hasPysmb: Bool {
        (try? run("/usr/bin/env", ["python3", "-c", "import smb"]).status) == 0
    }

    /// sha256 of `random-1m.bin` in the Samba lab share.
    static let random1mSHA256 = "81d2e0277e02e82905a82544e0b46f944fbb644a2287c211b3eab305b42c81a9"
    static let helloText = "Hello from the SMB1 interop lab!\n"

    static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// The first free loopback TCP port the kernel hands out.
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, len) == 0 && getsockname(fd, sa, &len) == 0
            }
        }
        guard ok else { throw POSIXError(.EADDRINUSE) }
        return UInt16(bigEndian: addr.sin_port)
    }

    struct Result {
        var status: Int32
        var stdout: Data
        var stderr: String
        var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs a program to completion with a time limit, collecting its output.
    static func run(_ path: String, _ arguments: [String], environment: [String: String] = [:],
                    timeout: TimeInterval = 60) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        var e = env
        for (k, v) in environment { e[k] = v }
        p.environment = e
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let collector = OutputCollector(err.fileHandleForReading)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: outData, stderr: collector.finish())
    }

    /// The built `cifstep` executable.
    static var cifstep: String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("cifstep").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return ".build/debug/cifstep"
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cifstep-interop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// Reads a pipe to its end on a background thread.
final class OutputCollector: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    private var finished = false

    /// Waits for the end of the stream (once; later calls return the same text).
    func finish() -> String {
        if !finished {
            done.wait()
            finished = true
        }
        return String(decoding: data, as: UTF8.self)
    }
}
