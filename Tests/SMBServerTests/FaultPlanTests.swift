import Foundation
import KernelRuntime
import SMBWire
import Testing
@testable import SMBServer

/// Each fault of the FaultPlan, over the pipe. Reply/request numbers: 1 NEGOTIATE,
/// 2 SESSION_SETUP (old-style), 3 TREE_CONNECT, 4 NT_CREATE, 5… reads.
@Suite("Fault hooks")
struct FaultPlanTests {
    private func openHello(_ client: ScriptedClient, signed: Bool = false) throws -> UInt16 {
        _ = try client.negotiate(extended: false)
        client.requestSigning = signed
        try client.loginOldStyle(user: "alice", password: "Wonderland-42", ntlmv2: false)
        _ = try client.treeConnect("share")
        return try #require(try client.open("\\hello.txt").response?.fid)
    }

    @Test func failTheSecondRead() throws {
        let log = EventLog()
        let faults = FaultPlan(failRead: [2: NTStatus(0xC000_0185)])  // STATUS_IO_DEVICE_ERROR
        let statuses = try withPipeServer(TestData.configuration(faults: faults, log: log.sink)) { server, client in
            let fid = try openHello(client)
            let result = try (1...3).map { _ in try client.read(fid: fid, offset: 0, count: 5).status }
            #expect(server.statistics.reads == 3)
            return result
        }
        #expect(statuses == [.success, NTStatus(0xC000_0185), .success])
        #expect(log.events.contains(.faultInjected(connection: 1, fault: "read 2 fails with 0xc0000185")))
    }

    @Test func corruptTheSignatureOfReplyFive() throws {
        let bad = try withPipeServer(TestData.configuration(signing: .required,
                                                            faults: FaultPlan(corruptSignature: [5]))) { _, client in
            let fid = try openHello(client)
            let (status, data) = try client.read(fid: fid, offset: 0, count: 100)
            #expect(status == .success && data == TestData.hello)
            _ = try client.read(fid: fid, offset: 0, count: 100)
            return client.badSignatures
        }
        // Request seqs: TREE 2, CREATE 4, READ 6 (reply 7, corrupted), READ 8 (reply 9, fine).
        #expect(bad == [7])
    }

    @Test func dropReplyFour() throws {
        let mids = try withPipeServer(TestData.configuration(faults: FaultPlan(dropReply: [4]))) { _, client -> [UInt16] in
            _ = try client.negotiate(extended: false)
            try client.loginOldStyle(user: "alice", password: "Wonderland-42", ntlmv2: false)
            _ = try client.treeConnect("share")
            let openMID = client.mid
            try client.send(NTCreateAndXRequest(desiredAccess: 0x0012_0089, shareAccess: 7, createDisposition: 1,
                                                createOptions: 0, fileName: "\\hello.txt"))
            try client.send(EchoRequest(echoCount: 1, data: [1]))
            let next = try SMBHeader.peek(try client.receiveMessage())
            return [openMID, next.mid]
        }
        // The NT_CREATE reply never comes; the ECHO reply (the next MID) is the first to arrive.
        #expect(mids.count == 2 && mids[1] == mids[0] + 1)
    }

    @Test func delayReplyThree() throws {
        let elapsed = try withPipeServer(TestData.configuration(faults: FaultPlan(delayReply: [3: 80_000_000]))) { server, client in
            _ = try client.negotiate(extended: false)
            try client.loginOldStyle(user: "alice", password: "Wonderland-42", ntlmv2: false)
            let start = server.runtime.now
            #expect(try client.treeConnect("share") == .success)
            return server.runtime.now - start
        }
        #expect(elapsed >= 80_000_000)
    }

    @Test func closeAtRequestThree() throws {
        let closed = try withPipeServer(TestData.configuration(faults: FaultPlan(closeConnectionAtRequest: [3]))) { _, client in
            _ = try client.negotiate(extended: false)
            try client.loginOldStyle(user: "alice", password: "Wonderland-42", ntlmv2: false)
            try client.send(TreeConnectAndXRequest(path: "\\\\CIFSTEP\\share"))
            return try client.serverClosed()
        }
        #expect(closed)
    }

    @Test func invalidateTheHandleAfterTheFirstRead() throws {
        let statuses = try withPipeServer(TestData.configuration(faults: FaultPlan(invalidateHandleAfterRead: [1]))) { _, client in
            let fid = try openHello(client)
            let first = try client.read(fid: fid, offset: 0, count: 5)
            let second = try client.read(fid: fid, offset: 5, count: 5).status
            let closeStatus = try client.close(fid: fid)
            // A reopen (what the kernel's cifs_reopen_file does) works.
            let reopened = try #require(try client.open("\\hello.txt").response?.fid)
            let third = try client.read(fid: reopened, offset: 5, count: 5)
            return [first.status, second, closeStatus, third.status,
                    first.data == Array(TestData.hello[0..<5]) ? .success : .unsuccessful,
                    third.data == Array(TestData.hello[5..<10]) ? .success : .unsuccessful]
        }
        #expect(statuses == [.success, .invalidHandle, .invalidHandle, .success, .success, .success])
    }

    @Test func invalidateAllHandlesFromCode() throws {
        let statuses = try withPipeServer(TestData.configuration()) { server, client in
            let fid = try openHello(client)
            let before = try client.read(fid: fid, offset: 0, count: 5).status
            server.invalidateAllHandles()
            return [before, try client.read(fid: fid, offset: 0, count: 5).status]
        }
        #expect(statuses == [.success, .invalidHandle])
    }

    @Test func rejectTheFirstAuthenticationAndUpdateFaultsLive() throws {
        let log = EventLog()
        let statuses = try withPipeServer(TestData.configuration(faults: FaultPlan(rejectAuthentication: [1]),
                                                                log: log.sink)) { server, client in
            _ = try client.negotiate(extended: true)
            let first = try client.loginNTLMSSP(user: "alice", password: "Wonderland-42", spnego: true)
            let second = try client.loginNTLMSSP(user: "alice", password: "Wonderland-42", spnego: true)
            server.updateFaults { $0.failRead[1] = .accessDenied }
            _ = try client.treeConnect("share")
            let fid = try #require(try client.open("\\hello.txt").response?.fid)
            let read = try client.read(fid: fid, offset: 0, count: 1).status
            return [first, second, read]
        }
        #expect(statuses == [.logonFailure, .success, .accessDenied])
        #expect(log.events.contains(.faultInjected(connection: 1, fault: "rejected authentication 1")))
    }
}
