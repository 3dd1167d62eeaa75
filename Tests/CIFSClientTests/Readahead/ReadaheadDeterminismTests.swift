import CIFSClient
import KernelRuntime
import SMBServer
import SMBWire
import Testing

/// The async read path under the stepped runtime: one thread at a time, the same events for
/// the same seed.
@Suite("Readahead: stepped determinism")
struct ReadaheadDeterminismTests {
    static let content = Harness.pattern(256 * 1024, seed: 31)

    /// Login (NTLMSSP, signed) and a 256 KiB read in 64 KiB `read(2)` calls, 15-page READ_ANDX,
    /// a 128 KiB window. The first READ_ANDX reply (reply 7, after NEGOTIATE, two SESSION_SETUPs,
    /// TREE_CONNECT, NT_CREATE and TRANS2) is delayed 10 ms of simulated time, so the reader
    /// surely reaches page 0 while it is locked and sleeps in `lock_page_killable`.
    static func run(seed: UInt64) throws -> ReadaheadHarness.Outcome {
        try ReadaheadHarness.readFromPipeServer(
            SteppedRuntime(seed: seed), content: content, sign: true, signing: .required, rsize: 61_440,
            readaheadPages: 32, chunkSize: 64 * 1024, faults: FaultPlan(delayReply: [7: 10_000_000]))
    }

    @Test("the same 256 KiB read twice with one seed: identical event streams")
    func identicalEventStreams() throws {
        let first = try Self.run(seed: 77)
        let second = try Self.run(seed: 77)
        #expect(first.bytes == Self.content)
        #expect(second.bytes == Self.content)
        #expect(first.events.count > 500)
        #expect(first.events.count == second.events.count)
        #expect(first.events == second.events)
        #expect(first.decisions == second.decisions)
        // Every thread of the path took part.
        let threads = Set(first.events.map(\.threadName))
        #expect(threads == ["reader", "cifsd", "cifsiod", "smbd"])
        // Where each step of the path runs.
        let expectations: [(String, String)] = [
            ("cifs_readpages", "reader"), ("cifs_readdata_alloc", "reader"), ("cifs_async_readv", "reader"),
            ("cifs_readv_receive", "cifsd"), ("cifs_readpages_read_into_pages", "cifsd"),
            ("cifs_readv_callback", "cifsd"),
            ("cifs_readv_complete", "cifsiod"), ("lock_page_killable", "reader"),
        ]
        for (function, thread) in expectations {
            let events = first.events.filter { $0.function == function }
            #expect(!events.isEmpty, "no \(function) event")
            #expect(events.allSatisfy { $0.threadName == thread },
                    "\(function) off \(thread): \(Set(events.map(\.threadName)))")
        }
        // Async replies are verified on cifsd, over the header and the data in the pages.
        let asyncChecks = first.events.filter { $0.function == "cifs_verify_signature" && $0.message.contains("in the pages") }
        #expect(asyncChecks.count == 6)  // two 32-page windows of 15 + 15 + 2 pages
        #expect(asyncChecks.allSatisfy { $0.threadName == "cifsd" })
        // Every READ_ANDX reply verified, no fallback.
        #expect(first.statistics.signatureFailures == 0)
        #expect(first.statistics.readpageFallbacks == 0)
        #expect(first.statistics.signaturesVerified == first.statistics.requestsSent - 3)
    }

    @Test("the reader sleeps in lock_page_killable and cifsiod's unlock_page wakes it")
    func readerWaitsForCifsiod() throws {
        let run = try Self.run(seed: 5)
        let blocks = run.events.filter { $0.function == "lock_page_killable" && $0.phase == .block }
        #expect(blocks.first?.message.hasPrefix("page[0] is locked") == true)
        #expect(blocks.allSatisfy { $0.threadName == "reader" })
        // Each block is followed, on the reader, by the exit of that lock_page_killable: woken, taken.
        let wakes = blocks.compactMap { block in
            run.events.first {
                $0.sequence > block.sequence && $0.threadName == "reader" && $0.function == "lock_page_killable"
            }
        }
        #expect(wakes.count == blocks.count)
        #expect(wakes.allSatisfy { $0.phase == .exit && $0.message.hasPrefix("woken") })
        // The first wake follows cifsiod's unlock of page 0.
        let firstWake = try #require(wakes.first)
        #expect(firstWake.diff == [StateDiff(path: "page[0].locked", old: "false", new: "true")])
        let unlock = run.events.last {
            $0.function == "unlock_page" && $0.phase == .exit && $0.sequence < firstWake.sequence
        }
        #expect(unlock?.diff == [StateDiff(path: "page[0].locked", old: "true", new: "false")])
        #expect(unlock?.threadName == "cifsiod")
        // cifsiod unlocks every page once; the reader unlocks every page it took with
        // lock_page_killable — whether it had to sleep for it or (cifsiod being quicker) not.
        let unlocks = run.events.filter { $0.function == "unlock_page" && $0.phase == .enter }
        let readerLocks = run.events.filter {
            $0.function == "lock_page_killable" && $0.phase == .enter && $0.threadName == "reader"
        }
        #expect(unlocks.filter { $0.threadName == "cifsiod" }.count == 64)
        #expect(unlocks.filter { $0.threadName == "reader" }.count == readerLocks.count)
        #expect(readerLocks.count >= blocks.count)
    }

    @Test("another seed interleaves differently but reads the same bytes")
    func otherSeed() throws {
        let first = try Self.run(seed: 77)
        let other = try Self.run(seed: 78)
        #expect(other.bytes == first.bytes)
        #expect(other.events != first.events)
    }
}

@Suite("Readahead: the state an inspector reads")
struct ReadaheadInspectionTests {
    /// After a read, the open file leads to its page cache and readahead state; the pages are
    /// read by index, with their data present.
    @Test func openFileLeadsToItsPageCache() throws {
        let runtime = SteppedRuntime(seed: 12)
        let content = Harness.pattern(100_000, seed: 3)
        let server = try ReadaheadHarness.server(runtime, files: ["data.bin": content])
        var options = Harness.options(auth: .ntlmssp, rsize: 61_440, host: "pipe")
        options.readaheadPages = 32
        let mount = CIFSMount(runtime: runtime, options: options) {
            let (client, serverEnd) = PipeTransport.makePair(runtime: runtime)
            server.serve(connection: serverEnd)
            return client
        }
        let inspected = Harness.Box<(indices: [Int], flags: [PageFlags?], nrpages: Int, raSize: Int, prevPos: Int64)?>(nil)
        try runtime.runMain(name: "reader") {
            try mount.mount()
            let file = try mount.open("data.bin")
            _ = try mount.readThroughPageCache(file, into: { _ in })
            let files = runtime.withLock { mount.tree.openFiles }
            let found = try #require(files.first)
            let mapping = try #require(runtime.withLock { found.mapping })
            let ra = try #require(runtime.withLock { found.readahead })
            inspected.value = runtime.withLock {
                let indices = mapping.cachedPageIndices
                return (indices, indices.map { mapping.pageFlags(at: $0) }, mapping.nrpages, ra.size, ra.prevPos)
            }
            try mount.close(file)
            try mount.unmount()
        }
        let seen = try #require(inspected.value)
        // 100,000 bytes: pages 0...24, all read ahead, all cached (capacity 80).
        #expect(seen.indices == Array(0...24))
        #expect(seen.nrpages == 25)
        #expect(seen.flags.allSatisfy { $0 == [.uptodate, .hasData] })
        #expect(seen.raSize > 0)
        // prev_pos: the last page read, and the offset in it where the read stopped.
        #expect(seen.prevPos == (24 << 12) | 1696)
    }
}
