import Foundation

/// `cifstep serve` running as a separate process on a free loopback port, for real clients.
final class ServeProcess {
    let port: UInt16
    let process = Process()
    private let errPipe = Pipe()
    private let collector: OutputCollector

    init(_ arguments: [String]) throws {
        port = try Peers.freePort()
        process.executableURL = URL(fileURLWithPath: Peers.cifstep)
        process.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--seed", "7"] + arguments
        process.standardError = errPipe
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        collector = OutputCollector(errPipe.fileHandleForReading)
        // Ready when the port accepts a connection.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if ServeProcess.answers(port) { return }
            usleep(20_000)
        }
        process.terminate()
        throw POSIXError(.ETIMEDOUT)
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
        if process.isRunning { kill(process.processIdentifier, SIGINT) }
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return collector.finish()
    }

    deinit { _ = stop() }
}
