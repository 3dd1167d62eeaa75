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
    /// kernel's path, in order, each function a frame (enter … exit), with the state changes it
    /// makes.
    @Test func oneByteReadStepByStep() throws {
        let run = try steppedRun(seed: 1, policy: .lowestID, size: 4097, chunk: 1, limit: 2)
        #expect(MMPattern.mismatch(run.result.bytes, 0..<2) == nil)
        let events = run.events
        let steps = events.map { "\($0.threadName) \($0.function) \($0.phase.rawValue)" }
        #expect(steps == [
            "reader do_generic_file_read enter",
            "reader find_get_page enter",
            "reader find_get_page exit",
            "reader page_cache_sync_readahead enter",
            "reader ondemand_readahead enter",
            "reader ondemand_readahead note",
            "reader __do_page_cache_readahead enter",
            "reader __do_page_cache_readahead note",
            "reader read_pages enter",
            "reader add_to_page_cache_lru enter",
            "reader add_to_page_cache_lru exit",
            "reader add_to_page_cache_lru enter",
            "reader add_to_page_cache_lru exit",
            "reader read_pages exit",
            "reader __do_page_cache_readahead exit",
            "reader ondemand_readahead exit",
            "reader page_cache_sync_readahead exit",
            "reader find_get_page enter",
            "reader find_get_page exit",
            "reader lock_page_killable enter",
            "reader lock_page_killable block",
            "cifsiod cifs_readv_complete enter",
            "cifsiod SetPageUptodate enter",
            "cifsiod SetPageUptodate exit",
            "cifsiod unlock_page enter",
            "cifsiod unlock_page exit",
            "reader lock_page_killable exit",
            "reader unlock_page enter",
            "reader unlock_page exit",
            "reader file_read_actor enter",
            "reader file_read_actor exit",
            "reader do_generic_file_read exit",
            // The second call, at byte 1, finds page 0 uptodate: no lock, no readahead.
            "reader do_generic_file_read enter",
            "reader find_get_page enter",
            "reader find_get_page exit",
            "reader file_read_actor enter",
            "reader file_read_actor exit",
            "reader do_generic_file_read exit",
            // The reader is done; cifsiod completes page 1.
            "cifsiod SetPageUptodate enter",
            "cifsiod SetPageUptodate exit",
            "cifsiod unlock_page enter",
            "cifsiod unlock_page exit",
            "cifsiod cifs_readv_complete exit",
        ])
        let byNumber = Dictionary(uniqueKeysWithValues: events.map { ($0.sequence, $0) })
        #expect(byNumber[3]?.message == "not cached")
        #expect(byNumber[6]?.diff == [StateDiff(path: "ra.size", old: "0", new: "2"),
                                      StateDiff(path: "ra.async_size", old: "0", new: "1")])
        #expect(byNumber[7]?.message == "window pages 0..<2, lookahead 1")
        #expect(byNumber[8]?.diff == [StateDiff(path: "page[1].readahead", old: "false", new: "true")])
        #expect(byNumber[8]?.message == "2 new pages")
        #expect(byNumber[11]?.diff == [StateDiff(path: "page[0].locked", old: "false", new: "true"),
                                       StateDiff(path: "mapping.nrpages", old: "0", new: "1")])
        #expect(byNumber[13]?.diff.last == StateDiff(path: "mapping.nrpages", old: "1", new: "2"))
        #expect(byNumber[19]?.message == "cached (locked)")
        #expect(byNumber[24]?.diff == [StateDiff(path: "page[0].uptodate", old: "false", new: "true")])
        #expect(byNumber[26]?.diff == [StateDiff(path: "page[0].locked", old: "true", new: "false")])
        #expect(byNumber[27]?.diff == [StateDiff(path: "page[0].locked", old: "false", new: "true")])
        #expect(byNumber[30]?.message == "copy 1 bytes from page[0] + 0")
        #expect(byNumber[32]?.diff == [StateDiff(path: "ra.prev_pos", old: "-1", new: "1")])
        #expect(byNumber[32]?.message == "1 bytes, pos 0 → 1")
        #expect(byNumber[35]?.message == "cached (uptodate)")
    }

    /// The PG_readahead hit and the fallback are visible under their kernel names.
    @Test func asyncReadaheadAndFallbackAreTraced() throws {
        let rt = SteppedRuntime(seed: 3)
        let size = 64 * 1024
        let run = try MMHarness.read(runtime: rt, fileSize: size, raPages: 4, chunk: 4096, failingIndices: [6])
        #expect(MMPattern.mismatch(run.bytes, 0..<size) == nil)
        let functions = rt.trace.events.map(\.function)
        #expect(functions.contains("page_cache_async_readahead"))
        // Each readpage is a frame: an enter and an exit.
        #expect(functions.filter { $0 == "readpage" }.count == 2 * run.operations.readpageCalls.count)
        let hit = try #require(rt.trace.events.first { $0.function == "page_cache_async_readahead" && $0.phase == .note })
        #expect(hit.diff == [StateDiff(path: "page[1].readahead", old: "true", new: "false")])
        let fallback = try #require(rt.trace.events.first { $0.function == "readpage" })
        #expect(fallback.message.hasPrefix("page[\(run.operations.readpageCalls[0])] not uptodate"))
    }
}
