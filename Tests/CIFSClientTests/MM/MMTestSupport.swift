@testable import CIFSClient
import KernelRuntime

/// The test file's content: 8-byte little-endian words, word k = k × golden ratio constant.
/// Every page differs, so a page read into the wrong place shows. Not a random generator (the
/// tests' one is KernelRuntime's SplitMix64/SeededGenerator) but a formula of the offset, so a
/// byte deep in a large file is computed without generating those before it.
enum MMPattern {
    static func word(_ k: Int) -> UInt64 {
        (UInt64(k) &+ 1) &* 0x9E37_79B9_7F4A_7C15
    }

    static func byte(at offset: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: word(offset >> 3) >> (8 * UInt64(offset & 7)))
    }

    static func bytes(_ range: Range<Int>) -> [UInt8] {
        range.map(byte(at:))
    }

    /// Fills `page` as a server would for a file of `fileSize` bytes: the pattern up to end of
    /// file, zeros after.
    static func fill(_ page: Page, index: Int, fileSize: Int) {
        let base = index << Page.shift
        let valid = max(0, min(Page.size, fileSize - base))
        page.withUnsafeMutableBytes { buffer in
            let words = buffer.bindMemory(to: UInt64.self)
            for w in 0..<(Page.size / 8) { words[w] = word((base >> 3) + w).littleEndian }
        }
        page.zero(from: valid)
    }

    /// `nil` when `bytes` is exactly the pattern over `range`; otherwise a short description of
    /// the first difference (keeps failure messages readable for megabyte buffers).
    static func mismatch(_ bytes: [UInt8], _ range: Range<Int>) -> String? {
        if bytes.count != range.count { return "length \(bytes.count), expected \(range.count)" }
        for (i, byte) in bytes.enumerated() where byte != self.byte(at: range.lowerBound + i) {
            return "byte at file offset \(range.lowerBound + i) is \(byte), expected \(self.byte(at: range.lowerBound + i))"
        }
        return nil
    }

    /// Whether `chunk` equals the pattern at `offset`.
    static func matches(_ chunk: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        var i = 0
        // Whole aligned words first (the common case: page-aligned reads).
        if offset & 7 == 0 {
            while i + 8 <= chunk.count {
                if chunk.loadUnaligned(fromByteOffset: i, as: UInt64.self) != word((offset + i) >> 3).littleEndian {
                    return false
                }
                i += 8
            }
        }
        while i < chunk.count {
            if chunk[i] != byte(at: offset + i) { return false }
            i += 1
        }
        return true
    }
}

/// One `readpages` call as the file system saw it.
struct ReadpagesCall: Equatable, CustomStringConvertible {
    /// First index and page count (the window after skipping cached pages).
    var first: Int
    var count: Int
    /// The page carrying PG_readahead, if any.
    var marked: Int?

    init(_ first: Int, _ count: Int, marked: Int?) {
        self.first = first
        self.count = count
        self.marked = marked
    }

    var description: String { "[\(first)+\(count)\(marked.map { " m\($0)" } ?? "")]" }
}

/// A stand-in for the cifs client's `cifs_readpages`/`cifs_readpage`: `readpages` locks and inserts
/// the pages, groups them into batches of `batchPages` contiguous pages (one READ_ANDX each) and
/// queues them for a `cifsiod` worker thread, which fills each batch from ``MMPattern`` and completes
/// it. Batches containing an index in `failingIndices` complete once without uptodate (the server
/// error); `readpage` then reads synchronously.
final class FakeCIFSOperations: AddressSpaceOperations, @unchecked Sendable {
    let mapping: PageCache
    let runtime: any KernelRuntime
    let fileSize: Int
    let batchPages: Int
    /// Complete inside `readpages` on the reader's thread (no worker).
    let instant: Bool
    let workQueue = WaitQueue("cifsiod_wq")

    // Guarded by the runtime lock.
    private var pending: [[Page]] = []
    private var shuttingDown = false
    var failingIndices: Set<Int>
    /// readpage on these throws.
    var readpageThrows: Set<Int> = []
    /// readpage on these unlocks without uptodate (and without an error).
    var readpageLeavesStale: Set<Int> = []

    // Written by the reader thread only.
    private(set) var readpagesCalls: [ReadpagesCall] = []
    private(set) var readpageCalls: [Int] = []

    struct ServerError: Error, Equatable {}

    init(
        mapping: PageCache, fileSize: Int, batchPages: Int = 4, failingIndices: Set<Int> = [],
        instant: Bool = false
    ) {
        self.mapping = mapping
        self.runtime = mapping.runtime
        self.fileSize = fileSize
        self.batchPages = batchPages
        self.failingIndices = failingIndices
        self.instant = instant
    }

    func readpages(_ mapping: PageCache, _ pages: [Page]) throws {
        let marked = runtime.withLock { pages.first(where: \.isReadahead)?.index }
        readpagesCalls.append(ReadpagesCall(pages.first?.index ?? -1, pages.count, marked: marked))
        var batches: [[Page]] = []
        var batch: [Page] = []
        for page in pages {
            let index = page.index
            do {
                try mapping.addToPageCacheLRU(page, index: index)
            } catch PageCacheError.exists {
                continue
            }
            if let last = batch.last, last.index + 1 != index || batch.count == batchPages {
                batches.append(batch)
                batch = []
            }
            batch.append(page)
        }
        if !batch.isEmpty { batches.append(batch) }
        if instant {
            for batch in batches { try complete(batch) }
            return
        }
        runtime.withLock {
            pending.append(contentsOf: batches)
            runtime.wakeAll(workQueue)
        }
    }

    func readpage(_ mapping: PageCache, _ page: Page) throws {
        let index = page.index
        readpageCalls.append(index)
        let (fails, stale) = runtime.withLock { (readpageThrows.contains(index), readpageLeavesStale.contains(index)) }
        if fails {
            try mapping.unlockPage(page)
            throw ServerError()
        }
        if !stale {
            MMPattern.fill(page, index: index, fileSize: fileSize)
            try mapping.markUptodate(page)
        }
        try mapping.unlockPage(page)
    }

    /// The cifsiod worker's body: complete queued batches until ``shutdown()``.
    func worker() throws {
        while true {
            let batch: [Page]? = try runtime.withLock {
                try runtime.wait(on: workQueue) { !pending.isEmpty || shuttingDown }
                return pending.isEmpty ? nil : pending.removeFirst()
            }
            guard let batch else { return }
            try complete(batch)
        }
    }

    private func complete(_ batch: [Page]) throws {
        let indices = batch.map(\.index)
        let fails = runtime.withLock { () -> Bool in
            guard indices.contains(where: failingIndices.contains) else { return false }
            failingIndices.subtract(indices)
            return true
        }
        try runtime.traced(
            "cifs_readv_complete", "pages \(indices.first ?? -1)...\(indices.last ?? -1)" + (fails ? " failed" : "")
        ) { _ in
            if !fails {
                for (page, index) in zip(batch, indices) { MMPattern.fill(page, index: index, fileSize: fileSize) }
            }
            try mapping.completeRead(batch, uptodate: !fails)
        }
    }

    func shutdown() {
        runtime.withLock {
            shuttingDown = true
            runtime.wakeAll(workQueue)
        }
    }
}

/// What a test read produced.
struct MMReadResult {
    var bytes: [UInt8]
    /// Bytes returned by each doGenericFileRead call.
    var returned: [Int]
    var finalPosition: Int64
    var operations: FakeCIFSOperations
    var cache: PageCache
    var readahead: FileReadaheadState
}

enum MMHarness {
    /// Reads `fileSize` bytes' file from `offset` in `chunk`-byte read calls (until a call returns
    /// 0 or `limit` bytes are read) on `runtime`, with a cifsiod worker completing the I/O.
    static func read(
        runtime: any KernelRuntime, fileSize: Int, raPages: Int = 8, capacity: Int? = nil, batchPages: Int = 4,
        offset: Int = 0, chunk: Int, limit: Int? = nil, failingIndices: Set<Int> = [], keepBytes: Bool = true,
        configure: (FakeCIFSOperations) -> Void = { _ in }
    ) throws -> MMReadResult {
        let cache = PageCache(
            runtime: runtime, fileSize: Int64(fileSize),
            capacity: capacity ?? PageCache.defaultCapacity(readaheadPages: raPages))
        let ops = FakeCIFSOperations(
            mapping: cache, fileSize: fileSize, batchPages: batchPages, failingIndices: failingIndices)
        configure(ops)
        let ra = FileReadaheadState(raPages: raPages)
        let box = ResultBox()
        try runtime.runMain(name: "reader") {
            let worker = runtime.spawn(name: "cifsiod") { try ops.worker() }
            defer {
                ops.shutdown()
                try? runtime.join(worker)
            }
            var position = Int64(offset)
            var total = 0
            while total < (limit ?? Int.max) {
                let want = min(chunk, (limit ?? Int.max) - total)
                let start = Int(position)
                var cursor = start
                let n = try cache.doGenericFileRead(ra, operations: ops, position: &position, count: want) { chunk in
                    if keepBytes {
                        box.bytes.append(contentsOf: chunk)
                    } else if !MMPattern.matches(chunk, at: cursor) {
                        box.mismatches += 1
                    }
                    cursor += chunk.count
                }
                box.returned.append(n)
                if n == 0 { break }
                total += n
            }
            box.position = position
        }
        if !keepBytes && box.mismatches > 0 { box.bytes = [0xEE] }  // make a byte comparison fail
        return MMReadResult(
            bytes: box.bytes, returned: box.returned, finalPosition: box.position, operations: ops, cache: cache,
            readahead: ra)
    }
}

final class ResultBox: @unchecked Sendable {
    var bytes: [UInt8] = []
    var returned: [Int] = []
    var position: Int64 = 0
    var mismatches = 0
}

final class MMBox<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
