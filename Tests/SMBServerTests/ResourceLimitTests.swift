import Foundation
import KernelRuntime
import SMBWire
import Testing
@testable import SMBServer

/// A clock a test moves by hand: the server's timeouts are measured on it.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var nanoseconds: UInt64 = 1_000_000_000

    var now: UInt64 { lock.withLock { nanoseconds } }
    var read: @Sendable () -> UInt64 { { [self] in now } }

    func advance(seconds: Double) {
        lock.withLock { nanoseconds += UInt64(seconds * 1e9) }
    }
}

/// A server on a free-run runtime that a test opens pipe connections to, each with its own
/// thread (so the test can wait for that connection to end).
struct LimitHarness {
    let runtime: FreeRunRuntime
    let server: SMBServer

    /// A new connection: the scripted client end and the server thread serving it (nil when
    /// the server refused it).
    func connect() -> (client: ScriptedClient, thread: KernelThread?) {
        let (clientEnd, serverEnd) = PipeTransport.makePair(runtime: runtime)
        let thread = server.serve(connection: serverEnd)
        return (ScriptedClient(clientEnd), thread)
    }

    /// Waits until connection `id` has finished sending its last reply (the client may read a
    /// reply before the server thread notes the send as done; a test moving the clock must
    /// not see that send as still under way).
    func settle(_ ids: Int...) throws {
        for id in ids { try server.waitForActivity(of: id) { $0.sendingSince == nil } }
    }

    /// A connection logged on as alice with the share connected.
    func loggedOn() throws -> (client: ScriptedClient, thread: KernelThread?) {
        let connection = connect()
        _ = try connection.client.negotiate(extended: true)
        #expect(try connection.client.loginNTLMSSP(user: "alice", password: "Wonderland-42", spnego: true) == .success)
        #expect(try connection.client.treeConnect("share") == .success)
        return connection
    }
}

/// Runs `body` on a fresh server configured by `configure`; every connection is closed at the end.
func withLimitHarness<T>(_ configure: (inout SMBServerConfiguration) -> Void = { _ in },
                         _ body: @escaping (LimitHarness) throws -> T) throws -> T {
    var configuration = TestData.configuration(signing: .off)
    configure(&configuration)
    let runtime = FreeRunRuntime(seed: 3)
    let server = try SMBServer(configuration: configuration, runtime: runtime)
    let box = Box<T>()
    nonisolated(unsafe) let work = body
    try runtime.runMain {
        defer { server.stop() }
        box.value = try work(LimitHarness(runtime: runtime, server: server))
    }
    guard let value = box.value else { throw ScriptedClient.ClientError.unexpected("no result") }
    return value
}

extension ScriptedClient {
    /// FIND_FIRST2 of `\*` at level 0x104 that stays open (no close flags), one entry per page.
    func openSearch() throws -> (status: NTStatus, sid: UInt16?) {
        let first = Trans2Request(subcommand: .findFirst2,
                                  parameters: [0x16, 0, 1, 0, 0, 0, 0x04, 0x01, 0, 0, 0, 0]
                                      + SMBString.encode("\\*", unicode: true),
                                  maxParameterCount: 10, maxDataCount: 16384)
        let (header, packet) = try call(first)
        guard header.status.isSuccess else { return (header.status, nil) }
        let reply = try decodeReply(Trans2Response.self, packet)
        return (header.status, UInt16(reply.parameters[0]) | UInt16(reply.parameters[1]) << 8)
    }

    func closeSearch(_ sid: UInt16) throws -> NTStatus {
        try call(SMBRawBlock(command: .findClose2, wordCount: 1, parameters: [UInt8(sid & 0xFF), UInt8(sid >> 8)],
                             byteCount: 0, data: [])).header.status
    }

    /// Leg one of an NTLMSSP login on a fresh UID, never finished.
    func halfLogin() throws -> NTStatus {
        let negotiate = try NTLMSSPNegotiateMessage(flags: [.negotiateUnicode, .requestTarget, .negotiateNTLM]).encode()
        uid = 0
        return try call(extendedSetup(SPNEGO.encode(.negTokenInit(SPNEGONegTokenInit(mechTypes: [.ntlmssp], mechToken: negotiate))))).header.status
    }

    func echo() throws -> NTStatus {
        try call(EchoRequest(echoCount: 1, data: [1, 2, 3])).header.status
    }
}

/// Issue 13, items 1–4 on the server: caps on what one connection (and all of them) may hold,
/// timeouts, the connection cap, a FID tied to its UID.
@Suite("Resource limits of the server")
struct ResourceLimitTests {
    @Test func openFilesAreCappedPerConnectionAndPerServer() throws {
        let outcome = try withLimitHarness({
            $0.limits.maxOpenFilesPerConnection = 5
            $0.limits.maxOpenFiles = 7
        }) { harness -> [String] in
            var out: [String] = []
            let (first, firstThread) = try harness.loggedOn()
            var fids: [UInt16] = []
            for _ in 0..<6 {
                let (status, response) = try first.open("hello.txt")
                out.append(status.name)
                if let fid = response?.fid { fids.append(fid) }
            }
            // Closing one makes room again.
            out.append(try first.close(fid: fids[0]).name)
            out.append(try first.open("hello.txt").status.name)
            let (second, _) = try harness.loggedOn()
            for _ in 0..<3 { out.append(try second.open("hello.txt").status.name) }
            out.append("held \(harness.server.heldResources.openFiles)")
            // When the first connection ends its files are given back to the server.
            first.transport.close()
            if let firstThread { try harness.runtime.join(firstThread) }
            out.append("held \(harness.server.heldResources.openFiles)")
            out.append(try second.open("hello.txt").status.name)
            return out
        }
        let ok = NTStatus.success.name, tooMany = NTStatus.tooManyOpenedFiles.name
        #expect(outcome == [ok, ok, ok, ok, ok, tooMany, ok, ok, ok, ok, tooMany, "held 7", "held 2", ok])
    }

    @Test func opensOfOneFileShareADescriptor() throws {
        let base = try makeTemporaryDirectory("fds")
        defer { try? FileManager.default.removeItem(atPath: base) }
        try Data("hello".utf8).write(to: URL(fileURLWithPath: base + "/hello.txt"))
        try Data("other".utf8).write(to: URL(fileURLWithPath: base + "/other.txt"))
        let counts = try withLimitHarness({ $0.shares = ["share": .directory(base)] }) { harness -> [Int] in
            let (client, _) = try harness.loggedOn()
            guard let share = harness.server.share(named: "share") else { return [] }
            var counts: [Int] = []
            var fids: [UInt16] = []
            for _ in 0..<200 { if let fid = try client.open("hello.txt").response?.fid { fids.append(fid) } }
            counts.append(fids.count)
            counts.append(share.openDescriptorCount)
            _ = try client.open("other.txt")
            counts.append(share.openDescriptorCount)
            #expect(try client.read(fid: fids[150], offset: 1, count: 100).data == Array("ello".utf8))
            for fid in fids { _ = try client.close(fid: fid) }
            counts.append(share.openDescriptorCount)
            return counts
        }
        #expect(counts == [200, 1, 2, 1])
    }

    @Test func searchesAreCappedAndClosingOneMakesRoom() throws {
        let outcome = try withLimitHarness({
            $0.limits.maxSearchesPerConnection = 3
            $0.limits.maxSearches = 4
        }) { harness -> [String] in
            var out: [String] = []
            let (first, _) = try harness.loggedOn()
            var sids: [UInt16] = []
            for _ in 0..<4 {
                let (status, sid) = try first.openSearch()
                out.append(status.name)
                if let sid { sids.append(sid) }
            }
            out.append(try first.closeSearch(sids[0]).name)
            out.append(try first.openSearch().status.name)
            let (second, _) = try harness.loggedOn()
            out.append(try second.openSearch().status.name)
            out.append(try second.openSearch().status.name)
            out.append("held \(harness.server.heldResources.searches)")
            return out
        }
        let ok = NTStatus.success.name, full = NTStatus.insufficientResources.name
        #expect(outcome == [ok, ok, ok, full, ok, ok, ok, full, "held 4"])
    }

    /// Half-finished NTLMSSP logins are bounded; another connection still logs in.
    @Test func pendingLoginsAreCapped() throws {
        let outcome = try withLimitHarness({
            $0.limits.maxPendingLoginsPerConnection = 3
            $0.limits.maxPendingLogins = 5
        }) { harness -> [String] in
            var out: [String] = []
            let (attacker, _) = harness.connect()
            _ = try attacker.negotiate(extended: true)
            for _ in 0..<4 { out.append(try attacker.halfLogin().name) }
            let (other, _) = harness.connect()
            _ = try other.negotiate(extended: true)
            for _ in 0..<3 { out.append(try other.halfLogin().name) }
            out.append("held \(harness.server.heldResources.pendingLogins)")
            // A third connection cannot start one while the server's budget is spent, but a
            // finished login gives its slot back.
            let (good, _) = harness.connect()
            _ = try good.negotiate(extended: true)
            out.append(try good.loginNTLMSSP(user: "alice", password: "Wonderland-42", spnego: true).name)
            attacker.transport.close()
            try harness.server.waitForActivity(of: 1) { _ in false }
            out.append("held \(harness.server.heldResources.pendingLogins)")
            out.append(try good.loginNTLMSSP(user: "alice", password: "Wonderland-42", spnego: true).name)
            out.append("held \(harness.server.heldResources.pendingLogins)")
            return out
        }
        let more = NTStatus.moreProcessingRequired.name, full = NTStatus.insufficientResources.name
        #expect(outcome == [more, more, more, full, more, more, full, "held 5", full, "held 2",
                            NTStatus.success.name, "held 2"])
    }

    /// A FID is its opener's alone; the TID serves every UID of the connection.
    @Test func fidIsValidOnlyForTheUIDThatOpenedIt() throws {
        let outcome = try withPipeServer(TestData.configuration(signing: .off)) { _, client -> [String] in
            _ = try client.negotiate(extended: true)
            _ = try client.loginNTLMSSP(user: "alice", password: "Wonderland-42", spnego: true)
            let first = client.uid
            _ = try client.treeConnect("share")
            guard let fid = try client.open("hello.txt").response?.fid else { return ["open failed"] }
            client.uid = 0
            _ = try client.loginNTLMSSP(user: "alice", password: "Wonderland-42", spnego: true)
            let second = client.uid
            var out = [first == second ? "same UID" : "two UIDs"]
            // The second user: the first one's FID is no handle of its own…
            out.append(try client.read(fid: fid, offset: 0, count: 10).status.name)
            out.append(try client.queryFileInfo(fid: fid, level: .infoStandard).status.name)
            out.append(try client.close(fid: fid).name)
            // …but the tree serves it, and what it opens is its own.
            let own = try client.open("hello.txt")
            out.append(own.status.name)
            client.uid = first
            if let ownFID = own.response?.fid { out.append(try client.read(fid: ownFID, offset: 0, count: 5).status.name) }
            out.append(String(decoding: try client.read(fid: fid, offset: 0, count: 5).data, as: UTF8.self))
            return out
        }
        let invalid = NTStatus.invalidHandle.name
        #expect(outcome == ["two UIDs", invalid, invalid, invalid, NTStatus.success.name, invalid, "Hello"])
    }

    @Test func aFrameLeftIncompleteIsDroppedAfterTheFrameTimeout() throws {
        let clock = ManualClock()
        let log = EventLog()
        let expired = try withLimitHarness({
            $0.clock = clock.read
            $0.log = log.sink
            $0.limits.frameTimeout = 20 * SMBServerLimits.nanosecondsPerSecond
        }) { harness -> [[Int]] in
            let (good, _) = try harness.loggedOn()
            let (trickler, thread) = harness.connect()
            var expired: [[Int]] = []
            // One byte a second: the timeout runs from the frame's first byte, not its last.
            let frame = try NBSSFrame.encode(RobustnessTests.negotiatePacket)
            try trickler.sendRaw([frame[0]])
            try harness.server.waitForActivity(of: 2) { $0.frameStartedAt != nil }
            try harness.settle(1)
            for byte in frame[1..<19] {
                clock.advance(seconds: 1)
                try trickler.sendRaw([byte])
                expired.append(harness.server.expireConnections())
            }
            clock.advance(seconds: 1.5)
            expired.append(harness.server.expireConnections())
            clock.advance(seconds: 1)
            expired.append(harness.server.expireConnections())
            if let thread { try harness.runtime.join(thread) }
            #expect(try trickler.serverClosed())
            #expect(try good.echo() == .success)
            return expired
        }
        #expect(expired == Array(repeating: [], count: 19) + [[2]], "\(log.events)")
        #expect(log.events.contains(.connectionClosed(connection: 2, reason: "timed out: a frame incomplete for 20 s")))
    }

    @Test func connectionsWithoutALoginAreDroppedAfterTheLoginTimeoutAndIdleOnesLater() throws {
        let clock = ManualClock()
        let log = EventLog()
        let expired = try withLimitHarness({
            $0.clock = clock.read
            $0.log = log.sink
        }) { harness -> [[Int]] in
            let (silent, _) = harness.connect()        // 1: never says anything
            let (negotiated, _) = harness.connect()    // 2: NEGOTIATE, ECHOs, no login
            _ = try negotiated.negotiate(extended: true)
            let (idle, _) = try harness.loggedOn()     // 3: logged on, then idle
            let (busy, _) = try harness.loggedOn()     // 4: logged on, a request now and then
            var expired: [[Int]] = []
            try harness.settle(2, 3, 4)
            clock.advance(seconds: 29)
            #expect(try negotiated.echo() == .success)
            try harness.settle(2)
            expired.append(harness.server.expireConnections())
            clock.advance(seconds: 1)
            expired.append(harness.server.expireConnections())
            #expect(try silent.serverClosed() && negotiated.serverClosed())
            for _ in 0..<3 {
                clock.advance(seconds: 200)
                #expect(try busy.echo() == .success)
                try harness.settle(4)
                expired.append(harness.server.expireConnections())
            }
            #expect(try idle.serverClosed())
            #expect(try busy.echo() == .success)
            return expired
        }
        #expect(expired == [[], [1, 2], [], [], [3]], "\(log.events)")
        #expect(log.events.contains(.connectionClosed(connection: 1, reason: "timed out: no login within 30 s")))
        #expect(log.events.contains(.connectionClosed(connection: 3, reason: "timed out: idle for 600 s")))
    }

    @Test func connectionsPastTheCapAreRefusedClearlyWhenAllAreLoggedOn() throws {
        let log = EventLog()
        let outcome = try withLimitHarness({
            $0.limits.maxConnections = 2
            $0.log = log.sink
        }) { harness -> [String] in
            let (a, _) = try harness.loggedOn()
            let (b, _) = try harness.loggedOn()
            let (c, thread) = harness.connect()
            var out = [thread == nil ? "refused" : "served"]
            out.append(try c.transport.receive(maxBytes: 100).map { String($0, radix: 16) }.joined(separator: " "))
            out.append(try c.serverClosed() ? "closed" : "open")
            out.append(try a.echo().name)
            out.append(try b.echo().name)
            out.append("refused \(harness.server.statistics.connectionsRefused)")
            return out
        }
        #expect(outcome == ["refused", "83 0 0 1 83", "closed", "STATUS_SUCCESS", "STATUS_SUCCESS", "refused 1"])
        #expect(log.events.contains(.connectionRefused(peer: "pipe", reason: "2 connections logged on (limit 2)")))
    }

    /// At the cap a newcomer takes the place of the oldest connection without a session, so
    /// connections that never log on cannot keep clients out; logged-on ones stay.
    @Test func aNewcomerEvictsTheOldestConnectionWithoutALogin() throws {
        let log = EventLog()
        let outcome = try withLimitHarness({
            $0.limits.maxConnections = 3
            $0.log = log.sink
        }) { harness -> [String] in
            let (a, _) = try harness.loggedOn()           // 1
            let (older, olderThread) = harness.connect()  // 2: never says anything
            let (newer, _) = harness.connect()            // 3: negotiates, no login
            _ = try newer.negotiate(extended: true)
            let (d, thread) = harness.connect()           // 4 takes 2's place
            var out = [thread == nil ? "refused" : "served"]
            if let olderThread { try harness.runtime.join(olderThread) }
            out.append(try older.serverClosed() ? "2 closed" : "2 open")
            _ = try d.negotiate(extended: true)
            out.append(try d.echo() == .success ? "4 served" : "4 not served")
            out.append(try newer.echo().name)
            out.append(try a.echo().name)
            out.append("evicted \(harness.server.statistics.connectionsEvicted)")
            return out
        }
        #expect(outcome == ["served", "2 closed", "4 served", "STATUS_SUCCESS", "STATUS_SUCCESS", "evicted 1"])
        #expect(log.events.contains(.connectionClosed(
            connection: 2, reason: "evicted: 3 connections served and it had not logged on")))
    }

    @Test func sessionsAndTreesAreCappedPerConnection() throws {
        let outcome = try withLimitHarness({
            $0.limits.maxSessionsPerConnection = 2
            $0.limits.maxTreesPerConnection = 2
        }) { harness -> [String] in
            let (client, _) = try harness.loggedOn()
            var out = [try client.treeConnect("share").name, try client.treeConnect("share").name]
            client.uid = 0
            out.append(try client.loginNTLMSSP(user: "alice", password: "Wonderland-42", spnego: true).name)
            client.uid = 0
            out.append(try client.loginNTLMSSP(user: "alice", password: "Wonderland-42", spnego: true).name)
            return out
        }
        #expect(outcome == [NTStatus.success.name, NTStatus.insufficientResources.name,
                            NTStatus.success.name, NTStatus.insufficientResources.name])
    }

    /// A READ_ANDX asking 16 MiB of a 33-byte file allocates what the file holds, not 16 MiB.
    @Test func readBuffersAreSizedByWhatCanBeRead() throws {
        let share = try Share(name: "mem", source: TestData.memoryShare, fileTime: 0)
        let file = try share.open(try share.lookup("hello.txt"))
        let sixteenMiB = 16 << 20
        let data = try file.read(offset: 0, count: sixteenMiB)
        #expect(data == TestData.hello && data.capacity < 4096)
        var frame: [UInt8] = []
        #expect(try file.read(offset: 4, count: sixteenMiB, into: &frame, at: 64) == TestData.hello.count - 4)
        #expect(frame.count == 64 + TestData.hello.count - 4 && frame.capacity < 4096)
        #expect(Array(frame[64...]) == Array(TestData.hello[4...]))
        #expect(try file.read(offset: 99, count: sixteenMiB, into: &frame, at: 64) == 0 && frame.count == 64)

        let base = try makeTemporaryDirectory("read")
        defer { try? FileManager.default.removeItem(atPath: base) }
        try Data(TestData.hello).write(to: URL(fileURLWithPath: base + "/hello.txt"))
        let directory = try Share(name: "dir", source: .directory(base), fileTime: 0)
        let onDisk = try directory.open(try directory.lookup("hello.txt"))
        let read = try onDisk.read(offset: 0, count: sixteenMiB)
        #expect(read == TestData.hello && read.capacity < 4096)
        var diskFrame: [UInt8] = []
        #expect(try onDisk.read(offset: 0, count: sixteenMiB, into: &diskFrame, at: 64) == TestData.hello.count)
        #expect(diskFrame.capacity < 4096 && Array(diskFrame[64...]) == TestData.hello)
    }

    @Test func oversizedKeepAliveClosesTheConnection() throws {
        let log = EventLog()
        let closed = try withLimitHarness({
            $0.maxRequestSize = 4096
            $0.log = log.sink
        }) { harness -> Bool in
            let (client, thread) = harness.connect()
            try client.sendRaw([0x85, 0x00, 0x20, 0x00] + [UInt8](repeating: 0, count: 16))
            if let thread { try harness.runtime.join(thread) }
            return try client.serverClosed()
        }
        #expect(closed)
        #expect(log.events.contains { if case .malformedRequest(1, _, true) = $0 { return true } else { return false } })
    }
}
