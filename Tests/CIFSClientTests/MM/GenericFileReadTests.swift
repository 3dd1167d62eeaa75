@testable import CIFSClient
import KernelRuntime
import Testing

/// Which runtime a read path test runs on.
enum MMRuntimeKind: String, CaseIterable, CustomStringConvertible {
    case freeRun, stepped

    func make(seed: UInt64 = 1) -> any KernelRuntime {
        switch self {
        case .freeRun: return FreeRunRuntime(seed: seed)
        case .stepped: return SteppedRuntime(seed: seed)
        }
    }

    var description: String { rawValue }
}

@Suite("do_generic_file_read: byte-exact reads")
struct GenericFileReadTests {
    static let sizes = [0, 1, 4095, 4096, 4097, 3 * 4096 + 17, 300_000]

    @Test(arguments: MMRuntimeKind.allCases, sizes)
    func wholeFileInOneCall(kind: MMRuntimeKind, size: Int) throws {
        // Ask for more than the file holds: the read stops at end of file.
        let run = try MMHarness.read(runtime: kind.make(), fileSize: size, chunk: size + 100)
        #expect(MMPattern.mismatch(run.bytes, 0..<size) == nil)
        #expect(run.finalPosition == Int64(size))
        // The call after the last one that read anything returns 0 (end of file).
        #expect(run.returned == (size == 0 ? [0] : [size, 0]))
        // As in 3.8, i_size is checked only once the page is uptodate: when the read runs on past
        // the end of a file whose size is a whole number of pages, the page after the end is
        // allocated and read with readpage (cifs_readpage gets 0 bytes and zero-fills it).
        #expect(run.operations.readpageCalls == (size % 4096 == 0 ? [size / 4096] : []))
    }

    @Test(arguments: MMRuntimeKind.allCases)
    func emptyFileReadsAheadNothing(kind: MMRuntimeKind) throws {
        let run = try MMHarness.read(runtime: kind.make(), fileSize: 0, chunk: 4096)
        // __do_page_cache_readahead returns at once for i_size 0; the reader's own page 0 is
        // read with readpage, then dropped by the i_size check.
        #expect(run.operations.readpagesCalls.isEmpty)
        #expect(run.operations.readpageCalls == [0])
        #expect(run.cache.snapshot() == [PageSnapshot(index: 0, frame: 0, flags: .uptodate, consumed: false)])
    }

    @Test(arguments: MMRuntimeKind.allCases)
    func unalignedOffsetAndOddChunks(kind: MMRuntimeKind) throws {
        let size = 200_000
        let run = try MMHarness.read(runtime: kind.make(seed: 3), fileSize: size, offset: 5_000, chunk: 1_000)
        #expect(MMPattern.mismatch(run.bytes, 5_000..<size) == nil)
        #expect(run.finalPosition == Int64(size))
        #expect(run.returned.dropLast().allSatisfy { $0 == 1_000 })
        #expect(run.returned.last == 0)
    }

    @Test(arguments: MMRuntimeKind.allCases)
    func unalignedSingleRead(kind: MMRuntimeKind) throws {
        let run = try MMHarness.read(
            runtime: kind.make(seed: 4), fileSize: 200_000, offset: 5_000, chunk: 70_001, limit: 70_001)
        #expect(MMPattern.mismatch(run.bytes, 5_000..<75_001) == nil)
        #expect(run.finalPosition == 75_001)
        // prev_pos: the last page touched (75000 / 4096 = 18) and the offset after the copy (1273).
        #expect(run.readahead.prevPos == Int64(18 << 12 | 1_273))
    }

    @Test(arguments: MMRuntimeKind.allCases)
    func multiWindowRead(kind: MMRuntimeKind) throws {
        // 1 MiB + 3 bytes in 10,000-byte calls with an 8-page window: many windows, odd tail.
        let size = (1 << 20) + 3
        let run = try MMHarness.read(runtime: kind.make(seed: 5), fileSize: size, raPages: 8, chunk: 10_000)
        #expect(MMPattern.mismatch(run.bytes, 0..<size) == nil)
        #expect(run.operations.readpagesCalls.count > 20)
        #expect(run.operations.readpageCalls.isEmpty)
        // Every page was read exactly once, through readahead.
        #expect(run.cache.statistics.readaheadPages == 257)
    }

    @Test(arguments: MMRuntimeKind.allCases)
    func readingAtOrPastEndOfFileReturnsZero(kind: MMRuntimeKind) throws {
        let atEnd = try MMHarness.read(runtime: kind.make(), fileSize: 4097, offset: 4097, chunk: 10)
        #expect(atEnd.returned == [0])
        #expect(atEnd.bytes.isEmpty)
        let past = try MMHarness.read(runtime: kind.make(), fileSize: 4097, offset: 9_000, chunk: 10)
        #expect(past.returned == [0])
        #expect(past.finalPosition == 9_000)
    }

    @Test func zeroCountReadsNothing() throws {
        let rt = FreeRunRuntime()
        let cache = PageCache(runtime: rt, fileSize: 10_000, capacity: 16)
        let ops = FakeCIFSOperations(mapping: cache, fileSize: 10_000)
        var position: Int64 = 100
        let n = try cache.doGenericFileRead(
            FileReadaheadState(), operations: ops, position: &position, count: 0) { _ in Issue.record("sink called") }
        #expect(n == 0)
        #expect(position == 100)
        #expect(ops.readpagesCalls.isEmpty)
    }

    @Test func hugeCountAndNegativePositionDoNotTrap() throws {
        let rt = FreeRunRuntime()
        let cache = PageCache(runtime: rt, fileSize: 5_000, capacity: 16)
        let ops = FakeCIFSOperations(mapping: cache, fileSize: 5_000)
        let box = ResultBox()
        try rt.runMain(name: "reader") {
            let worker = rt.spawn(name: "cifsiod") { try ops.worker() }
            defer { ops.shutdown(); try? rt.join(worker) }
            var position: Int64 = 10
            let n = try cache.doGenericFileRead(FileReadaheadState(), operations: ops, position: &position, count: .max) {
                box.bytes.append(contentsOf: $0)
            }
            box.returned.append(n)
            var negative: Int64 = -1
            box.returned.append(
                try cache.doGenericFileRead(FileReadaheadState(), operations: ops, position: &negative, count: 10) { _ in })
            // Nonsense readahead state and arguments are clamped, not trapped on.
            let ra = FileReadaheadState(raPages: .max)
            ra.start = .max
            ra.size = .max
            try cache.ondemandReadahead(ra, operations: ops, hitReadaheadMarker: false, index: 1, requestPages: .max)
            #expect(try cache.doPageCacheReadahead(operations: ops, index: -5, pagesToRead: .max, lookaheadPages: .min) == 0)
        }
        #expect(box.returned == [4_990, 0])
        #expect(MMPattern.mismatch(box.bytes, 10..<5_000) == nil)
    }

    @Test func readaheadOffReadsEachPageWithReadpage() throws {
        let run = try MMHarness.read(runtime: FreeRunRuntime(), fileSize: 3 * 4096 + 5, raPages: 0, chunk: 100_000)
        #expect(MMPattern.mismatch(run.bytes, 0..<(3 * 4096 + 5)) == nil)
        #expect(run.operations.readpagesCalls.isEmpty)
        #expect(run.operations.readpageCalls == [0, 1, 2, 3])
    }
}
