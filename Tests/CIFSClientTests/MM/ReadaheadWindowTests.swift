@testable import CIFSClient
import KernelRuntime
import Testing

@Suite("ondemand_readahead: window sizes as in Linux 3.8")
struct ReadaheadWindowTests {
    @Test func initialWindowSize() {
        // get_init_ra_size: round up to a power of two; ×4 up to max/32, ×2 up to max/4, else max.
        let max32 = [1, 2, 3, 4, 8, 9, 16, 32, 512].map {
            FileReadaheadState.initialWindowSize(requestPages: $0, max: 32)
        }
        #expect(max32 == [4, 4, 8, 8, 16, 32, 32, 32, 32])
        let max128 = [1, 3, 4, 5, 32, 33].map { FileReadaheadState.initialWindowSize(requestPages: $0, max: 128) }
        #expect(max128 == [4, 16, 16, 16, 64, 128])
    }

    @Test func nextWindowSize() {
        // get_next_ra_size: ×4 below max/16, else ×2, capped at max.
        let max32 = [1, 2, 4, 8, 16, 32].map { FileReadaheadState.nextWindowSize(currentSize: $0, max: 32) }
        #expect(max32 == [4, 4, 8, 16, 32, 32])
        let max128 = [4, 7, 8, 64, 100].map { FileReadaheadState.nextWindowSize(currentSize: $0, max: 128) }
        #expect(max128 == [16, 28, 16, 128, 128])
    }

    @Test func roundUpToPowerOfTwo() {
        #expect([0, 1, 2, 3, 5, 64, 65].map(FileReadaheadState.roundUpToPowerOfTwo) == [1, 1, 2, 4, 8, 64, 128])
    }

    /// A 2 MiB file read with 4 KiB read() calls and ra_pages 32 (the kernel's 128 KiB): the
    /// window starts at 4 pages and grows ×2 to 32, each batch started from the PG_readahead page
    /// of the one before; the last is cut at end of file.
    @Test(arguments: MMRuntimeKind.allCases)
    func sequentialFourKilobyteReads(kind: MMRuntimeKind) throws {
        let size = 2 << 20
        let run = try MMHarness.read(runtime: kind.make(), fileSize: size, raPages: 32, chunk: 4096)
        var expected = [
            ReadpagesCall(0, 4, marked: 1), ReadpagesCall(4, 8, marked: 4), ReadpagesCall(12, 16, marked: 12),
            ReadpagesCall(28, 32, marked: 28),
        ]
        for start in stride(from: 60, to: 508, by: 32) { expected.append(ReadpagesCall(start, 32, marked: start)) }
        expected.append(ReadpagesCall(508, 4, marked: 508))
        #expect(run.operations.readpagesCalls == expected)
        #expect(MMPattern.mismatch(run.bytes, 0..<size) == nil)
        let stats = run.cache.statistics
        // The first read, and the last one (at end of file, which returns 0).
        #expect(stats.syncReadaheads == 2)
        // Every PG_readahead page was hit, including the last (whose window lies past EOF).
        #expect(stats.asyncReadaheads == expected.count)
    }

    /// The same file in one 2 MiB read: the request exceeds the maximum, so the first window is the
    /// maximum, merged at once with the next (64 pages, marked at 32); then 32 at a time.
    @Test(arguments: MMRuntimeKind.allCases)
    func sequentialSingleLargeRead(kind: MMRuntimeKind) throws {
        let size = 2 << 20
        let run = try MMHarness.read(runtime: kind.make(), fileSize: size, raPages: 32, chunk: size, limit: size)
        var expected = [ReadpagesCall(0, 64, marked: 32)]
        for start in stride(from: 64, to: 512, by: 32) { expected.append(ReadpagesCall(start, 32, marked: start)) }
        #expect(run.operations.readpagesCalls == expected)
        #expect(MMPattern.mismatch(run.bytes, 0..<size) == nil)
    }

    /// A 3.8 cifs mount with the default rsize: `ra_pages` = 61,440 / 4096 = 15, and a large
    /// read's first window is 30 pages (15, merged at once with the next 15): two READ_ANDX of
    /// 15 pages in flight; then 15 at a time.
    @Test func cifsMountWindowIsThirtyPages() throws {
        let raPages = FileReadaheadState.cifsMountPages(rsize: 61_440)
        #expect(raPages == 15)
        let size = 1 << 20
        let run = try MMHarness.read(runtime: FreeRunRuntime(), fileSize: size, raPages: raPages, chunk: size, limit: size)
        #expect(run.operations.readpagesCalls.first == ReadpagesCall(0, 30, marked: 15))
        #expect(run.operations.readpagesCalls.dropFirst().first == ReadpagesCall(30, 15, marked: 30))
        #expect(MMPattern.mismatch(run.bytes, 0..<size) == nil)
    }

    /// 16 KiB reads: the first window is 8 (4 rounded, ×2), then 16 and 32.
    @Test func sequentialSixteenKilobyteReads() throws {
        let run = try MMHarness.read(
            runtime: FreeRunRuntime(), fileSize: 256 * 4096, raPages: 32, chunk: 16_384)
        var expected = [ReadpagesCall(0, 8, marked: 4), ReadpagesCall(8, 16, marked: 8), ReadpagesCall(24, 32, marked: 24)]
        for start in stride(from: 56, to: 248, by: 32) { expected.append(ReadpagesCall(start, 32, marked: start)) }
        expected.append(ReadpagesCall(248, 8, marked: 248))
        #expect(run.operations.readpagesCalls == expected)
    }

    /// A read far from the last one is random: exactly the requested pages, no PG_readahead, and
    /// the window state untouched; the read after it is a sequential miss and starts a new window.
    @Test func randomReadThenSequentialMiss() throws {
        let rt = FreeRunRuntime()
        let size = 4 << 20
        let cache = PageCache(runtime: rt, fileSize: Int64(size), capacity: 80)
        let ops = FakeCIFSOperations(mapping: cache, fileSize: size)
        let ra = FileReadaheadState(raPages: 32)
        let windows = MMBox<[[Int]]>([])
        try rt.runMain(name: "reader") {
            let worker = rt.spawn(name: "cifsiod") { try ops.worker() }
            defer { ops.shutdown(); try? rt.join(worker) }
            for pageIndex in [0, 400, 401] {
                var position = Int64(pageIndex * 4096)
                var bytes: [UInt8] = []
                _ = try cache.doGenericFileRead(ra, operations: ops, position: &position, count: 4096) {
                    bytes.append(contentsOf: $0)
                }
                #expect(MMPattern.mismatch(bytes, (pageIndex * 4096)..<((pageIndex + 1) * 4096)) == nil)
                windows.value.append([ra.start, ra.size, ra.asyncSize])
            }
        }
        #expect(ops.readpagesCalls == [
            ReadpagesCall(0, 4, marked: 1), ReadpagesCall(400, 1, marked: nil), ReadpagesCall(401, 4, marked: 402),
        ])
        #expect(windows.value == [[0, 4, 3], [0, 4, 3], [401, 4, 3]])
    }

    /// A read that lands right after cached pages the state does not describe (another reader
    /// left them) uses them as history: context readahead.
    @Test func contextReadaheadFromCachedHistory() throws {
        let rt = FreeRunRuntime()
        let size = 1 << 20
        let cache = PageCache(runtime: rt, fileSize: Int64(size), capacity: 80)
        let ops = FakeCIFSOperations(mapping: cache, fileSize: size)
        try rt.runMain(name: "reader") {
            let worker = rt.spawn(name: "cifsiod") { try ops.worker() }
            defer { ops.shutdown(); try? rt.join(worker) }
            // Reader A reads pages 100..<104 as a random read (window 100..<104, 4 pages).
            let a = FileReadaheadState(raPages: 32)
            a.prevPos = 0
            var position = Int64(100 * 4096)
            _ = try cache.doGenericFileRead(a, operations: ops, position: &position, count: 4 * 4096) { _ in }
            // Reader B, fresh state, starts at page 104: 4 history pages → init(4 + 1) = 16, and as
            // the window starts at the read and is all async, the next one (32) is merged in.
            let b = FileReadaheadState(raPages: 32)
            b.prevPos = 0
            position = Int64(104 * 4096)
            var bytes: [UInt8] = []
            _ = try cache.doGenericFileRead(b, operations: ops, position: &position, count: 4096) {
                bytes.append(contentsOf: $0)
            }
            #expect(MMPattern.mismatch(bytes, (104 * 4096)..<(105 * 4096)) == nil)
            #expect([b.start, b.size, b.asyncSize] == [104, 48, 32])
        }
        // A's 4-page request (≤ max, no history) was random; B's window was marked at its start.
        #expect(ops.readpagesCalls == [ReadpagesCall(100, 4, marked: nil), ReadpagesCall(104, 48, marked: 120)])
    }

    @Test func maxSaneReadaheadIsHalfTheCache() {
        let cache = PageCache(runtime: FreeRunRuntime(), fileSize: 0, capacity: 10)
        #expect(cache.maxSaneReadahead(32) == 5)
        #expect(cache.maxSaneReadahead(4) == 4)
        #expect(PageCache.defaultCapacity(readaheadPages: 32) == 80)
    }
}
