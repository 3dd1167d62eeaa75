import Foundation
import Testing
@testable import KernelRuntime

@Suite struct PipeTransportTests {
    @Test func transfers8MiBIntactThroughABoundedPipe() throws {
        let rt = FreeRunRuntime(seed: 8)
        let payload = rt.randomBytes(8 << 20)
        let received = Box<[UInt8]>([])
        try rt.runMain(name: "reader") {
            let (client, server) = PipeTransport.makePair(runtime: rt)
            let writer = rt.spawn(name: "writer") {
                var offset = 0
                var chunk = 1
                while offset < payload.count {
                    let end = min(payload.count, offset + chunk)
                    try server.send(Array(payload[offset..<end]))
                    offset = end
                    chunk = chunk * 3 % 300_007 + 1  // varying sizes, some above the 4 MiB bound's share
                }
                server.close()
            }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(payload.count)
            while true {
                let piece = try client.receive(maxBytes: 65_536)
                if piece.isEmpty { break }
                bytes += piece
            }
            try rt.join(writer)
            received.value = bytes
        }
        #expect(received.value.count == 8 << 20)
        #expect(received.value == payload)
    }

    @Test func aSendLargerThanTheBufferBlocksUntilRead() throws {
        let rt = SteppedRuntime(seed: 0, policy: .lowestID)
        let log = Box<[String]>([])
        try rt.runMain(name: "sender") {
            let (a, b) = PipeTransport.makePair(runtime: rt, capacity: 4)
            let reader = rt.spawn(name: "reader") {
                let first = try b.receive(maxBytes: 100)
                rt.withLock { log.value.append("got \(first)") }
                let rest = try b.receive(exactly: 6)
                rt.withLock { log.value.append("got \(rest)") }
                #expect(try b.receive(maxBytes: 1) == [])
            }
            try a.send(Array(1...10))
            rt.withLock { log.value.append("sent") }
            a.close()
            try rt.join(reader)
        }
        // lowestID: the sender fills 4 bytes and blocks; the reader takes them; the sender
        // finishes; the reader takes the other 6.
        #expect(log.value == ["got [1, 2, 3, 4]", "sent", "got [5, 6, 7, 8, 9, 10]"])
    }

    @Test func closeSemantics() throws {
        let rt = FreeRunRuntime(seed: 0)
        try rt.runMain(name: "t") {
            let (a, b) = PipeTransport.makePair(runtime: rt)
            try a.send([1, 2, 3])
            a.close()
            // The peer drains what was buffered, then sees end of stream.
            #expect(try b.receive(maxBytes: 10) == [1, 2, 3])
            #expect(try b.receive(maxBytes: 10) == [])
            #expect(throws: TransportError.peerClosed) { try b.send([4]) }
            #expect(throws: TransportError.closed) { try a.send([5]) }
            #expect(throws: TransportError.closed) { try a.receive(maxBytes: 1) }
            try b.send([])  // nothing to send: no error even though the peer is gone
            // A truncated frame is an error; a clean end is [].
            let (c, d) = PipeTransport.makePair(runtime: rt)
            try c.send([9, 9])
            c.close()
            #expect(throws: TransportError.truncated(expected: 4, received: 2)) { try d.receive(exactly: 4) }
            #expect(try d.receive(exactly: 4) == [])
        }
    }

    @Test func closingAnEndWakesItsBlockedReceiver() throws {
        let rt = FreeRunRuntime(seed: 0)
        let (a, _) = PipeTransport.makePair(runtime: rt)
        let outcome = Box<TransportError?>(nil)
        try rt.runMain(name: "closer") {
            let receiver = rt.spawn(name: "receiver") {
                do { _ = try a.receive(maxBytes: 1) } catch let error as TransportError {
                    rt.withLock { outcome.value = error }
                }
            }
            // Close only once the receiver waits on the empty pipe, so the close has to wake it.
            #expect(BlockedThreads.eventually { BlockedThreads.isWaiting(receiver, in: rt) })
            a.close()
            try rt.join(receiver)
        }
        #expect(outcome.value == .closed)
    }
}

@Suite struct TCPTransportTests {
    @Test func loopbackEchoOnAnEphemeralPort() throws {
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        #expect(listener.port != 0)
        let rt = FreeRunRuntime(seed: 3)
        let payload = rt.randomBytes(1 << 20)
        let echoed = Box<[UInt8]>([])
        let peer = Box("")
        try rt.runMain(name: "client") {
            let server = rt.spawn(name: "smbd") {
                let connection = try listener.accept()
                var buffer = [UInt8](repeating: 0, count: 70_000)
                while true {
                    let n = try buffer.withUnsafeMutableBytes { try connection.receive(into: $0) }
                    if n == 0 { break }
                    try connection.send(Array(buffer[0..<n]))
                }
                connection.close()
            }
            let client = try TCPTransport.connect(host: "127.0.0.1", port: listener.port)
            peer.value = client.peer
            let reader = rt.spawn(name: "cifsd") {
                let bytes = try client.receive(exactly: payload.count)
                rt.withLock { echoed.value = bytes }
            }
            var offset = 0
            while offset < payload.count {
                let end = min(payload.count, offset + 100_000)
                try client.send(Array(payload[offset..<end]))
                offset = end
            }
            try rt.join(reader)
            client.close()
            try rt.join(server)
        }
        #expect(echoed.value == payload)
        #expect(peer.value == "127.0.0.1:\(listener.port)")
        listener.close()
    }

    @Test func connectingToAClosedPortIsRefused() throws {
        var port: UInt16 = 0
        do {
            let probe = try TCPListener(host: "127.0.0.1", port: 0)
            port = probe.port
        }  // freed: nothing listens on `port` now
        #expect(throws: TransportError.connectionRefused(host: "127.0.0.1", port: port)) {
            try TCPTransport.connect(host: "127.0.0.1", port: port, timeout: .seconds(2))
        }
        #expect(TransportError.connectionRefused(host: "127.0.0.1", port: 4450).description
            == "connection refused to 127.0.0.1:4450")
    }

    @Test func closingAListenerUnblocksAccept() throws {
        let listener = try TCPListener(port: 0)
        let rt = FreeRunRuntime(seed: 0)
        let outcome = Box<TransportError?>(nil)
        try rt.runMain(name: "stopper") {
            let tid = Box<Int32?>(nil)
            let acceptor = rt.spawn(name: "acceptor") {
                rt.withLock { tid.value = BlockedThreads.currentThreadID() }
                do { _ = try listener.accept() } catch let error as TransportError {
                    rt.withLock { outcome.value = error }
                }
            }
            // Close only once the acceptor sits in accept(2), so the close has to unblock it.
            #expect(BlockedThreads.eventually {
                rt.withLock { tid.value }.map { BlockedThreads.isInSystemCall($0, .accept) } ?? false
            })
            listener.close()
            try rt.join(acceptor)
        }
        #expect(outcome.value == .closed)
    }

    @Test func closingAConnectionUnblocksItsReceiverAndThePeerSeesEOF() throws {
        let listener = try TCPListener(port: 0)
        let rt = FreeRunRuntime(seed: 0)
        let outcome = Box<[String]>([])
        try rt.runMain(name: "main") {
            let client = try TCPTransport.connect(host: "127.0.0.1", port: listener.port)
            let server = try listener.accept()
            let tid = Box<Int32?>(nil)
            let receiver = rt.spawn(name: "receiver") {
                rt.withLock { tid.value = BlockedThreads.currentThreadID() }
                do { _ = try client.receive(maxBytes: 4) } catch {
                    rt.withLock { outcome.value.append("\(error)") }
                }
            }
            // Close only once the receiver sits in recv(2), so the close has to unblock it.
            #expect(BlockedThreads.eventually {
                rt.withLock { tid.value }.map { BlockedThreads.isInSystemCall($0, .receive) } ?? false
            })
            client.close()
            try rt.join(receiver)
            let eof = try server.receive(maxBytes: 4)
            rt.withLock { outcome.value.append("server got \(eof.count) bytes") }
            #expect(throws: TransportError.closed) { try client.send([1]) }
            // Writing to a peer that is gone: an error, not SIGPIPE.
            var sendError: TransportError?
            for _ in 0..<50 where sendError == nil {
                do { try server.send([UInt8](repeating: 7, count: 65_536)) } catch let error as TransportError {
                    sendError = error
                }
            }
            rt.withLock { outcome.value.append("server send: \(sendError.map { "\($0)" } ?? "ok")") }
            server.close()
        }
        #expect(outcome.value == ["transport closed", "server got 0 bytes", "server send: peer closed the connection"])
        listener.close()
    }
}
