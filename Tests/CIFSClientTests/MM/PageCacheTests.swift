@testable import CIFSClient
import KernelRuntime
import Testing

@Suite("PageCache: insertion, page lock, bounded LRU")
struct PageCacheTests {
    private func allocate(_ cache: PageCache) -> Page? {
        var reclaimed: [PageCache.Reclaim] = []
        return cache.runtime.withLock { cache.allocateForReadaheadUnderRuntimeLock(reclaimed: &reclaimed) }
    }

    /// Puts `indices` in the cache as completed pages (uptodate, unlocked).
    private func fill(_ cache: PageCache, _ indices: [Int]) throws -> [Page] {
        try indices.map { index in
            let page = try #require(allocate(cache))
            try cache.addToPageCacheLRU(page, index: index)
            try cache.completeRead([page], uptodate: true)
            return page
        }
    }

    @Test func addToPageCacheLockedNeedsALockedPageAndAFreeIndex() throws {
        let cache = PageCache(runtime: FreeRunRuntime(), fileSize: 1 << 20, capacity: 8)
        let page = try #require(allocate(cache))
        #expect(throws: PageCacheError.notLocked(index: 3)) { try cache.addToPageCacheLocked(page, index: 3) }
        cache.setPageLocked(page)
        try cache.addToPageCacheLocked(page, index: 3)
        #expect(page.index == 3)
        #expect(cache.isCached(3))
        let other = try #require(allocate(cache))
        cache.setPageLocked(other)
        #expect(throws: PageCacheError.exists(index: 3)) { try cache.addToPageCacheLocked(other, index: 3) }
        #expect(PageCacheError.exists(index: 3).errno == -17)
        // A page already in the cache cannot be inserted again.
        #expect(throws: PageCacheError.notInsertable(index: 4)) { try cache.addToPageCacheLocked(page, index: 4) }
        #expect(cache.snapshot() == [PageSnapshot(index: 3, frame: 0, flags: .locked, consumed: false)])
    }

    /// cifs_readpages' insertion: locked and in the cache, but on no LRU list until its read
    /// completes; a page that cannot go in is left unlocked and the caller's.
    @Test func setPageLockedAndAddToPageCacheKeepsThePageOffTheLRU() throws {
        let cache = PageCache(runtime: FreeRunRuntime(), fileSize: 1 << 20, capacity: 8)
        let page = try #require(allocate(cache))
        try cache.setPageLockedAndAddToPageCache(page, index: 3)
        #expect(cache.flags(of: page) == .locked)
        #expect(cache.cachedPageIndices == [3])
        #expect(cache.lruOrder.unread.isEmpty)
        let other = try #require(allocate(cache))
        #expect(throws: PageCacheError.exists(index: 3)) { try cache.setPageLockedAndAddToPageCache(other, index: 3) }
        #expect(cache.flags(of: other) == [])
        try cache.lruCacheAddFile(page)
        try cache.lruCacheAddFile(page)  // already on the list: stays once
        #expect(cache.lruOrder.unread == [3])
        // An unlocked page on the LRU is reclaimable again once copied out.
        try cache.unlockPage(page)
        cache.markPageConsumed(page)
        #expect(cache.lruOrder == (unread: [], consumed: [3]))
    }

    @Test func addToPageCacheLRULocksAndFindGetPagePins() throws {
        let cache = PageCache(runtime: FreeRunRuntime(), fileSize: 1 << 20, capacity: 8)
        let page = try #require(allocate(cache))
        try cache.addToPageCacheLRU(page, index: 7)
        #expect(cache.flags(of: page) == .locked)
        #expect(try cache.findGetPage(6) == nil)
        let found = try #require(try cache.findGetPage(7))
        #expect(found == page)
        #expect(cache.runtime.withLock { page.pins } == 1)
        cache.pageCacheRelease(page)
        #expect(cache.runtime.withLock { page.pins } == 0)
        try cache.markUptodate(page)
        try cache.unlockPage(page)
        #expect(cache.flags(of: page) == .uptodate)
        #expect(cache.statistics.cachedPages == 1)
    }

    @Test func lockPageKillableSleepsUntilUnlock() throws {
        let rt = FreeRunRuntime()
        let cache = PageCache(runtime: rt, fileSize: 1 << 20, capacity: 8)
        let page = try #require(allocate(cache))
        try cache.addToPageCacheLRU(page, index: 0)
        let order = MMBox<[String]>([])
        try rt.runMain(name: "reader") {
            let completer = rt.spawn(name: "cifsiod") {
                // Wait until the reader sleeps on the page, then complete it.
                _ = try rt.withLock { try rt.wait(on: page.queue, timeout: 50_000_000) { false } }
                rt.withLock { order.value.append("complete") }
                MMPattern.fill(page, index: 0, fileSize: 1 << 20)
                try cache.completeRead([page], uptodate: true)
            }
            try cache.lockPageKillable(page)
            rt.withLock { order.value.append("locked") }
            #expect(cache.flags(of: page) == [.locked, .uptodate])
            try cache.unlockPage(page)
            try rt.join(completer)
        }
        #expect(order.value == ["complete", "locked"])
    }

    /// `lock_page_killable` on a page nobody will unlock: the runtime finds the deadlock, aborts,
    /// and the sleeping reader unwinds (the "killable" part); the report names the page's queue.
    @Test func lockPageKillableIsKillable() throws {
        let rt = FreeRunRuntime()
        let cache = PageCache(runtime: rt, fileSize: 1 << 20, capacity: 8)
        let page = try #require(allocate(cache))
        try cache.addToPageCacheLRU(page, index: 0)
        #expect(throws: RuntimeError.deadlock([BlockedThread(id: 1, name: "reader", waitingFor: "page frame 0")])) {
            try rt.runMain(name: "reader") { try cache.lockPageKillable(page) }
        }
    }

    @Test func trylockPage() throws {
        let cache = PageCache(runtime: FreeRunRuntime(), fileSize: 1 << 20, capacity: 8)
        let page = try #require(allocate(cache))
        #expect(cache.trylockPage(page))
        #expect(!cache.trylockPage(page))
        cache.clearPageLocked(page)
        #expect(cache.trylockPage(page))
    }

    @Test func evictionTakesLeastRecentlyConsumedPagesOnly() throws {
        let cache = PageCache(runtime: FreeRunRuntime(), fileSize: 1 << 20, capacity: 4)
        let pages = try fill(cache, [0, 1, 2, 3])
        #expect(cache.statistics.frames == 4)
        cache.markPageConsumed(pages[2])
        cache.markPageConsumed(pages[0])
        // Full: the next frames come from consumed pages, least recently consumed first.
        let a = try #require(allocate(cache))
        #expect(a == pages[2])
        #expect(!cache.isCached(2))
        let b = try #require(allocate(cache))
        #expect(b == pages[0])
        // Pages 1 and 3 were never copied out: readahead may not take them.
        #expect(allocate(cache) == nil)
        let stats = cache.statistics
        #expect(stats.evictions == 2)
        #expect(stats.readaheadAllocationFailures == 1)
        #expect(stats.frames == 4)
        #expect(cache.snapshot().map(\.index) == [1, 3])
    }

    @Test func evictionNeverTakesLockedOrPinnedPages() throws {
        let cache = PageCache(runtime: FreeRunRuntime(), fileSize: 1 << 20, capacity: 3)
        let pages = try fill(cache, [0, 1, 2])
        for page in pages { cache.markPageConsumed(page) }
        #expect(cache.trylockPage(pages[0]))  // locked (e.g. a re-read in progress)
        _ = try cache.findGetPage(1)  // pinned by a reader
        let frame = try #require(allocate(cache))
        #expect(frame == pages[2])
        #expect(allocate(cache) == nil)
        cache.pageCacheRelease(pages[1])
        let next = try #require(allocate(cache))
        #expect(next == pages[1])
        #expect(cache.snapshot().map(\.index) == [0])
    }

    @Test func readerAllocationReclaimsUnreadPagesThenOvercommits() throws {
        let cache = PageCache(runtime: FreeRunRuntime(), fileSize: 1 << 20, capacity: 2)
        let pages = try fill(cache, [10, 11])
        var reclaimed: [PageCache.Reclaim] = []
        let first = cache.runtime.withLock { cache.allocateForReaderUnderRuntimeLock(reclaimed: &reclaimed) }
        // Page 10 was read ahead but never copied out, and is unlocked: the reader may take it.
        #expect(first == pages[0])
        #expect(cache.snapshot().map(\.index) == [11])
        // With every frame in use (first is held, 11 locked), the reader takes one beyond capacity.
        #expect(cache.trylockPage(pages[1]))
        let extra = cache.runtime.withLock { cache.allocateForReaderUnderRuntimeLock(reclaimed: &reclaimed) }
        #expect(extra.frame == 2)
        #expect(cache.statistics.overcommittedFrames == 1)
        #expect(cache.statistics.frames == 3)
        // Freed, the extra frame leaves the count (the cache is back to its capacity) and is kept
        // as a spare: the next frame beyond capacity is the same one, not a new one.
        cache.runtime.withLock { cache.freeUnusedUnderRuntimeLock(extra) }
        #expect(cache.statistics.frames == 2)
        let again = cache.runtime.withLock { cache.allocateForReaderUnderRuntimeLock(reclaimed: &reclaimed) }
        #expect(again == extra)
        #expect(again.frame == 2)
        #expect(cache.statistics.frames == 3)
        #expect(cache.statistics.overcommittedFrames == 2)
    }

    @Test func deleteFromPageCacheFreesTheFrame() throws {
        let cache = PageCache(runtime: FreeRunRuntime(), fileSize: 1 << 20, capacity: 2)
        let pages = try fill(cache, [5])
        #expect(try cache.deleteFromPageCache(pages[0]))
        #expect(!cache.isCached(5))
        #expect(try !cache.deleteFromPageCache(pages[0]))
        let again = try #require(allocate(cache))
        #expect(again == pages[0])
        #expect(again.index == -1)
        #expect(cache.flags(of: again) == [])
    }

    @Test func pageBufferIsWritableAndZeroable() throws {
        let cache = PageCache(runtime: FreeRunRuntime(), fileSize: 1 << 20, capacity: 2)
        let page = try #require(allocate(cache))
        page.withUnsafeMutableBytes { buffer in
            #expect(buffer.count == 4096)
            for i in 0..<buffer.count { buffer[i] = 0xAB }
        }
        page.zero(from: 4000)
        page.withUnsafeBytes { bytes in
            #expect(bytes[3999] == 0xAB)
            #expect(bytes[4000] == 0)
            #expect(bytes[4095] == 0)
        }
        #expect(PageFlags([.locked, .readahead]).description == "locked|readahead")
    }

    /// What an inspector reads: flags by index, never a Page; indices sorted; nrpages.
    @Test func inspectionByIndex() throws {
        let cache = PageCache(runtime: FreeRunRuntime(), fileSize: 1 << 20, capacity: 8)
        let done = try fill(cache, [9, 2])
        let inFlight = try #require(allocate(cache))
        try cache.addToPageCacheLRU(inFlight, index: 5)
        #expect(cache.cachedPageIndices == [2, 5, 9])
        #expect(cache.runtime.withLock { cache.nrpages } == 3)
        #expect(cache.pageFlags(at: 2) == [.uptodate, .hasData])
        // Locked for I/O, no bytes yet; then the bytes arrive before PG_uptodate.
        #expect(cache.pageFlags(at: 5) == .locked)
        cache.setDataArrived([inFlight])
        #expect(cache.pageFlags(at: 5) == [.locked, .hasData])
        #expect(cache.flags(of: inFlight) == .locked)  // the page's own flags stay the kernel's
        #expect(cache.pageFlags(at: 6) == nil)
        #expect(cache.isConsumed(at: 9) == false)
        cache.markPageConsumed(done[0])
        #expect(cache.isConsumed(at: 9) == true)
        #expect(cache.isConsumed(at: 6) == nil)
        // Freed, a frame forgets its data.
        #expect(try cache.deleteFromPageCache(done[1]))
        #expect(cache.cachedPageIndices == [5, 9])
        #expect(cache.runtime.withLock { cache.nrpages } == 2)
        #expect(PageFlags([.locked, .hasData]).description == "locked|data")
    }

    @Test func fileSizeUpdates() throws {
        let cache = PageCache(runtime: FreeRunRuntime(), fileSize: 10, capacity: 2)
        #expect(cache.fileSize == 10)
        try cache.setFileSize(5_000)
        #expect(cache.fileSize == 5_000)
    }
}

@Suite("PageCache: memory stays bounded")
struct PageCacheMemoryTests {
    /// 64 MiB through an 80-frame cache (ra_pages 32): never more than 80 frames or cached pages,
    /// no overcommit, no refused readahead, and every byte right.
    @Test func sixtyFourMebibytesInEightyFrames() throws {
        let size = 64 << 20
        let run = try MMHarness.read(
            runtime: FreeRunRuntime(), fileSize: size, raPages: 32, batchPages: 16, chunk: 128 * 1024, limit: size,
            keepBytes: false)
        #expect(run.bytes.isEmpty)  // no mismatching chunk
        #expect(run.finalPosition == Int64(size))
        let stats = run.cache.statistics
        #expect(run.cache.capacity == 80)
        #expect(stats.peakFrames <= 80)
        #expect(stats.peakCachedPages <= 80)
        #expect(stats.overcommittedFrames == 0)
        #expect(stats.readaheadAllocationFailures == 0)
        #expect(stats.evictions >= 16_384 - 80)
        #expect(stats.readaheadPages == 16_384)
        #expect(stats.readpageCalls == 0)
    }

    /// A cache smaller than the wanted window: max_sane_readahead cuts the window to half the
    /// cache and the read still completes in bounded memory.
    @Test func tinyCacheCutsTheWindow() throws {
        let size = 1 << 20
        let run = try MMHarness.read(
            runtime: FreeRunRuntime(), fileSize: size, raPages: 32, capacity: 10, chunk: 4096, keepBytes: false)
        #expect(run.bytes.isEmpty)
        #expect(run.finalPosition == Int64(size))
        let stats = run.cache.statistics
        #expect(stats.peakFrames <= 10)
        #expect(stats.overcommittedFrames == 0)
        #expect(run.operations.readpagesCalls.map(\.count).max() == 5)
    }
}
