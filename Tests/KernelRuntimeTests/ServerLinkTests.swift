import Foundation
import KernelRuntime
import Synchronization
import Testing

/// A stepped run against a real TCP server through a `ServerLink`: bytes taken in at decisions,
/// logged, and replayed without the network.
@Suite struct ServerLinkTests {
    /// A loopback server on a plain OS thread: for each 4-byte request it answers the bytes
    /// reversed, after `gate` lets it (when given). It accepts connections until closed.
    final class ReversingServer: @unchecked Sendable {
        let listener: TCPListener
        let accepted = Atomic<Int>(0)
        let gate: DispatchSemaphore?

        /// Replies per connection before the server hangs up (`nil`: never).
        let hangUpAfter: Int?

        init(gate: DispatchSemaphore? = nil, hangUpAfter: Int? = nil) throws {
            listener = try TCPListener(host: "127.0.0.1", port: 0)
            self.gate = gate
            self.hangUpAfter = hangUpAfter
            Thread.detachNewThread { [self] in
                while let connection = try? listener.accept() {
                    accepted.add(1, ordering: .relaxed)
                    Thread.detachNewThread { [self] in serve(connection) }
                }
            }
        }

        private func serve(_ connection: TCPTransport) {
            var answered = 0
            while answered < (hangUpAfter ?? .max), let request = try? connection.receive(exactly: 4), request.count == 4 {
                gate?.wait()
                guard (try? connection.send(request.reversed())) != nil else { return }
                answered += 1
            }
            connection.close()
        }

        var port: UInt16 { listener.port }
        func close() { listener.close() }
    }

    /// The client program: `client` connects, sends each request and records what comes back;
    /// `worker` records events of its own meanwhile, so decisions interleave with arrivals.
    /// `sleeper` (when `sleep` is given) sleeps that many simulated nanoseconds, then records.
    final class Client: @unchecked Sendable {
        let runtime: SteppedRuntime
        let feed: ServerFeed
        let requests: [[UInt8]]
        var replies: [[UInt8]] = []

        init(runtime: SteppedRuntime, link: ServerLink, requests: [[UInt8]], sleep: UInt64? = nil) {
            self.runtime = runtime
            self.requests = requests
            feed = link.makeFeed(for: runtime)
            runtime.spawn(name: "client") { [self] in
                let transport = try feed.connect()
                for request in requests {
                    try transport.send(request)
                    let reply = try transport.receive(exactly: 4)
                    runtime.withLock { replies.append(reply) }
                    try runtime.traced("client_reply", "got \(reply)") { _ in }
                }
                transport.close()
            }
            runtime.spawn(name: "worker") {
                for i in 0..<6 { try runtime.traced("worker_tick", "tick \(i)") { _ in } }
            }
            if let sleep {
                runtime.spawn(name: "sleeper") {
                    try runtime.sleep(nanoseconds: sleep)
                    try runtime.traced("sleeper_woke", "woke") { _ in }
                }
            }
        }
    }

    static let requests: [[UInt8]] = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]

    /// What identifies an event for comparing runs.
    static func shape(_ events: [TraceEvent]) -> [String] {
        events.map { "\($0.sequence) \($0.time) \($0.threadName) \($0.function) \($0.phase) \($0.message)" }
    }

    @Test func aLiveRunIsLoggedAndReplaysWithoutTheServer() throws {
        let server = try ReversingServer()
        let link = ServerLink(host: "127.0.0.1", port: server.port)
        let runtime = SteppedRuntime(seed: 7, policy: .seededRandom)
        let live = Client(runtime: runtime, link: link, requests: Self.requests)
        try runtime.runToCompletion()
        #expect(live.replies == Self.requests.map { Array($0.reversed()) })

        let recording = link.recording
        #expect(recording.connections.count == 1)
        #expect(recording.connections[0].sent == Self.requests.flatMap { $0 })
        #expect(recording.connections[0].arrivals.flatMap(\.bytes) == Self.requests.flatMap { $0.reversed() })
        // Every arrival was taken in at a decision the run made.
        #expect(recording.connections[0].arrivals.allSatisfy { $0.decision < runtime.decisions.count })

        // The server is gone; the recording alone reproduces the run, event for event.
        server.close()
        link.close()
        let offline = ServerLink(replaying: try JSONDecoder().decode(
            NetworkRecording.self, from: try JSONEncoder().encode(recording)))
        let replay = runtime.makeReplay()
        let again = Client(runtime: replay, link: offline, requests: Self.requests)
        try replay.runToCompletion()
        #expect(again.replies == live.replies)
        #expect(Self.shape(replay.trace.events) == Self.shape(runtime.trace.events))
        #expect(replay.decisions == runtime.decisions)
        #expect(server.accepted.load(ordering: .relaxed) == 1)
    }

    @Test func aReplayThatSendsOtherBytesIsRefused() throws {
        let server = try ReversingServer()
        let link = ServerLink(host: "127.0.0.1", port: server.port)
        let runtime = SteppedRuntime(seed: 3, policy: .seededRandom)
        _ = Client(runtime: runtime, link: link, requests: Self.requests)
        try runtime.runToCompletion()
        server.close()

        let replay = runtime.makeReplay()
        var changed = Self.requests
        changed[1][2] = 0xEE
        _ = Client(runtime: replay, link: ServerLink(replaying: link.recording), requests: changed)
        // The client's send fails (and then its decisions no longer match the recorded ones).
        #expect(throws: (any Error).self) { try replay.runToCompletion() }
        replay.abort()
        let client = try #require(replay.threads.first { $0.name == "client" })
        #expect(client.status == .failed(ServerLinkError.sentDiffers(connection: 0, offset: 6).description))
    }

    @Test func goingBackReplaysTheLogThenCarriesOnOnTheOpenSocket() throws {
        let server = try ReversingServer()
        let link = ServerLink(host: "127.0.0.1", port: server.port)
        let first = SteppedRuntime(seed: 11, policy: .seededRandom)
        _ = Client(runtime: first, link: link, requests: Self.requests)
        // Up to the first reply only, then back to the start: the new run replays the log…
        try first.run { $0.function == "client_reply" }
        first.abort()
        let second = first.makeReplay()
        let resumed = Client(runtime: second, link: link, requests: Self.requests)
        // …and past its end goes on live, on the same connection.
        try second.runToCompletion()
        #expect(resumed.replies == Self.requests.map { Array($0.reversed()) })
        #expect(server.accepted.load(ordering: .relaxed) == 1)
        #expect(link.recording.connections.count == 1)
        #expect(link.recording.connections[0].sent == Self.requests.flatMap { $0 })
        server.close()
    }

    @Test func waitingForTheNetworkNeitherDeadlocksNorJumpsTheClock() throws {
        let server = try ReversingServer()
        let link = ServerLink(host: "127.0.0.1", port: server.port)
        let runtime = SteppedRuntime(seed: 5, policy: .lowestID)
        // A 10-second simulated sleep is pending while the client waits for each reply: the
        // controller must wait for the network, not move the clock to the sleeper's deadline.
        let tenSeconds: UInt64 = 10_000_000_000
        _ = Client(runtime: runtime, link: link, requests: Self.requests, sleep: tenSeconds)
        try runtime.runToCompletion()
        let events = runtime.trace.events
        let lastReply = try #require(events.last { $0.function == "client_reply" })
        let woke = try #require(events.first { $0.function == "sleeper_woke" })
        #expect(lastReply.time < tenSeconds)
        #expect(woke.time >= tenSeconds)
        #expect(lastReply.sequence < woke.sequence)
        server.close()
    }

    @Test func aSilentServerEndsTheCallButNotTheRun() throws {
        let gate = DispatchSemaphore(value: 0)
        let server = try ReversingServer(gate: gate)
        let link = ServerLink(host: "127.0.0.1", port: server.port)
        let runtime = SteppedRuntime(seed: 5, policy: .lowestID)
        runtime.networkSilenceLimit = .milliseconds(100)
        let client = Client(runtime: runtime, link: link, requests: [[1, 2, 3, 4]])
        do {
            try runtime.runToCompletion()
            Issue.record("the run ended although the server never answered")
        } catch let RuntimeError.serverSilent(_, waiting) {
            #expect(waiting.contains { $0.name == "client" && $0.waitingFor.contains("socket") })
        }
        // Nothing was decided: once the server answers, the same run goes on to the end.
        gate.signal()
        try runtime.runToCompletion()
        #expect(client.replies == [[4, 3, 2, 1]])
        server.close()
    }

    @Test func aWaitForTheNetworkCanBeInterrupted() throws {
        let gate = DispatchSemaphore(value: 0)
        let server = try ReversingServer(gate: gate)
        let link = ServerLink(host: "127.0.0.1", port: server.port)
        let runtime = SteppedRuntime(seed: 5, policy: .lowestID)
        _ = Client(runtime: runtime, link: link, requests: [[1, 2, 3, 4]])
        // Ctrl-C's part: once the controller waits for the network, interrupt it.
        Thread.detachNewThread {
            while !runtime.isWaitingForNetwork { sched_yield() }
            runtime.interrupt()
        }
        do {
            try runtime.runToCompletion()
            Issue.record("the run ended although the server never answered")
        } catch let RuntimeError.interrupted(waiting) {
            #expect(waiting.contains { $0.name == "client" })
        }
        gate.signal()
        try runtime.runToCompletion()
        server.close()
    }

    @Test func aServerThatHangsUpIsLoggedAndTheReconnectReplays() throws {
        let server = try ReversingServer(hangUpAfter: 2)
        let link = ServerLink(host: "127.0.0.1", port: server.port)
        /// Sends each request; at the end of a stream, connects again and sends it again.
        final class Reconnecting: @unchecked Sendable {
            var replies: [[UInt8]] = []
            init(runtime: SteppedRuntime, link: ServerLink) {
                let feed = link.makeFeed(for: runtime)
                runtime.spawn(name: "client") { [self] in
                    var transport = try feed.connect()
                    var pending = ServerLinkTests.requests[...]
                    while let request = pending.first {
                        // The server may hang up before or after our request reaches it: an
                        // end of stream, a reset, or a send to a closed peer (all logged).
                        var reply: [UInt8] = []
                        do {
                            try transport.send(request)
                            reply = try transport.receive(exactly: 4)
                        } catch TransportError.connectionReset {
                        } catch TransportError.peerClosed {
                        }
                        if reply.isEmpty {
                            transport.close()
                            try runtime.traced("reconnect", "end of stream: connecting again") { _ in }
                            transport = try feed.connect()
                            continue
                        }
                        runtime.withLock { replies.append(reply) }
                        pending = pending.dropFirst()
                    }
                    transport.close()
                }
            }
        }
        let runtime = SteppedRuntime(seed: 4, policy: .seededRandom)
        let live = Reconnecting(runtime: runtime, link: link)
        try runtime.runToCompletion()
        #expect(live.replies == Self.requests.map { Array($0.reversed()) })
        let recording = link.recording
        #expect(recording.connections.count == 2)
        #expect(recording.connections[0].arrivals.last?.end != nil || recording.connections[0].sendFailure != nil)
        #expect(server.accepted.load(ordering: .relaxed) == 2)
        server.close()

        let replay = runtime.makeReplay()
        let again = Reconnecting(runtime: replay, link: ServerLink(replaying: recording))
        try replay.runToCompletion()
        #expect(again.replies == live.replies)
        #expect(Self.shape(replay.trace.events) == Self.shape(runtime.trace.events))
    }

    @Test func aSavedRecordingThatRunsOutSaysSo() throws {
        let server = try ReversingServer()
        let link = ServerLink(host: "127.0.0.1", port: server.port)
        let runtime = SteppedRuntime(seed: 2, policy: .seededRandom)
        _ = Client(runtime: runtime, link: link, requests: Self.requests)
        // Only the first exchange is in the log.
        try runtime.run { $0.function == "client_reply" }
        runtime.abort()
        server.close()
        var cut = link.recording
        cut.connections[0].arrivals.removeAll { $0.bytes != [4, 3, 2, 1] && !$0.bytes.isEmpty }
        let replay = SteppedRuntime(seed: 2, policy: .seededRandom)
        _ = Client(runtime: replay, link: ServerLink(replaying: cut), requests: Self.requests)
        do {
            try replay.runToCompletion()
            Issue.record("a replay past the end of its recording completed")
        } catch let RuntimeError.inputEnded(reason, _) {
            #expect(reason.contains("recording"))
        } catch ServerLinkError.recordingEnded {
            // Also right: the client tried to send past the recording.
        }
        replay.abort()
    }
}
