import Foundation
import KernelRuntime
import SMBServer
import Testing
@testable import Stepper

/// The stepper against a server over TCP (`Scenario.server`): here the in-process server
/// listening on loopback in free-run mode, as `cifstep serve` runs it, so these tests need no
/// Samba (InteropTests step against Samba itself).
@Suite struct RealServerStepperTests {
    /// `cifstep serve` in this process: alice's share with the demo files, on a free port.
    final class LoopbackServer: @unchecked Sendable {
        let server: SMBServer
        let listener: TCPListener
        private let done = DispatchSemaphore(value: 0)

        init(file: String) throws {
            let runtime = FreeRunRuntime(seed: 99)
            server = try SMBServer(
                configuration: SMBServerConfiguration(
                    users: ["alice": "Wonderland-42"], shares: ["share": .memory(DemoFiles.share(for: file))],
                    signing: .auto),
                runtime: runtime)
            listener = try TCPListener(host: "127.0.0.1", port: 0)
            Thread.detachNewThread { [self] in
                try? server.serve(listener: listener)
                done.signal()
            }
        }

        var share: SMBURL { SMBURL(host: "127.0.0.1", port: listener.port, share: "share", path: "") }

        /// Stops listening and drops every connection; returns once the server has stopped.
        func stop() {
            server.stop()
            done.wait()
        }
    }

    /// A value shared with a background thread.
    final class Box<T>: @unchecked Sendable {
        var value: T
        init(_ value: T) { self.value = value }
    }

    static let file = "random-256k.bin"
    static let bytes = DemoFiles.share(for: file)[file] ?? []

    /// What identifies an event for comparing runs (buffers included: the bytes on the wire).
    static func shape(_ events: [TraceEvent]) -> [String] {
        events.map { e in
            "\(e.sequence) \(e.time) \(e.threadName) \(e.function) \(e.phase) \(e.message) "
                + e.buffers.map { $0.name + ":" + $0.bytes.map { String($0, radix: 16) }.joined() }.joined(separator: ",")
        }
    }

    @Test func readsTheFileByteExactAndGoingBackNeedsNoServer() throws {
        let server = try LoopbackServer(file: Self.file)
        let session = StepperSession(scenario: Scenario(signing: .on, file: Self.file, server: server.share))
        defer { session.close() }
        _ = try session.must(.continue)
        #expect(session.outcome == .completed(bytesRead: Self.bytes.count))
        #expect(session.output == Self.bytes)
        let firstRun = Self.shape(session.events)
        // The client core's own events; the server is no thread of this run.
        #expect(!session.events.contains { $0.threadName == "smbd" })
        #expect(session.events.contains { $0.function == "cifs_verify_signature" })
        #expect(session.serverLink?.recording.connections.count == 1)

        server.stop()
        _ = try session.must(.goto(event: 1_000))
        #expect(Self.shape(session.events) == Array(firstRun.prefix(1_000)))
        _ = try session.must(.reverseStep(count: 10))
        _ = try session.must(.continue)
        #expect(Self.shape(session.events) == firstRun)
        #expect(session.output == Self.bytes)
    }

    @Test func aSavedRecordingReplaysInANewSessionWithoutTheServer() throws {
        let server = try LoopbackServer(file: Self.file)
        let scenario = Scenario(auth: .ntlmv2, file: Self.file, server: server.share)
        let live = StepperSession(scenario: scenario)
        defer { live.close() }
        _ = try live.must(.continue)
        server.stop()
        let recording = try #require(live.serverLink?.recording)
        let saved = try JSONDecoder().decode(NetworkRecording.self, from: try JSONEncoder().encode(recording))

        let replay = StepperSession(scenario: scenario, replaying: live.decisions, recording: saved)
        defer { replay.close() }
        #expect(replay.serverLink?.isLive == false)
        _ = try replay.must(.continue)
        #expect(Self.shape(replay.events) == Self.shape(live.events))
        #expect(replay.output == Self.bytes)
        #expect(replay.decisions == live.decisions)
    }

    @Test func changingTheRecordedPartNeedsANewConnection() throws {
        let server = try LoopbackServer(file: Self.file)
        defer { server.stop() }
        let session = StepperSession(scenario: Scenario(file: Self.file, server: server.share))
        defer { session.close() }
        _ = try session.must(.continue)
        // A decision where another thread could have run instead.
        let choice = try #require(session.decisions.first { $0.runnable.count > 1 && $0.afterEvent > 0 })
        let other = try #require(choice.runnable.first { $0 != choice.chosen })
        _ = try session.must(.goto(event: choice.afterEvent))
        guard case let .failure(error) = session.execute(.stepThread(id: other, count: 1)),
              case let .needsNewConnection(why) = error else {
            Issue.record("choosing thread \(other) where the recorded run chose \(choice.chosen) was accepted")
            return
        }
        #expect(why.contains("reset"))
        // Faults come from the embedded server: refused, saying so, and nothing changed.
        guard case let .failure(.faultRefused(reason)) = session.execute(.fault(.readError(1))) else {
            Issue.record("a fault was armed against a real server")
            return
        }
        #expect(reason.contains("embedded"))
        _ = try session.must(.continue)
        #expect(session.output == Self.bytes)

        // `reset` starts over on a new connection.
        let before = session.serverLink
        _ = try session.must(.reset(settings: []))
        #expect(session.serverLink !== before)
        #expect(session.serverLink?.recording.connections.isEmpty == true)
        _ = try session.must(.continue)
        #expect(session.output == Self.bytes)
        #expect(session.serverLink?.recording.connections.count == 1)
    }

    @Test func aSilentServerIsWaitedForUntilInterruptedAndTheRunGoesOn() throws {
        // A server that accepts the connection and never says a word.
        let silent = try TCPListener(host: "127.0.0.1", port: 0)
        defer { silent.close() }
        let held = Box<[TCPTransport]>([])
        Thread.detachNewThread {
            while let connection = try? silent.accept() { held.value.append(connection) }
        }
        let session = StepperSession(scenario: Scenario(
            server: SMBURL(host: "127.0.0.1", port: silent.port, share: "share", path: "")))
        defer { session.close() }
        // Ctrl-C's part: once the session waits for the server, interrupt it. (Only these two
        // thread-safe members are used from the other thread.)
        let handle = Box(session)
        Thread.detachNewThread {
            while !handle.value.isWaitingForServer { sched_yield() }
            handle.value.interrupt()
        }
        let result = try session.must(.continue)
        guard case let .interrupted(events, waiting)? = result.stop else {
            Issue.record("not interrupted: \(String(describing: result.stop))")
            return
        }
        #expect(events > 0)
        // The reader waits for the NEGOTIATE reply; cifsd for bytes on the socket.
        #expect(waiting.contains { $0.name == "cifsd" && $0.waitingFor.contains("socket") })
        #expect(session.outcome == nil)
        // Nothing was lost: the run goes on from the same event, and waits again.
        let position = session.position
        Thread.detachNewThread {
            while !handle.value.isWaitingForServer { sched_yield() }
            handle.value.interrupt()
        }
        let again = try session.must(.continue)
        #expect(session.position == position)
        if case .interrupted? = again.stop {} else { Issue.record("not interrupted again: \(String(describing: again.stop))") }
    }

    @Test func anUnreachableServerIsTheMountsError() throws {
        let server = try LoopbackServer(file: Self.file)
        let share = server.share
        server.stop()
        let session = StepperSession(scenario: Scenario(server: share))
        defer { session.close() }
        _ = try session.must(.continue)
        guard case let .programFailed(failure)? = session.outcome else {
            Issue.record("the run did not fail: \(String(describing: session.outcome))")
            return
        }
        #expect(failure.error.contains("connection refused"))
    }
}
