import CIFSClient
import KernelRuntime
import SMBServer
import SMBWire
import Testing

/// State diffs are read from the objects: for one path, each change starts from the value the
/// previous change left (`old` of one diff == `new` of the one before), from the first event of a
/// run to the last — which a typed "old value" (`"good"`, `"n"`, `count - 1`) would break.
@Suite("State diffs chain: every old value is the value the object held")
struct StateDiffChainTests {
    /// Paths of objects that live for the whole run (page paths are left out: a page frame is
    /// reused for other indices, so `page[i]` starts again from a fresh frame's flags).
    static func isLongLived(_ path: String) -> Bool {
        ["server.", "ses.", "tcon.", "file.", "mid[", "ra.", "mapping.", "inode.", "cifsiod."]
            .contains { path.hasPrefix($0) }
    }

    /// `path: old → new` where `old` is not what the path last became, in event order.
    static func breaks(_ events: [TraceEvent]) -> [String] {
        var last: [String: String?] = [:]
        var problems: [String] = []
        for event in events {
            for change in event.diff where isLongLived(change.path) {
                if let previous = last[change.path], previous != change.old {
                    problems.append("#\(event.sequence) \(event.function): \(change) after \(previous ?? "∅")")
                }
                last[change.path] = .some(change.new)
            }
        }
        return problems
    }

    @Test("a signed 256 KiB page-cache read, stepped")
    func signedRead() throws {
        let run = try ReadaheadDeterminismTests.run(seed: 77)
        #expect(run.bytes == ReadaheadDeterminismTests.content)
        #expect(Self.breaks(run.events) == [])
        let sequence = run.events.flatMap(\.diff).filter { $0.path == "server.sequenceNumber" }
        #expect(sequence.first == StateDiff(path: "server.sequenceNumber", old: "0", new: "2"))
        #expect(sequence.count > 10)
        // A mid starts allocated, not "submitted".
        let firstMid = try #require(run.events.flatMap(\.diff).first { $0.path.hasPrefix("mid[") })
        #expect(firstMid.old == nil && firstMid.new == "allocated")
    }

    @Test("a dropped signed connection: the reconnect clears real values, the session is set up again")
    func reconnect() throws {
        let content = Harness.pattern(500_000, seed: 24)
        let run = try ReadaheadHarness.readFromPipeServer(
            SteppedRuntime(seed: 18), content: content, sign: true, signing: .required, rsize: 61_440,
            readaheadPages: 128, faults: FaultPlan(closeConnectionAtRequest: [10]))
        #expect(run.bytes == content)
        #expect(run.statistics.reconnects == 1)
        #expect(Self.breaks(run.events) == [])
        let reconnect = run.events.filter { $0.function == "cifs_reconnect" }.flatMap(\.diff)
        #expect(reconnect.contains(StateDiff(path: "server.tcpStatus", old: "good", new: "needReconnect")))
        let cleared = try #require(reconnect.first { $0.path == "server.sequenceNumber" })
        #expect(cleared.new == "0")
        #expect(UInt32(cleared.old ?? "") ?? 0 > 2)
        #expect(reconnect.contains(StateDiff(path: "server.sessionEstablished", old: "true", new: "false")))
        // The second session setup changes needReconnect, not the status it never lost.
        let setups = run.events.filter { $0.function == "cifs_setup_session" && $0.phase == .exit }
        #expect(setups.count == 2)
        #expect(setups.first?.diff.contains { $0.path == "ses.status" && $0.old == "new" && $0.new == "good" } == true)
        #expect(setups.last?.diff.contains { $0.path == "ses.status" } == false)
        #expect(setups.last?.diff.contains(StateDiff(path: "ses.needReconnect", old: "true", new: "false")) == true)
    }

    @Test("a remount starts from the status the unmount left, not from new")
    func remount() throws {
        let runtime = SteppedRuntime(seed: 4)
        var config = FakeSMBServer.Configuration()
        config.files = ["\\data.bin": Harness.pattern(1000)]
        let fake = FakeSMBServer(runtime: runtime, config: config)
        let mount = CIFSMount(runtime: runtime, options: Harness.options(auth: .ntlm), connect: fake.connect)
        try runtime.runMain(name: "reader") {
            try mount.mount()
            try mount.unmount()
            try mount.mount()
            try mount.unmount()
        }
        let connects = runtime.trace.events.filter { $0.function == "cifs_get_tcp_session" && $0.phase == .exit }
        #expect(connects.map { $0.diff.first { $0.path == "server.tcpStatus" } } == [
            StateDiff(path: "server.tcpStatus", old: "new", new: "needNegotiate"),
            StateDiff(path: "server.tcpStatus", old: "exiting", new: "needNegotiate"),
        ])
        #expect(Self.breaks(runtime.trace.events) == [])
    }
}
