import Foundation
import KernelRuntime
@testable import SMBServer

/// A server listening on 127.0.0.1 (ephemeral port) on a free-run runtime, for real clients.
final class TCPServerFixture: @unchecked Sendable {
    let runtime: FreeRunRuntime
    let server: SMBServer
    let listener: TCPListener
    let thread: KernelThread

    var port: UInt16 { listener.port }

    init(_ configuration: SMBServerConfiguration, seed: UInt64 = 11) throws {
        runtime = FreeRunRuntime(seed: seed)
        server = try SMBServer(configuration: configuration, runtime: runtime)
        listener = try TCPListener(host: "127.0.0.1", port: 0)
        thread = server.start(listener: listener)
    }

    /// Stops the server and waits for its threads.
    func shutdown() throws {
        server.stop()
        try runtime.join(thread)
    }
}

/// The result of running an external program.
struct ProcessResult: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
    var output: String { stdout + stderr }
}

/// Runs `executable` with `arguments`, killing it after `timeout` seconds.
func runProcess(_ executable: String, _ arguments: [String], timeout: TimeInterval = 60,
                environment: [String: String]? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    let exited = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in exited.signal() }
    try process.run()
    // Drain both pipes concurrently so a chatty child cannot block on a full pipe.
    let outData = Box<Data>()
    let errData = Box<Data>()
    let group = DispatchGroup()
    for (handle, box) in [(out.fileHandleForReading, outData), (err.fileHandleForReading, errData)] {
        group.enter()
        Thread.detachNewThread {
            box.value = handle.readDataToEndOfFile()
            group.leave()
        }
    }
    if exited.wait(timeout: .now() + timeout) == .timedOut { process.terminate() }
    process.waitUntilExit()
    group.wait()
    return ProcessResult(status: process.terminationStatus,
                         stdout: String(decoding: outData.value ?? Data(), as: UTF8.self),
                         stderr: String(decoding: errData.value ?? Data(), as: UTF8.self))
}

/// A fresh temporary directory, removed by the caller.
func makeTemporaryDirectory(_ label: String) throws -> String {
    let path = NSTemporaryDirectory() + "smbserver-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
