import Foundation
import KernelRuntime
import SMBWire
@testable import SMBServer

/// Test data shared by the suites.
enum TestData {
    static let hello = Array("Hello from the SMB1 interop lab!\n".utf8)
    /// 1 MiB of a deterministic pattern (a byte-wise LCG), distinct at every offset mod 256.
    static let big: [UInt8] = {
        var state: UInt32 = 0x1234_5678
        return (0..<(1 << 20)).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
    }()

    static let users = ["alice": "Wonderland-42"]
    static let memoryShare = ShareSource.memory(["hello.txt": hello, "dir/random-1m.bin": big])

    static func configuration(signing: SigningPolicy = .auto, faults: FaultPlan = FaultPlan(),
                              log: (@Sendable (ServerLogEvent) -> Void)? = nil) -> SMBServerConfiguration {
        SMBServerConfiguration(users: users, shares: ["share": memoryShare], signing: signing, faults: faults, log: log)
    }
}

/// Collects log events from connection threads.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [ServerLogEvent] = []

    var sink: @Sendable (ServerLogEvent) -> Void { { [self] event in lock.withLock { stored.append(event) } } }
    var events: [ServerLogEvent] { lock.withLock { stored } }

    var authentications: [ServerLogEvent] {
        events.filter { if case .authentication = $0 { return true } else { return false } }
    }
}

/// Carries a value out of a runtime thread to the test's thread, where it is checked.
final class Box<T>: @unchecked Sendable {
    var value: T?
}

/// Runs `body` against a fresh server over an in-memory pipe, under a free-run runtime, and
/// returns what it returned. The client end is closed afterwards, so the server thread ends
/// and `runMain` returns.
func withPipeServer<T>(_ configuration: SMBServerConfiguration, seed: UInt64 = 7,
                       _ body: @escaping (SMBServer, ScriptedClient) throws -> T) throws -> T {
    let runtime = FreeRunRuntime(seed: seed)
    let server = try SMBServer(configuration: configuration, runtime: runtime)
    let box = Box<T>()
    nonisolated(unsafe) let work = body
    try runtime.runMain {
        let (clientEnd, serverEnd) = PipeTransport.makePair(runtime: runtime)
        server.serve(connection: serverEnd)
        defer { clientEnd.close() }
        box.value = try work(server, ScriptedClient(clientEnd))
    }
    guard let value = box.value else { throw ScriptedClient.ClientError.unexpected("no result") }
    return value
}
