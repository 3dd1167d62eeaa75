@testable import CIFSClient
import KernelRuntime
import Testing

@Suite("Read path under the stepped runtime: tracepoints and determinism")
struct ReadPathTraceTests {
    private func steppedRun(
        seed: UInt64, policy: SchedulingPolicy = .seededRandom, size: Int, chunk: Int, limit: Int? = nil
    ) throws -> (events: [TraceEvent], result: MMReadResult) {
        let rt = SteppedRuntime(seed: seed, policy: policy)
        let result = try MMHarness.read(runtime: rt, fileSize: size, raPages: 8, chunk: chunk, limit: limit)
        return (rt.trace.events, result)
    }

    @Test func sameSeedGivesIdenticalEventStreams() throws {
        let size = 256 * 1024 + 123
        let first = try steppedRun(seed: 7, size: size, chunk: 10_000)
        let second = try steppedRun(seed: 7, size: size, chunk: 10_000)
        #expect(MMPattern.mismatch(first.result.bytes, 0..<size) == nil)
        #expect(second.result.bytes == first.result.bytes)
        #expect(first.events.count > 500)
        #expect(first.events == second.events)
        // Another seed interleaves the reader and cifsiod differently, with the same bytes.
        let other = try steppedRun(seed: 8, size: size, chunk: 10_000)
        #expect(other.result.bytes == first.result.bytes)
        #expect(other.events.map(\.threadID) != first.events.map(\.threadID))
    }

    /// One byte of a 4097-byte file, the reader always preferred (lowest id): every step of the
    /// kernel's path, in order, with the state changes it makes.
    @Test func oneByteReadStepByStep() throws {
        let run = try steppedRun(seed: 1, policy: .lowestID, size: 4097, chunk: 1, limit: 2)
        #expect(MMPattern.mismatch(run.result.bytes, 0..<2) == nil)
        let events = run.events
        let steps = events.map { "\($0.threadName) \($0.function) \($0.phase.rawValue)" }
        #expect(steps == [
            "reader do_generic_file_read enter",
            "reader find_get_page note",
            "reader page_cache_sync_readahead enter",
            "reader ondemand_readahead note",
            "reader __do_page_cache_readahead note",
            "reader read_pages enter",
            "reader add_to_page_cache_locked note",
            "reader add_to_page_cache_locked note",
            "reader find_get_page note",
            "reader lock_page_killable block",
            "cifsiod cifs_readv_complete enter",
            "cifsiod SetPageUptodate note",
            "cifsiod unlock_page wake",
            "reader lock_page_killable wake",
            "reader unlock_page wake",
            "reader file_read_actor note",
            "reader do_generic_file_read exit",
            // The second call, at byte 1, finds page 0 uptodate: no lock, no readahead.
            "reader do_generic_file_read enter",
            "reader find_get_page note",
            "reader file_read_actor note",
            "reader do_generic_file_read exit",
            // The reader waits for cifsiod to finish; it completes page 1.
            "cifsiod SetPageUptodate note",
            "cifsiod unlock_page wake",
        ])
        let byNumber = Dictionary(uniqueKeysWithValues: events.map { ($0.sequence, $0) })
        #expect(byNumber[2]?.message == "page[0] not cached")
        #expect(byNumber[4]?.diff == [StateDiff("ra.size", 0, 2), StateDiff("ra.async_size", 0, 1)])
        #expect(byNumber[5]?.diff == [StateDiff("page[1].readahead", false, true)])
        #expect(byNumber[5]?.message == "window pages 0..<2, lookahead 1: 2 new pages")
        #expect(byNumber[7]?.diff.first == StateDiff("page[0].locked", false, true))
        #expect(byNumber[9]?.message == "page[0] cached (locked)")
        #expect(byNumber[12]?.diff == [StateDiff("page[0].uptodate", false, true)])
        #expect(byNumber[13]?.diff == [StateDiff("page[0].locked", true, false)])
        #expect(byNumber[14]?.diff == [StateDiff("page[0].locked", false, true)])
        #expect(byNumber[16]?.message == "copy 1 bytes from page[0] + 0")
        #expect(byNumber[17]?.diff == [StateDiff("ra.prev_pos", -1, 1), StateDiff("f_pos", 0, 1)])
        #expect(byNumber[19]?.message == "page[0] cached (uptodate)")
    }

    /// The PG_readahead hit and the fallback are visible under their kernel names.
    @Test func asyncReadaheadAndFallbackAreTraced() throws {
        let rt = SteppedRuntime(seed: 3)
        let size = 64 * 1024
        let run = try MMHarness.read(runtime: rt, fileSize: size, raPages: 4, chunk: 4096, failingIndices: [6])
        #expect(MMPattern.mismatch(run.bytes, 0..<size) == nil)
        let functions = rt.trace.events.map(\.function)
        #expect(functions.contains("page_cache_async_readahead"))
        #expect(functions.filter { $0 == "readpage" }.count == 2 * run.operations.readpageCalls.count)
        let hit = try #require(rt.trace.events.first { $0.function == "page_cache_async_readahead" })
        #expect(hit.diff == [StateDiff("page[1].readahead", true, false)])
        let fallback = try #require(rt.trace.events.first { $0.function == "readpage" })
        #expect(fallback.message.hasPrefix("page[\(run.operations.readpageCalls[0])] not uptodate"))
    }
}
