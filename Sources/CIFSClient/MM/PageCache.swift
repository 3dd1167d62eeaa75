import KernelRuntime

/// One file's page cache: the model of the kernel's `struct address_space` (`inode->i_mapping`),
/// bounded in size.
///
/// It indexes cached pages by file page index (the kernel's radix tree), hands out page frames
/// from a free list, and evicts least-recently-consumed pages when it runs out of frames, so a
/// read of any size runs in at most ``capacity`` frames (4 KiB each).
///
/// ## Rules
/// - All state lives under the runtime lock (`runtime.withLock`); every function here takes it
///   itself and records its tracepoints **outside** it. Call them outside `withLock`.
/// - A page in the cache belongs to the cache. Whoever holds its ``PageFlags/locked`` bit owns it
///   for I/O: `cifs_readpages` locks new pages (``addToPageCacheLRU(_:index:)``), fills them, marks
///   them uptodate (``markUptodate(_:)``) and unlocks them (``unlockPage(_:)``); after the unlock
///   it must not touch the page again (the frame may be reused for another index).
/// - Readers pin pages: ``findGetPage(_:)`` takes a reference, ``pageCacheRelease(_:)`` drops it.
/// - **Eviction** takes only pages that are unlocked, unpinned and already copied out to a
///   reader (``markPageConsumed(_:)``), least recently consumed first. Readahead allocations
///   evict nothing else and fail when the cache is full (the kernel's readahead allocations give
///   up under memory pressure too), which shortens the window. A reader's own allocation
///   (`page_cache_alloc_cold` for the page it is about to read) may also reclaim an unlocked,
///   unpinned page that was read ahead but never copied out — that data can be read again —
///   and as a last resort takes a frame beyond capacity (counted in
///   ``PageCacheStatistics/overcommittedFrames``, returned when freed) rather than deadlock.
public final class PageCache: @unchecked Sendable {
    /// The runtime whose lock guards this cache and whose threads block on its pages.
    public let runtime: any KernelRuntime
    /// The most page frames the cache keeps (outside overcommit).
    public let capacity: Int

    /// The default ``capacity`` for a readahead maximum of `readaheadPages`: twice the window
    /// (a sequential reader has at most the rest of one window and the whole next one unread at
    /// any time) plus 16 frames of slack for synchronous `readpage` and interleaved readers.
    public static func defaultCapacity(readaheadPages: Int) -> Int {
        2 * min(max(readaheadPages, 1), maximumCapacity / 4) + 16
    }

    /// No cache is bigger than this many frames (keeps window arithmetic far from overflow).
    public static let maximumCapacity = 1 << 32

    // Guarded by the runtime lock, which already makes every access exclusive: the dynamic
    // exclusivity checks Swift would add cost a quarter of the hot path, so they are off here.
    @exclusivity(unchecked) var tree: [Int: Page] = [:]
    @exclusivity(unchecked) private var freeFrames: [Page] = []
    @exclusivity(unchecked) private var nextFrame = 0
    @exclusivity(unchecked) private var unread = PageList(.unread)
    @exclusivity(unchecked) private var consumed = PageList(.consumed)
    @exclusivity(unchecked) var inodeSize: Int64
    @exclusivity(unchecked) var stats = PageCacheStatistics()

    /// - Parameters:
    ///   - runtime: the runtime whose lock guards the cache.
    ///   - fileSize: `i_size`, in bytes.
    ///   - capacity: the most frames to keep (at least 2); see ``defaultCapacity(readaheadPages:)``.
    public init(runtime: any KernelRuntime, fileSize: Int64 = 0, capacity: Int) {
        self.runtime = runtime
        self.inodeSize = max(fileSize, 0)
        self.capacity = min(max(capacity, 2), PageCache.maximumCapacity)
    }

    deinit {
        // Neighbour links form cycles; break them so the frames are freed.
        unread.removeAll()
        consumed.removeAll()
    }

    // MARK: Inode size

    /// The file size in bytes (`i_size_read`).
    public var fileSize: Int64 {
        runtime.withLock { inodeSize }
    }

    /// Sets the file size in bytes (`i_size_write`), e.g. from the open reply's EndOfFile.
    public func setFileSize(_ newSize: Int64) throws {
        let old = runtime.withLock {
            let old = inodeSize
            inodeSize = max(newSize, 0)
            return old
        }
        try runtime.tracepoint(
            "i_size_write", .note, "file size \(newSize) bytes", diff: [StateDiff("inode.i_size", old, newSize)])
    }

    /// Counters for tests, the REPL and `cifstep get`'s summary.
    public var statistics: PageCacheStatistics {
        runtime.withLock { stats }
    }

    // MARK: Lookup

    /// Looks `index` up and, if cached, takes a reference on the page (release it with
    /// ``pageCacheRelease(_:)``). Mirrors the kernel's `find_get_page`.
    public func findGetPage(_ index: Int) throws -> Page? {
        try findGetPageAndFlags(index)?.page
    }

    /// ``findGetPage(_:)`` that also returns the flags seen at lookup (one lock for both).
    func findGetPageAndFlags(_ index: Int) throws -> (page: Page, flags: PageFlags)? {
        let found: (page: Page, flags: PageFlags)? = runtime.withLock {
            guard let page = tree[index] else { return nil }
            page.pins += 1
            return (page, page.flags)
        }
        try runtime.tracepoint(
            "find_get_page", .note,
            found.map { "page[\(index)] cached (\($0.flags))" } ?? "page[\(index)] not cached")
        return found
    }

    /// Drops a reference taken by ``findGetPage(_:)``. A page that was allocated but never
    /// added to the cache goes back to the free list. Mirrors `page_cache_release`.
    public func pageCacheRelease(_ page: Page) {
        runtime.withLock {
            if page.pins > 0 { page.pins -= 1 }
            if page.residency == .allocated && page.pins == 0 { freeLocked(page) }
        }
    }

    /// The flags of `page`, read under the lock.
    public func flags(of page: Page) -> PageFlags {
        runtime.withLock { page.flags }
    }

    /// Whether `index` is cached, without taking a reference.
    public func isCached(_ index: Int) -> Bool {
        runtime.withLock { tree[index] != nil }
    }

    /// Every cached page, by ascending index (for inspection: the REPL, tests).
    public func snapshot() -> [PageSnapshot] {
        runtime.withLock {
            tree.values.map {
                PageSnapshot(index: $0.index, frame: $0.frame, flags: $0.flags, consumed: $0.list == .consumed)
            }
            .sorted { $0.index < $1.index }
        }
    }

    // MARK: Insertion

    /// Sets `PG_locked` on a page that is not in the cache yet, so no one can be waiting on it.
    /// Mirrors `__set_page_locked` (what `cifs_readpages` does before adding a page).
    public func setPageLocked(_ page: Page) {
        runtime.withLock { _ = page.flags.insert(.locked) }
    }

    /// Clears `PG_locked` on a page that did not make it into the cache. Mirrors
    /// `__clear_page_locked`.
    public func clearPageLocked(_ page: Page) {
        runtime.withLock { _ = page.flags.remove(.locked) }
    }

    /// Inserts a locked page (from readahead's pool or a reader's allocation) at `index`.
    /// Mirrors `add_to_page_cache_locked`.
    /// - Throws: ``PageCacheError/exists(index:)`` when `index` is already cached (-EEXIST);
    ///   ``PageCacheError/notLocked(index:)`` or ``PageCacheError/notInsertable(index:)`` on misuse.
    public func addToPageCacheLocked(_ page: Page, index: Int) throws {
        let nrpages = try runtime.withLock { () throws -> Int in
            guard page.residency == .allocated else { throw PageCacheError.notInsertable(index: index) }
            guard page.flags.contains(.locked) else { throw PageCacheError.notLocked(index: index) }
            guard tree[index] == nil else { throw PageCacheError.exists(index: index) }
            insertLocked(page, at: index)
            return tree.count
        }
        try runtime.tracepoint(
            "add_to_page_cache_locked", .note, "page[\(index)] (frame \(page.frame)) inserted locked",
            diff: [StateDiff("mapping.nrpages", nrpages - 1, nrpages)])
    }

    /// Locks a new page and inserts it at `index`; on failure the page is left unlocked and
    /// still the caller's. Mirrors `add_to_page_cache_lru` (`__set_page_locked` +
    /// `add_to_page_cache_locked` + the LRU add), which is what `cifs_readpages` does per page.
    /// - Throws: ``PageCacheError/exists(index:)`` when `index` is already cached.
    public func addToPageCacheLRU(_ page: Page, index: Int) throws {
        let nrpages = try runtime.withLock { () throws -> Int in
            guard page.residency == .allocated else { throw PageCacheError.notInsertable(index: index) }
            guard !page.flags.contains(.locked) else { throw PageCacheError.notInsertable(index: index) }
            guard tree[index] == nil else { throw PageCacheError.exists(index: index) }
            page.flags.insert(.locked)
            insertLocked(page, at: index)
            return tree.count
        }
        try runtime.tracepoint(
            "add_to_page_cache_locked", .note, "page[\(index)] (frame \(page.frame)) locked and inserted",
            diff: [StateDiff("page[\(index)].locked", false, true), StateDiff("mapping.nrpages", nrpages - 1, nrpages)])
    }

    /// Puts an allocated page into the index and the unread list. Lock held.
    func insertLocked(_ page: Page, at index: Int) {
        page.index = index
        page.residency = .cached
        tree[index] = page
        unread.append(page)
        stats.cachedPages = tree.count
        stats.peakCachedPages = max(stats.peakCachedPages, tree.count)
    }

    // MARK: Page lock and flags

    /// Takes `PG_locked`, sleeping (through the runtime) while someone else holds it — in the
    /// read path, until the I/O completion unlocks the page. Mirrors `lock_page_killable`.
    /// - Throws: ``KernelRuntime/RuntimeAbort`` when the run is aborted (the "killable" part).
    public func lockPageKillable(_ page: Page) throws {
        let index = page.index
        let taken = runtime.withLock { () -> Bool in
            guard !page.flags.contains(.locked) else { return false }
            page.flags.insert(.locked)
            return true
        }
        if taken {
            try runtime.tracepoint(
                "lock_page_killable", .note, "page[\(index)] was unlocked: taken",
                diff: [StateDiff("page[\(index)].locked", false, true)])
            return
        }
        try runtime.tracepoint("lock_page_killable", .block, "page[\(index)] is locked: sleep until unlock_page")
        try runtime.withLock {
            try runtime.wait(on: page.queue) { !page.flags.contains(.locked) }
            page.flags.insert(.locked)
        }
        try runtime.tracepoint(
            "lock_page_killable", .wake, "page[\(index)] unlocked: taken",
            diff: [StateDiff("page[\(index)].locked", false, true)])
    }

    /// Takes `PG_locked` if it is free. Mirrors `trylock_page`.
    public func trylockPage(_ page: Page) -> Bool {
        runtime.withLock {
            guard !page.flags.contains(.locked) else { return false }
            page.flags.insert(.locked)
            return true
        }
    }

    /// Clears `PG_locked` and wakes the page's waiters. Mirrors `unlock_page`.
    public func unlockPage(_ page: Page) throws {
        let index = runtime.withLock { () -> Int in
            page.flags.remove(.locked)
            runtime.wakeAll(page.queue)
            return page.index
        }
        try runtime.tracepoint(
            "unlock_page", .wake, "page[\(index)]", diff: [StateDiff("page[\(index)].locked", true, false)])
    }

    /// Sets `PG_uptodate`: the page now holds the file's bytes. Mirrors `SetPageUptodate`.
    public func markUptodate(_ page: Page) throws {
        let index = runtime.withLock { () -> Int in
            page.flags.insert(.uptodate)
            return page.index
        }
        try runtime.tracepoint(
            "SetPageUptodate", .note, "page[\(index)]", diff: [StateDiff("page[\(index)].uptodate", false, true)])
    }

    /// Sets `PG_error`. Mirrors `SetPageError`.
    public func setPageError(_ page: Page) throws {
        let index = runtime.withLock { () -> Int in
            page.flags.insert(.error)
            return page.index
        }
        try runtime.tracepoint(
            "SetPageError", .note, "page[\(index)]", diff: [StateDiff("page[\(index)].error", false, true)])
    }

    /// Clears `PG_error` (before a retried `readpage`). Mirrors `ClearPageError`.
    public func clearPageError(_ page: Page) {
        runtime.withLock { _ = page.flags.remove(.error) }
    }

    /// Finishes a read of `pages`: marks each uptodate if `uptodate`, then unlocks it, waking its
    /// readers. Mirrors the page loop of `cifs_readv_complete`. Without tracing the whole batch
    /// takes the lock once; with tracing, each page gets its own `SetPageUptodate` and
    /// `unlock_page` events (each a step in the stepper).
    public func completeRead(_ pages: [Page], uptodate: Bool) throws {
        if runtime.isTracing {
            for page in pages {
                if uptodate { try markUptodate(page) }
                try unlockPage(page)
            }
            return
        }
        runtime.withLock {
            for page in pages {
                if uptodate { page.flags.insert(.uptodate) }
                page.flags.remove(.locked)
                runtime.wakeAll(page.queue)
            }
        }
    }

    /// Clears `PG_readahead` and reports whether it was set. Mirrors `TestClearPageReadahead`.
    func testClearPageReadahead(_ page: Page) -> Bool {
        runtime.withLock { page.flags.remove(.readahead) != nil }
    }

    // MARK: Consumption and eviction

    /// Records that a reader has copied the page out: it becomes the most recently consumed page,
    /// and evictable once unlocked and unpinned. Mirrors `mark_page_accessed` (in this model,
    /// consumption is what makes a page reclaimable).
    public func markPageConsumed(_ page: Page) {
        runtime.withLock { markConsumedLocked(page) }
    }

    func markConsumedLocked(_ page: Page) {
        guard page.residency == .cached else { return }
        unread.remove(page)
        consumed.remove(page)
        consumed.append(page)
    }

    /// Removes `page` from the cache (unlocked and unpinned pages only) and frees its frame.
    /// Mirrors `delete_from_page_cache` as used by truncation and invalidation.
    /// - Returns: whether the page was removed.
    @discardableResult
    public func deleteFromPageCache(_ page: Page) throws -> Bool {
        let removed: (index: Int, nrpages: Int)? = runtime.withLock {
            guard page.residency == .cached, !page.flags.contains(.locked), page.pins == 0 else { return nil }
            let index = page.index
            evictLocked(page)
            return (index, tree.count)
        }
        guard let removed else { return false }
        try runtime.tracepoint(
            "delete_from_page_cache", .note, "page[\(removed.index)] removed",
            diff: [StateDiff("mapping.nrpages", removed.nrpages + 1, removed.nrpages)])
        return true
    }

    /// Takes a cached page out of the index and frees its frame. Lock held.
    private func evictLocked(_ page: Page) {
        tree[page.index] = nil
        unread.remove(page)
        consumed.remove(page)
        stats.cachedPages = tree.count
        freeLocked(page)
    }

    /// Resets a frame and returns it to the free list (or drops an overcommitted one). Lock held.
    private func freeLocked(_ page: Page) {
        page.index = -1
        page.flags = []
        page.pins = 0
        page.residency = .free
        if stats.frames > capacity {
            stats.frames -= 1
        } else {
            freeFrames.append(page)
        }
    }

    // MARK: Allocation

    /// Why a frame was taken from the cache to satisfy an allocation.
    enum Reclaim {
        case consumed(index: Int)
        case unread(index: Int)
    }

    /// A frame for a readahead page: free, new (below capacity) or reclaimed from a consumed
    /// page; `nil` when the cache is full of pages still in use. Mirrors
    /// `page_cache_alloc_readahead` (an allocation allowed to fail). Lock held.
    func allocateForReadaheadLocked(reclaimed: inout [Reclaim]) -> Page? {
        if let page = takeFrameLocked(reclaimed: &reclaimed) { return page }
        stats.readaheadAllocationFailures += 1
        return nil
    }

    /// A frame for the page a reader is about to read: as for readahead, then reclaiming an
    /// unread page, then beyond capacity. Mirrors `page_cache_alloc_cold`. Lock held.
    func allocateForReaderLocked(reclaimed: inout [Reclaim]) -> Page {
        if let page = takeFrameLocked(reclaimed: &reclaimed) { return page }
        if let victim = unread.first(where: isReclaimable) {
            reclaimed.append(.unread(index: victim.index))
            stats.evictions += 1
            evictLocked(victim)
            if let page = popFreeLocked() { return page }
        }
        stats.overcommittedFrames += 1
        return newFrameLocked()
    }

    private func takeFrameLocked(reclaimed: inout [Reclaim]) -> Page? {
        if let page = popFreeLocked() { return page }
        if stats.frames < capacity { return newFrameLocked() }
        guard let victim = consumed.first(where: isReclaimable) else { return nil }
        reclaimed.append(.consumed(index: victim.index))
        stats.evictions += 1
        evictLocked(victim)
        return popFreeLocked()
    }

    private func isReclaimable(_ page: Page) -> Bool {
        page.pins == 0 && !page.flags.contains(.locked)
    }

    private func popFreeLocked() -> Page? {
        guard let page = freeFrames.popLast() else { return nil }
        page.residency = .allocated
        return page
    }

    private func newFrameLocked() -> Page {
        let page = Page(frame: nextFrame)
        nextFrame += 1
        stats.frames += 1
        stats.peakFrames = max(stats.peakFrames, stats.frames)
        page.residency = .allocated
        return page
    }

    /// Returns a page that was allocated but not inserted (readahead's leftovers: the kernel's
    /// `put_pages_list`). Lock held.
    func freeUnusedLocked(_ page: Page) {
        guard page.residency == .allocated, page.pins == 0 else { return }
        freeLocked(page)
    }

    /// Records the evictions an allocation made (outside the lock).
    func traceReclaims(_ reclaimed: [Reclaim]) throws {
        guard runtime.isTracing else { return }
        for reclaim in reclaimed {
            switch reclaim {
            case let .consumed(index):
                try runtime.tracepoint(
                    "shrink_page_list", .note, "page[\(index)] evicted: least recently consumed",
                    diff: [StateDiff(path: "page[\(index)]", old: "cached", new: nil)])
            case let .unread(index):
                try runtime.tracepoint(
                    "shrink_page_list", .note, "page[\(index)] evicted: read ahead but never copied out",
                    diff: [StateDiff(path: "page[\(index)]", old: "cached", new: nil)])
            }
        }
    }
}

/// Counters kept by a ``PageCache``.
public struct PageCacheStatistics: Equatable, Sendable {
    /// Pages in the cache now (`mapping->nrpages`).
    public var cachedPages = 0
    /// The most pages the cache held at once.
    public var peakCachedPages = 0
    /// Page frames alive now (cached, free or in flight): the cache's memory, in 4 KiB units.
    public var frames = 0
    /// The most frames alive at once.
    public var peakFrames = 0
    /// Pages evicted to make room.
    public var evictions = 0
    /// Readahead allocations refused because every frame was in use (each shortens a window).
    public var readaheadAllocationFailures = 0
    /// Frames a reader had to take beyond capacity (should stay 0).
    public var overcommittedFrames = 0
    /// `page_cache_sync_readahead` calls that reached `ondemand_readahead`.
    public var syncReadaheads = 0
    /// `page_cache_async_readahead` calls (PG_readahead hits) that reached `ondemand_readahead`.
    public var asyncReadaheads = 0
    /// Pages handed to `readpages` (or read one by one when it is missing).
    public var readaheadPages = 0
    /// Synchronous `readpage` calls from `do_generic_file_read` (the fallback).
    public var readpageCalls = 0

    public init() {}
}

/// A cached page as listed by ``PageCache/snapshot()``.
public struct PageSnapshot: Equatable, Sendable, CustomStringConvertible {
    public var index: Int
    public var frame: Int
    public var flags: PageFlags
    /// Already copied out to a reader (on the consumed LRU list).
    public var consumed: Bool

    public var description: String {
        "page[\(index)] frame \(frame) \(flags)\(consumed ? " consumed" : "")"
    }
}
