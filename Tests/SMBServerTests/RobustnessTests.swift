import Foundation
import KernelRuntime
import SMBCrypto
import SMBWire
import Testing
@testable import SMBServer

/// Malformed input never traps the server: a request it cannot parse gets an error reply, a
/// stream it cannot follow is closed, and other connections carry on.
@Suite("Robustness against malformed input")
struct RobustnessTests {
    static let negotiatePacket: [UInt8] = {
        let header = SMBHeader(command: .negotiate, flags2: [.unicode, .ntStatus, .longNames], mid: 1)
        return (try? NegotiateRequest().encodePacket(header: header)) ?? []
    }()

    /// Sends `bytes` on a fresh connection; returns whether the server closed it and the
    /// status of a reply if one came first.
    private func feed(_ bytes: [UInt8], configuration: SMBServerConfiguration = TestData.configuration())
        throws -> (closed: Bool, status: NTStatus?) {
        try withPipeServer(configuration) { _, client in
            try client.sendRaw(bytes)
            var status: NTStatus?
            do {
                let reply = try client.receiveMessage()
                status = try SMBHeader.peek(reply).status
            } catch ScriptedClient.ClientError.connectionClosed {
                return (true, nil)
            }
            return (try client.serverClosed(), status)
        }
    }

    @Test func framingErrorsCloseTheConnection() throws {
        let log = EventLog()
        var configuration = TestData.configuration(log: log.sink)
        configuration.maxRequestSize = 4096
        // NetBIOS session request (0x81) on direct TCP.
        #expect(try feed([0x81, 0, 0, 4, 1, 2, 3, 4], configuration: configuration).closed)
        // A frame longer than the cap.
        #expect(try feed([0x00, 0x00, 0x20, 0x00] + [UInt8](repeating: 0, count: 16), configuration: configuration).closed)
        // Not SMB1: plain garbage, an SMB2 header, a truncated SMB1 header, a reply.
        #expect(try feed(try NBSSFrame.encode(Array("GET / HTTP/1.1\r\n\r\n".utf8))).closed)
        #expect(try feed(try NBSSFrame.encode([0xFE, 0x53, 0x4D, 0x42] + [UInt8](repeating: 0, count: 60))).closed)
        #expect(try feed(try NBSSFrame.encode([0xFF, 0x53, 0x4D, 0x42, 0x72, 0, 0])).closed)
        var reply = Self.negotiatePacket
        reply[9] |= 0x80
        #expect(try feed(try NBSSFrame.encode(reply)).closed)
        // An empty frame.
        #expect(try feed([0, 0, 0, 0]).closed)
        #expect(log.events.contains { if case .malformedRequest(_, _, true) = $0 { return true } else { return false } })
    }

    @Test func malformedRequestsGetErrorRepliesAndTheConnectionContinues() throws {
        let outcome = try withPipeServer(TestData.configuration()) { _, client -> [NTStatus] in
            var statuses: [NTStatus] = []
            // NEGOTIATE with WordCount 3 and a ByteCount past the end.
            var bad = Self.negotiatePacket
            bad[32] = 3
            try client.sendRaw(try NBSSFrame.encode(bad))
            statuses.append(try SMBHeader.peek(try client.receiveMessage()).status)
            bad = Self.negotiatePacket
            bad[33] = 0xFF
            try client.sendRaw(try NBSSFrame.encode(bad))
            statuses.append(try SMBHeader.peek(try client.receiveMessage()).status)
            // Then a good NEGOTIATE and an extended session setup whose blob is garbage.
            _ = try client.negotiate(extended: true)
            statuses.append(try client.call(client.extendedSetup([0x60, 0x80, 0x01, 0x02])).header.status)
            statuses.append(try client.call(client.extendedSetup(Array("NTLMSSP\0".utf8) + [3, 0, 0, 0, 1])).header.status)
            // Still serving: a full login works.
            statuses.append(try client.loginNTLMSSP(user: "alice", password: "Wonderland-42", spnego: true))
            statuses.append(try client.treeConnect("share"))
            // A TRANS2 whose parameter offset points past the packet.
            var trans2 = try Trans2Request(subcommand: .queryPathInformation, parameters: [1, 1, 0, 0, 0, 0, 0, 0],
                                           maxParameterCount: 2, maxDataCount: 100)
                .encodePacket(header: client.header(.transaction2))
            trans2[33 + 20] = 0xF0
            try client.sendRaw(try NBSSFrame.encode(trans2))
            statuses.append(try SMBHeader.peek(try client.receiveMessage()).status)
            statuses.append(try client.call(EchoRequest(echoCount: 1, data: [7])).header.status)
            return statuses
        }
        #expect(outcome == [.invalidParameter, .invalidParameter, .invalidParameter, .invalidParameter,
                            .success, .success, .invalidParameter, .success])
    }

    /// Thousands of mutated requests from a real session: every one is answered or closes its
    /// connection, and the server threads always end normally.
    @Test func mutatedRequestsNeverTrapTheServer() throws {
        let packets = try recordSession()
        var random = SplitMix64(seed: 0x9E37_79B9_7F4A_7C15)
        func next() -> UInt64 { random.next() }
        let runtime = FreeRunRuntime(seed: 3)
        let server = try SMBServer(configuration: TestData.configuration(signing: .auto), runtime: runtime)
        var plans: [[[UInt8]]] = []
        for round in 0..<400 {
            var session = packets
            let target = Int(next() % UInt64(session.count))
            var packet = session[target]
            for _ in 0..<(1 + Int(next() % 4)) {
                let index = Int(next() % UInt64(packet.count))
                switch next() % 4 {
                case 0: packet[index] ^= UInt8(truncatingIfNeeded: next() | 1)
                case 1: packet[index] = 0xFF
                case 2: packet.removeSubrange(index...)
                default: packet.insert(UInt8(truncatingIfNeeded: next()), at: index)
                }
                if packet.isEmpty { packet = [0] }
            }
            session[target] = packet
            if round % 7 == 0 { session.removeSubrange((target + 1)...) }
            plans.append(session)
        }
        let sessions = plans
        try runtime.runMain {
            for session in sessions {
                let (clientEnd, serverEnd) = PipeTransport.makePair(runtime: runtime)
                server.serve(connection: serverEnd)
                for packet in session {
                    guard (try? clientEnd.send(try NBSSFrame.encode(packet))) != nil else { break }
                }
                clientEnd.close()
            }
        }
        #expect(server.liveConnectionCount == 0)
        #expect(server.statistics.connectionsAccepted == 400)
        #expect(server.statistics.requests > 400)
    }

    /// The requests of a complete session, as the scripted client sent them.
    private func recordSession() throws -> [[UInt8]] {
        let runtime = FreeRunRuntime(seed: 5)
        let server = try SMBServer(configuration: TestData.configuration(), runtime: runtime)
        let box = Box<[[UInt8]]>()
        try runtime.runMain {
            let (clientEnd, serverEnd) = PipeTransport.makePair(runtime: runtime)
            let (tapClient, tapServer) = PipeTransport.makePair(runtime: runtime, names: ("tap-client", "tap-server"))
            // The client talks to a tap that records each frame and forwards it.
            server.serve(connection: serverEnd)
            runtime.spawn(name: "tap") {
                var decoder = NBSSDecoder()
                var recorded: [[UInt8]] = []
                var pumpDone = false
                runtime.spawn(name: "tap-replies") {
                    while let chunk = try? clientEnd.receive(maxBytes: 65536), !chunk.isEmpty {
                        try? tapServer.send(chunk)
                    }
                    tapServer.close()
                }
                while !pumpDone {
                    let chunk = (try? tapServer.receive(maxBytes: 65536)) ?? []
                    if chunk.isEmpty { pumpDone = true; break }
                    decoder.feed(chunk)
                    while let message = try decoder.next() { recorded.append(message) }
                    try clientEnd.send(chunk)
                }
                clientEnd.close()
                box.value = recorded
            }
            let client = ScriptedClient(tapClient)
            _ = try client.negotiate(extended: true)
            try client.loginNTLMSSP(user: "alice", password: "Wonderland-42", spnego: true)
            _ = try client.treeConnect("share")
            let fid = try #require(try client.open("\\hello.txt").response?.fid)
            _ = try client.queryFileInfo(fid: fid, level: .queryFileAllInfo)
            _ = try client.read(fid: fid, offset: 0, count: 100)
            _ = try client.close(fid: fid)
            _ = try client.call(TreeDisconnectRequest())
            _ = try client.call(LogoffAndXRequest())
            tapClient.close()
        }
        let packets = try #require(box.value)
        #expect(packets.count == 10)
        return packets
    }

    @Test func overTCPABadConnectionDoesNotDisturbAGoodOne() throws {
        let log = EventLog()
        let fixture = try TCPServerFixture(TestData.configuration(signing: .required, log: log.sink))
        let port = fixture.port
        let outcome = Box<[String]>()
        // The clients run on their own runtime: runMain waits for every thread of a runtime,
        // and the server's listener thread runs until shutdown.
        try FreeRunRuntime(seed: 99).runMain {
            let good = try TCPTransport.connect(host: "127.0.0.1", port: port)
            let bad = try TCPTransport.connect(host: "127.0.0.1", port: port)
            let client = ScriptedClient(good)
            _ = try client.negotiate(extended: false)
            // The bad connection sends garbage, then half a frame, then goes away mid-message.
            try bad.send(try NBSSFrame.encode([0xFF, 0x53, 0x4D, 0x42, 0x73]))
            let badClosed = (try? bad.receive(maxBytes: 100))?.isEmpty ?? true
            let second = try TCPTransport.connect(host: "127.0.0.1", port: port)
            try second.send([0x00, 0x00, 0x10, 0x00] + Self.negotiatePacket.prefix(40))
            second.close()
            // The good connection completes a signed session.
            try client.loginOldStyle(user: "alice", password: "Wonderland-42", ntlmv2: true)
            _ = try client.treeConnect("share")
            let fid = try #require(try client.open("\\dir\\random-1m.bin").response?.fid)
            var data: [UInt8] = []
            while data.count < TestData.big.count {
                let (_, chunk) = try client.read(fid: fid, offset: UInt64(data.count), count: 1 << 20)
                if chunk.isEmpty { break }
                data += chunk
            }
            good.close()
            bad.close()
            outcome.value = ["bad closed \(badClosed)", "signed \(client.macKey != nil)",
                             "bad signatures \(client.badSignatures.count)", "match \(data == TestData.big)"]
        }
        try fixture.shutdown()
        #expect(outcome.value == ["bad closed true", "signed true", "bad signatures 0", "match true"])
        #expect(fixture.server.statistics.connectionsAccepted == 3)
        #expect(fixture.server.liveConnectionCount == 0)
        #expect(log.events.contains { if case .malformedRequest(_, _, true) = $0 { return true } else { return false } })
    }
}
