@testable import CIFSClient
import KernelRuntime
import Testing

@Suite("do_generic_file_read: the synchronous readpage fallback")
struct ReadpageFallbackTests {
    /// 256 KiB read at once, ra_pages 8: the first window is pages 0..<16 in batches of 4. The batch
    /// holding page 5 completes without PG_uptodate (a server error): the reader, woken by the
    /// unlock, finds each of pages 4...7 not uptodate and reads it with readpage.
    @Test(arguments: MMRuntimeKind.allCases)
    func failedCompletionFallsBackToReadpage(kind: MMRuntimeKind) throws {
        let size = 256 * 1024
        let run = try MMHarness.read(
            runtime: kind.make(seed: 9), fileSize: size, raPages: 8, chunk: size, limit: size, failingIndices: [5])
        #expect(MMPattern.mismatch(run.bytes, 0..<size) == nil)
        #expect(run.operations.readpageCalls == [4, 5, 6, 7])
        #expect(run.cache.statistics.readpageCalls == 4)
        #expect(run.operations.readpagesCalls.first == ReadpagesCall(0, 16, marked: 8))
    }

    @Test(arguments: MMRuntimeKind.allCases)
    func failuresInSeveralWindows(kind: MMRuntimeKind) throws {
        let size = 100_000
        let run = try MMHarness.read(
            runtime: kind.make(seed: 10), fileSize: size, raPages: 4, batchPages: 2, chunk: 3_000,
            failingIndices: [0, 9, 24])
        #expect(MMPattern.mismatch(run.bytes, 0..<size) == nil)
        // Each failing index takes down its 2-page batch.
        // Windows 0..<2, 2..<6, 6..<10, … 22..<25 in 2-page batches: a failing index takes down
        // its batch ([0, 1], [8, 9], and [24] alone at the end of the file).
        #expect(run.operations.readpageCalls == [0, 1, 8, 9, 24])
    }

    /// readpage itself fails at page 3: the bytes before it come back as a short read, the next
    /// call reports the error.
    @Test(arguments: MMRuntimeKind.allCases)
    func readpageErrorGivesShortReadThenError(kind: MMRuntimeKind) throws {
        let rt = kind.make(seed: 2)
        let size = 8 * 4096
        let cache = PageCache(runtime: rt, fileSize: Int64(size), capacity: 32)
        let ops = FakeCIFSOperations(mapping: cache, fileSize: size, failingIndices: [3])
        ops.readpageThrows = [3]
        let ra = FileReadaheadState(raPages: 4)
        let box = ResultBox()
        try rt.runMain(name: "reader") {
            let worker = rt.spawn(name: "cifsiod") { try ops.worker() }
            defer { ops.shutdown(); try? rt.join(worker) }
            var position: Int64 = 0
            let n = try cache.doGenericFileRead(ra, operations: ops, position: &position, count: size) {
                box.bytes.append(contentsOf: $0)
            }
            box.returned.append(n)
            box.position = position
            #expect(throws: FakeCIFSOperations.ServerError()) {
                _ = try cache.doGenericFileRead(ra, operations: ops, position: &position, count: size) { _ in }
            }
            #expect(position == 3 * 4096)
        }
        // Pages 0..<4 were one batch (window 0..<4 merged with 4..<8 → 8 pages, 2 batches).
        #expect(box.returned == [3 * 4096])
        #expect(MMPattern.mismatch(box.bytes, 0..<(3 * 4096)) == nil)
        #expect(box.position == 3 * 4096)
        #expect(ops.readpageCalls == [0, 1, 2, 3, 3])
    }

    /// readpage reports success but leaves the page not uptodate: -EIO, and the readahead
    /// maximum shrinks to a quarter (shrink_readahead_size_eio).
    @Test func stalePageAfterReadpageIsEIO() throws {
        let rt = FreeRunRuntime()
        let cache = PageCache(runtime: rt, fileSize: 4096, capacity: 16)
        let ops = FakeCIFSOperations(mapping: cache, fileSize: 4096, failingIndices: [0])
        ops.readpageLeavesStale = [0]
        let ra = FileReadaheadState(raPages: 32)
        try rt.runMain(name: "reader") {
            let worker = rt.spawn(name: "cifsiod") { try ops.worker() }
            defer { ops.shutdown(); try? rt.join(worker) }
            var position: Int64 = 0
            #expect(throws: PageCacheError.io(index: 0)) {
                _ = try cache.doGenericFileRead(ra, operations: ops, position: &position, count: 4096) { _ in }
            }
            #expect(position == 0)
        }
        #expect(ra.raPages == 8)
        #expect(PageCacheError.io(index: 0).errno == -5)
    }

    /// A file system without readpages: read_pages inserts each page and calls readpage.
    @Test func defaultReadpagesUsesReadpage() throws {
        final class ReadpageOnly: AddressSpaceOperations, @unchecked Sendable {
            var calls: [Int] = []
            func readpage(_ mapping: PageCache, _ page: Page) throws {
                calls.append(page.index)
                MMPattern.fill(page, index: page.index, fileSize: 20_000)
                try mapping.markUptodate(page)
                try mapping.unlockPage(page)
            }
        }
        let rt = FreeRunRuntime()
        let cache = PageCache(runtime: rt, fileSize: 20_000, capacity: 16)
        let ops = ReadpageOnly()
        let box = ResultBox()
        try rt.runMain(name: "reader") {
            var position: Int64 = 0
            _ = try cache.doGenericFileRead(
                FileReadaheadState(raPages: 4), operations: ops, position: &position, count: 20_000
            ) { box.bytes.append(contentsOf: $0) }
        }
        #expect(MMPattern.mismatch(box.bytes, 0..<20_000) == nil)
        // Window 0..<8 (4 merged with 4), clamped to the 5 pages of the file.
        #expect(ops.calls == [0, 1, 2, 3, 4])
        #expect(cache.statistics.readpageCalls == 0)
    }
}
