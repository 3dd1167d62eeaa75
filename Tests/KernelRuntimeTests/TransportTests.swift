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

    // receive(filling:) raises the socket's low-water mark and waits in poll for large
    // remainders; these check it wakes for every way the bytes can come, or not come.

    /// A connected pair on loopback, with the client's receiving thread id published.
    private func withPair(_ body: @escaping @Sendable (FreeRunRuntime, TCPTransport, TCPTransport) throws -> Void) throws {
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        let rt = FreeRunRuntime(seed: 11)
        try rt.runMain(name: "main") {
            let client = try TCPTransport.connect(host: "127.0.0.1", port: listener.port)
            let server = try listener.accept()
            defer {
                client.close()
                server.close()
            }
            try body(rt, client, server)
        }
    }

    /// Fills `pages` 4 KiB buffers on a thread of `rt`; returns the bytes placed and the thread.
    private func fillingReceiver(
        _ rt: FreeRunRuntime, _ transport: TCPTransport, pages: Int,
        tid: Box<Int32?>, outcome: Box<Result<[UInt8], TransportError>?>
    ) -> KernelThread {
        rt.spawn(name: "cifsd") {
            rt.withLock { tid.value = BlockedThreads.currentThreadID() }
            var storage = [UInt8](repeating: 0, count: pages * 4096)
            let result: Result<[UInt8], TransportError>
            do {
                let placed = try storage.withUnsafeMutableBytes { raw -> Int in
                    let buffers = (0..<pages).map { UnsafeMutableRawBufferPointer(rebasing: raw[($0 * 4096)..<(($0 + 1) * 4096)]) }
                    return try buffers.withUnsafeBufferPointer { try transport.receive(filling: $0) }
                }
                result = .success(Array(storage[0..<placed]))
            } catch let error as TransportError {
                result = .failure(error)
            } catch {
                result = .failure(.closed)
            }
            rt.withLock { outcome.value = result }
        }
    }

    /// Joins the receiver; if it has not finished within 30 s (it slept for good), closes the
    /// transport first so the test fails instead of hanging.
    private func join(
        _ rt: FreeRunRuntime, _ receiver: KernelThread, closing transport: TCPTransport,
        outcome: Box<Result<[UInt8], TransportError>?>
    ) throws {
        if !BlockedThreads.eventually(within: 30, { rt.withLock { outcome.value != nil } }) {
            Issue.record("the filling receive did not return within 30 s")
            transport.close()
        }
        try rt.join(receiver)
    }

    private func waitUntilPolling(_ rt: FreeRunRuntime, _ tid: Box<Int32?>) -> Bool {
        BlockedThreads.eventually {
            rt.withLock { tid.value }.map { BlockedThreads.isInSystemCall($0, .poll) } ?? false
        }
    }

    @Test func fillingWaitsForTheRestAfterPartOfItWasQueued() throws {
        try withPair { rt, client, server in
            let payload = rt.randomBytes(256 * 4096)
            let tid = Box<Int32?>(nil)
            let outcome = Box<Result<[UInt8], TransportError>?>(nil)
            // A third is queued before the receive starts (a mark of the whole length, counted
            // after those bytes were taken, would never be reached), the rest comes in two
            // pieces while it waits.
            let cuts = [0, payload.count / 3, 2 * payload.count / 3, payload.count]
            try server.send(Array(payload[cuts[0]..<cuts[1]]))
            let receiver = fillingReceiver(rt, client, pages: 256, tid: tid, outcome: outcome)
            for (start, end) in zip(cuts.dropFirst(), cuts.dropFirst(2)) {
                #expect(waitUntilPolling(rt, tid))
                try server.send(Array(payload[start..<end]))
            }
            try join(rt, receiver, closing: client, outcome: outcome)
            #expect(try outcome.value?.get() == payload)
        }
    }

    @Test func fillingStopsAtTheEndOfTheStreamWithWhatArrived() throws {
        try withPair { rt, client, server in
            let payload = rt.randomBytes(50 * 4096 + 123)
            let tid = Box<Int32?>(nil)
            let outcome = Box<Result<[UInt8], TransportError>?>(nil)
            let receiver = fillingReceiver(rt, client, pages: 256, tid: tid, outcome: outcome)
            #expect(waitUntilPolling(rt, tid))
            try server.send(payload)
            server.close()
            try join(rt, receiver, closing: client, outcome: outcome)
            #expect(try outcome.value?.get() == payload)
        }
    }

    @Test func closingWakesAFillingReceiverInPoll() throws {
        try withPair { rt, client, server in
            let tid = Box<Int32?>(nil)
            let outcome = Box<Result<[UInt8], TransportError>?>(nil)
            let receiver = fillingReceiver(rt, client, pages: 256, tid: tid, outcome: outcome)
            #expect(waitUntilPolling(rt, tid))
            try server.send([UInt8](repeating: 9, count: 10_000))
            #expect(waitUntilPolling(rt, tid))
            client.close()
            try rt.join(receiver)
            #expect(outcome.value == .failure(.closed))
        }
    }

    @Test func aFillTakesWhatIsQueuedWithoutRaisingTheMark() throws {
        try withPair { rt, client, server in
            let payload = rt.randomBytes(64 * 4096)
            try server.send(payload + [1, 2, 3])
            let tid = Box<Int32?>(nil)
            let outcome = Box<Result<[UInt8], TransportError>?>(nil)
            let receiver = fillingReceiver(rt, client, pages: 64, tid: tid, outcome: outcome)
            try join(rt, receiver, closing: client, outcome: outcome)
            #expect(try outcome.value?.get() == payload)
            #expect(client.lowWaterMark == 1)
            #expect(try client.receive(maxBytes: 100) == [1, 2, 3])
        }
    }

    @Test func aSmallReceiveThatWaitsAfterAFillLowersTheMark() throws {
        try withPair { rt, client, server in
            // The fill has to wait for its second half, so it raises the mark, and leaves it.
            let payload = rt.randomBytes(64 * 4096)
            let tid = Box<Int32?>(nil)
            let outcome = Box<Result<[UInt8], TransportError>?>(nil)
            try server.send(Array(payload[..<(payload.count / 2)]))
            let receiver = fillingReceiver(rt, client, pages: 64, tid: tid, outcome: outcome)
            #expect(waitUntilPolling(rt, tid))
            try server.send(Array(payload[(payload.count / 2)...]))
            try join(rt, receiver, closing: client, outcome: outcome)
            #expect(try outcome.value?.get() == payload)
            #expect(client.lowWaterMark > 1)
            // Three bytes, sent only once the next receive sleeps: under the raised mark it
            // would wait for ever (the guard closes the transport after 30 s, failing the test).
            let small = Box<Result<[UInt8], TransportError>?>(nil)
            let smallTid = Box<Int32?>(nil)
            let smallReceiver = rt.spawn(name: "cifsd") {
                rt.withLock { smallTid.value = BlockedThreads.currentThreadID() }
                let result: Result<[UInt8], TransportError>
                do { result = .success(try client.receive(maxBytes: 100)) } catch let error as TransportError {
                    result = .failure(error)
                } catch { result = .failure(.closed) }
                rt.withLock { small.value = result }
            }
            #expect(BlockedThreads.eventually {
                rt.withLock { smallTid.value }.map { BlockedThreads.isInSystemCall($0, .receive) } ?? false
            })
            try server.send([1, 2, 3])
            try join(rt, smallReceiver, closing: client, outcome: small)
            #expect(try small.value?.get() == [1, 2, 3])
            #expect(client.lowWaterMark == 1)
        }
    }
}
