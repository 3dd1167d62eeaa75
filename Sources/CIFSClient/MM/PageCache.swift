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
///   itself and records its tracepoints **outside** it. Call the ones that trace outside
///   `withLock` (asserted: a tracepoint is where a stepped thread hands the baton back).
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
/// - An **inspector** (a stepper's state view) reads the cache by index only —
///   ``cachedPageIndices``, ``pageFlags(at:)``, ``isConsumed(at:)``, ``nrpages`` — under the
///   runtime lock, and never keeps a ``Page``: frames are reused for other indices.
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
    @exclusivity(unchecked) var tree = PageIndexTable()
    /// Every frame's state and buffer; freed with the cache.
    private let frameTable = PageFrameTable()
    @exclusivity(unchecked) private var freeFrames: [Page] = []
    /// Frames taken beyond capacity and given back: not counted in ``PageCacheStatistics/frames``,
    /// reused before the table makes a new frame (the table frees frames only with the cache).
    @exclusivity(unchecked) private var spareFrames: [Page] = []
    @exclusivity(unchecked) private var unread = PageList(.unread)
    @exclusivity(unchecked) private var consumed = PageList(.consumed)
    @exclusivity(unchecked) var inodeSize: Int64
    @exclusivity(unchecked) var stats = PageCacheStatistics()
    /// Pages in the cache (the kernel's `mapping->nrpages`), brought up to date at the end of
    /// every locked section that inserts or evicts. Runtime lock.
    @exclusivity(unchecked) public internal(set) var nrpages = 0

    /// - Parameters:
    ///   - runtime: the runtime whose lock guards the cache.
    ///   - fileSize: `i_size`, in bytes.
    ///   - capacity: the most frames to keep (at least 2); see ``defaultCapacity(readaheadPages:)``.
    /// How long, in runtime nanoseconds, ``lockPageKillable(_:)`` sleeps on a locked page before
    /// it throws ``PageCacheError/lockTimedOut(index:)``; `nil` (the kernel's way): for ever.
    public var lockTimeout: UInt64?

    public init(runtime: any KernelRuntime, fileSize: Int64 = 0, capacity: Int) {
        self.runtime = runtime
        self.inodeSize = max(fileSize, 0)
        self.capacity = min(max(capacity, 2), PageCache.maximumCapacity)
    }

    /// The rule of every function here that traces: called outside `withLock`.
    @inline(__always)
    func assertOutsideRuntimeLock(_ function: StaticString = #function) {
        assert(!runtime.holdsLock, "PageCache.\(function) inside withLock")
    }

    // MARK: Inode size

    /// The file size in bytes (`i_size_read`).
    public var fileSize: Int64 {
        runtime.withLock { inodeSize }
    }

    /// Sets the file size in bytes, e.g. from the open reply's EndOfFile. Mirrors `i_size_write`.
    public func setFileSize(_ newSize: Int64) throws {
        assertOutsideRuntimeLock()
        try runtime.traced("i_size_write", "\(newSize) bytes") { call in
            var changes = StateChanges(tracing: call.isTracing)
            runtime.withLock { changes.set(self, \.inodeSize, max(newSize, 0), path: "inode.i_size") }
            call.returning("", diff: changes.diffs)
        }
    }

    /// Counters for tests, the REPL and `cifstep get`'s summary.
    public var statistics: PageCacheStatistics {
        runtime.withLock { stats }
    }

    // MARK: Inspection by index

    /// The flags of the page cached at `index`, or `nil` when nothing is cached there: the
    /// kernel's `PG_locked`, `PG_uptodate`, `PG_readahead`, `PG_error`, plus ``PageFlags/hasData``
    /// (bytes arrived in the page, or it is uptodate). Takes the runtime lock (re-entrant: call
    /// it inside `withLock` to read several pages at one instant). Never hands out a ``Page``,
    /// so an inspector cannot keep a frame the cache reuses.
    public func pageFlags(at index: Int) -> PageFlags? {
        runtime.withLock {
            guard let page = tree[index] else { return nil }
            return page.flags.union(page.hasData || page.isUptodate ? .hasData : [])
        }
    }

    /// The indices of every cached page, ascending. Takes the runtime lock (re-entrant).
    public var cachedPageIndices: [Int] {
        runtime.withLock { tree.keysInTable.sorted() }
    }

    /// How many cached pages a reader holds a reference on (``findGetPage(_:)`` or a lent page
    /// not yet given back). Takes the runtime lock (re-entrant).
    public var pinnedPageCount: Int {
        runtime.withLock { tree.pagesInTable.reduce(0) { $0 + ($1.pins > 0 ? 1 : 0) } }
    }

    /// Whether the page at `index` was copied out to a reader (on the consumed LRU list, so
    /// the first to be evicted), or `nil` when nothing is cached there. Runtime lock (re-entrant).
    public func isConsumed(at index: Int) -> Bool? {
        runtime.withLock { tree[index].map { $0.list == .consumed } }
    }

    // MARK: Lookup

    /// Looks `index` up and, if cached, takes a reference on the page (release it with
    /// ``pageCacheRelease(_:)``). Mirrors the kernel's `find_get_page`.
    public func findGetPage(_ index: Int) throws -> Page? {
        try findGetPageAndFlags(index)?.page
    }

    /// ``findGetPage(_:)`` that also returns the flags seen at lookup (one lock for both).
    func findGetPageAndFlags(_ index: Int) throws -> (page: Page, flags: PageFlags)? {
        assertOutsideRuntimeLock()
        return try runtime.traced("find_get_page", "page[\(index)]") { call in
            let found: (page: Page, flags: PageFlags)? = runtime.withLock {
                guard let page = tree[index] else { return nil }
                page.pins += 1
                return (page, page.flags)
            }
            call.returning(found.map { "cached (\($0.flags))" } ?? "not cached")
            return found
        }
    }

    /// Drops a reference taken by ``findGetPage(_:)``. A page that was allocated but never
    /// added to the cache goes back to the free list. Mirrors `page_cache_release`.
    public func pageCacheRelease(_ page: Page) {
        runtime.withLock {
            if page.pins > 0 { page.pins -= 1 }
            if page.residency == .allocated && page.pins == 0 { freeUnderRuntimeLock(page) }
        }
    }

    /// The flags of `page`, read under the lock (the kernel's bits only).
    public func flags(of page: Page) -> PageFlags {
        runtime.withLock { page.flags }
    }

    /// Whether `index` is cached, without taking a reference.
    public func isCached(_ index: Int) -> Bool {
        runtime.withLock { tree[index] != nil }
    }

    /// Every cached page, by ascending index (for inspection: the REPL, tests), read at one
    /// instant through ``cachedPageIndices`` and ``pageFlags(at:)``.
    public func snapshot() -> [PageSnapshot] {
        runtime.withLock {
            cachedPageIndices.compactMap { index in
                guard let page = tree[index] else { return nil }
                return PageSnapshot(index: index, frame: page.frame, flags: page.flags, consumed: page.list == .consumed)
            }
        }
    }

    // MARK: Insertion

    /// Sets `PG_locked` on a page that is not in the cache yet, so no one can be waiting on it.
    /// Mirrors `__set_page_locked` (what `cifs_readpages` does before adding a page).
    public func setPageLocked(_ page: Page) {
        runtime.withLock { page.isLocked = true }
    }

    /// Clears `PG_locked` on a page that did not make it into the cache. Mirrors
    /// `__clear_page_locked`.
    public func clearPageLocked(_ page: Page) {
        runtime.withLock { page.isLocked = false }
    }

    /// Inserts a locked page (from readahead's pool or a reader's allocation) at `index`, not yet
    /// on an LRU list: whoever completes its I/O puts it there with ``lruCacheAddFile(_:)`` (as
    /// `cifs_readv_complete` does). Mirrors `add_to_page_cache_locked`.
    /// - Throws: ``PageCacheError/exists(index:)`` when `index` is already cached (-EEXIST);
    ///   ``PageCacheError/notLocked(index:)`` or ``PageCacheError/notInsertable(index:)`` on misuse.
    public func addToPageCacheLocked(_ page: Page, index: Int) throws {
        try addToPageCacheLocked(page, index: index, settingLock: false)
    }

    /// Locks a new page and inserts it at `index`, off the LRU: `__set_page_locked` followed by
    /// ``addToPageCacheLocked(_:index:)``, what `cifs_readpages` does for each page, in one locked
    /// section (a page read costs one lock fewer). On failure the page is left unlocked and
    /// still the caller's, as after the kernel's `__clear_page_locked`.
    /// - Throws: as ``addToPageCacheLocked(_:index:)``; ``PageCacheError/notInsertable(index:)``
    ///   when the page is already locked.
    public func setPageLockedAndAddToPageCache(_ page: Page, index: Int) throws {
        try addToPageCacheLocked(page, index: index, settingLock: true)
    }

    /// ``setPageLockedAndAddToPageCache(_:index:)`` for a run of pages, each at its own
    /// ``Page/index``, in one locked section, for a run that does not trace; stops at the first
    /// page that cannot be inserted (left unlocked and the caller's). Returns how many were
    /// inserted, from the start of `pages`.
    func setPagesLockedAndAddToPageCache(_ pages: ArraySlice<Page>) -> Int {
        assertOutsideRuntimeLock()
        assert(!runtime.isTracing, "a traced run inserts page by page, each a step")
        return runtime.withLock {
            var inserted = 0
            for page in pages {
                let index = page.index
                guard page.residency == .allocated, !page.isLocked, tree[index] == nil else { break }
                page.isLocked = true
                insertUnderRuntimeLock(page, at: index, onLRU: false)
                inserted += 1
            }
            nrpages = tree.count
            return inserted
        }
    }

    private func addToPageCacheLocked(_ page: Page, index: Int, settingLock: Bool) throws {
        assertOutsideRuntimeLock()
        try runtime.traced("add_to_page_cache_locked", "page[\(index)] (frame \(page.frame))") { call in
            var changes = StateChanges(tracing: call.isTracing)
            try runtime.withLock {
                guard page.residency == .allocated else { throw PageCacheError.notInsertable(index: index) }
                if settingLock {
                    guard !page.isLocked else { throw PageCacheError.notInsertable(index: index) }
                } else {
                    guard page.isLocked else { throw PageCacheError.notLocked(index: index) }
                }
                guard tree[index] == nil else { throw PageCacheError.exists(index: index) }
                // __set_page_locked: nobody can see the page yet, so no one is waiting on it.
                if settingLock { page.isLocked = true }
                insertUnderRuntimeLock(page, at: index, onLRU: false)
                // The page enters the cache locked.
                changes.created(page.isLocked, path: "page[\(index)].locked")
                syncNrpagesUnderRuntimeLock(&changes)
            }
            call.returning("inserted locked, not on an LRU list yet", diff: changes.diffs)
        }
    }

    /// Locks a new page and inserts it at `index`; on failure the page is left unlocked and
    /// still the caller's. Mirrors `add_to_page_cache_lru` (`__set_page_locked` +
    /// `add_to_page_cache_locked` + the LRU add), which is what `cifs_readpages` does per page.
    /// - Throws: ``PageCacheError/exists(index:)`` when `index` is already cached.
    public func addToPageCacheLRU(_ page: Page, index: Int) throws {
        assertOutsideRuntimeLock()
        try runtime.traced("add_to_page_cache_lru", "page[\(index)] (frame \(page.frame))") { call in
            var changes = StateChanges(tracing: call.isTracing)
            try runtime.withLock {
                guard page.residency == .allocated else { throw PageCacheError.notInsertable(index: index) }
                guard !page.isLocked else { throw PageCacheError.notInsertable(index: index) }
                guard tree[index] == nil else { throw PageCacheError.exists(index: index) }
                changes.set(page, \.isLocked, true, path: "page[\(index)].locked")
                insertUnderRuntimeLock(page, at: index)
                syncNrpagesUnderRuntimeLock(&changes)
            }
            call.returning("locked and inserted", diff: changes.diffs)
        }
    }

    /// Puts an allocated page into the index and, with `onLRU`, on the unread list; the caller
    /// then calls ``syncNrpagesUnderRuntimeLock(_:)``. Runtime lock held.
    func insertUnderRuntimeLock(_ page: Page, at index: Int, onLRU: Bool = true) {
        assert(runtime.holdsLock, "insertUnderRuntimeLock without the runtime lock")
        page.index = index
        page.residency = .cached
        tree[index] = page
        if onLRU { unread.append(page) }
        stats.cachedPages = tree.count
        stats.peakCachedPages = max(stats.peakCachedPages, tree.count)
    }

    /// Brings ``nrpages`` up to the index's size, recording the change: every public entry
    /// point that inserts or evicts calls it before it releases the lock, so one locked section
    /// shows as one change. Runtime lock held.
    func syncNrpagesUnderRuntimeLock(_ changes: inout StateChanges) {
        assert(runtime.holdsLock, "syncNrpagesUnderRuntimeLock without the runtime lock")
        changes.set(self, \.nrpages, tree.count, path: "mapping.nrpages")
    }

    // MARK: Page lock and flags

    /// Takes `PG_locked`, sleeping (through the runtime) while someone else holds it — in the
    /// read path, until the I/O completion unlocks the page. Mirrors `lock_page_killable`.
    /// - Throws: ``KernelRuntime/RuntimeAbort`` when the run is aborted (the "killable" part).
    public func lockPageKillable(_ page: Page) throws {
        assertOutsideRuntimeLock()
        let index = page.index
        try runtime.traced("lock_page_killable", "page[\(index)]") { call in
            var changes = StateChanges(tracing: call.isTracing)
            let taken = runtime.withLock { () -> Bool in
                guard !page.isLocked else { return false }
                changes.set(page, \.isLocked, true, path: "page[\(index)].locked")
                return true
            }
            if taken {
                call.returning("page[\(index)] was unlocked: taken", diff: changes.diffs)
                return
            }
            try call.event(.block, "page[\(index)] is locked: sleep until unlock_page")
            try runtime.withLock {
                if let limit = lockTimeout {
                    guard try runtime.wait(on: page.queue, timeout: limit, until: { !page.isLocked }) else {
                        throw PageCacheError.lockTimedOut(index: index)
                    }
                } else {
                    try runtime.wait(on: page.queue) { !page.isLocked }
                }
                changes.set(page, \.isLocked, true, path: "page[\(index)].locked")
            }
            call.returning("woken: page[\(index)] unlocked, taken", diff: changes.diffs)
        }
    }

    /// Takes `PG_locked` if it is free. Mirrors `trylock_page`.
    public func trylockPage(_ page: Page) -> Bool {
        runtime.withLock {
            guard !page.isLocked else { return false }
            page.isLocked = true
            return true
        }
    }

    /// Clears `PG_locked` and wakes the page's waiters. Mirrors `unlock_page`.
    public func unlockPage(_ page: Page) throws {
        assertOutsideRuntimeLock()
        // The caller holds PG_locked, so the frame cannot be reused under us: its index is stable.
        try runtime.traced("unlock_page", "page[\(page.index)]") { call in
            var changes = StateChanges(tracing: call.isTracing)
            runtime.withLock {
                changes.set(page, \.isLocked, false, path: "page[\(page.index)].locked")
                runtime.wakeAll(page.queue)
            }
            call.returning("its waiters woken", diff: changes.diffs)
        }
    }

    /// Sets `PG_uptodate`: the page now holds the file's bytes. Mirrors `SetPageUptodate`.
    public func markUptodate(_ page: Page) throws {
        assertOutsideRuntimeLock()
        try runtime.traced("SetPageUptodate", "page[\(page.index)]") { call in
            var changes = StateChanges(tracing: call.isTracing)
            runtime.withLock { changes.set(page, \.isUptodate, true, path: "page[\(page.index)].uptodate") }
            call.returning("", diff: changes.diffs)
        }
    }

    /// Sets `PG_error`. Mirrors `SetPageError`.
    public func setPageError(_ page: Page) throws {
        assertOutsideRuntimeLock()
        try runtime.traced("SetPageError", "page[\(page.index)]") { call in
            var changes = StateChanges(tracing: call.isTracing)
            runtime.withLock { changes.set(page, \.hasError, true, path: "page[\(page.index)].error") }
            call.returning("", diff: changes.diffs)
        }
    }

    /// Clears `PG_error` (before a retried `readpage`). Mirrors `ClearPageError`.
    public func clearPageError(_ page: Page) {
        runtime.withLock { page.hasError = false }
    }

    /// Records that bytes arrived in `pages` (the I/O path wrote their buffers, before any is
    /// marked uptodate): what ``pageFlags(at:)`` reports as ``PageFlags/hasData``. Not a kernel
    /// operation; one lock for the batch.
    public func setDataArrived<Pages: Sequence<Page>>(_ pages: Pages) {
        runtime.withLock {
            for page in pages { page.hasData = true }
        }
    }

    /// Puts a cached page that is on no LRU list yet (inserted with
    /// ``addToPageCacheLocked(_:index:)``) on the list of pages not yet copied out to a reader —
    /// from then on the cache may reclaim it once it is unlocked and unpinned. A page already on
    /// a list stays where it is. Mirrors `lru_cache_add_file` (the page joins the inactive file
    /// LRU).
    public func lruCacheAddFile(_ page: Page) throws {
        assertOutsideRuntimeLock()
        try runtime.traced("lru_cache_add_file", "page[\(page.index)]") { call in
            let added = runtime.withLock { addToLRUUnderRuntimeLock(page) }
            call.returning(added ? "on the LRU, reclaimable once unlocked and copied out" : "already on an LRU list")
        }
    }

    /// Appends a cached page that is on no list to the unread list; returns whether it did.
    /// Runtime lock held.
    private func addToLRUUnderRuntimeLock(_ page: Page) -> Bool {
        assert(runtime.holdsLock, "addToLRUUnderRuntimeLock without the runtime lock")
        guard page.residency == .cached, page.list == .none else { return false }
        unread.append(page)
        return true
    }

    /// Finishes a read of `pages`, page by page: with `addingToLRU` (pages inserted with
    /// ``addToPageCacheLocked(_:index:)``) puts each on the LRU, then marks it uptodate if
    /// `uptodate`, then unlocks it, waking its readers. Mirrors the page loop of
    /// `cifs_readv_complete` (`lru_cache_add_file`, `SetPageUptodate`, `unlock_page`). With
    /// tracing each page gets its own frames (each a step in the stepper); without, the whole
    /// batch takes the lock once and leaves the pages in the same state.
    public func completeRead(_ pages: [Page], uptodate: Bool, addingToLRU: Bool = false) throws {
        assertOutsideRuntimeLock()
        if runtime.isTracing {
            for page in pages {
                if addingToLRU { try lruCacheAddFile(page) }
                if uptodate { try markUptodate(page) }
                try unlockPage(page)
            }
            return
        }
        runtime.withLock {
            for page in pages {
                if addingToLRU { _ = addToLRUUnderRuntimeLock(page) }
                if uptodate { page.isUptodate = true }
                page.isLocked = false
                runtime.wakeAll(page.queue)
            }
        }
    }

    /// The indices of the pages on the two LRU lists, each in list order (oldest first): what
    /// eviction will look at. For tests and inspection. Takes the runtime lock (re-entrant).
    public var lruOrder: (unread: [Int], consumed: [Int]) {
        runtime.withLock {
            func indices(_ list: PageList) -> [Int] {
                var result: [Int] = []
                var cursor = list.head
                while let page = cursor {
                    result.append(page.index)
                    cursor = page.next
                }
                return result
            }
            return (indices(unread), indices(consumed))
        }
    }

    /// Clears `PG_readahead`, recording the change, and reports whether it was set. Mirrors
    /// `TestClearPageReadahead`.
    func testClearPageReadahead(_ page: Page, _ changes: inout StateChanges) -> Bool {
        runtime.withLock {
            let wasSet = page.isReadahead
            changes.set(page, \.isReadahead, false, path: "page[\(page.index)].readahead")
            return wasSet
        }
    }

    // MARK: Consumption and eviction

    /// Records that a reader has copied the page out: it becomes the most recently consumed page,
    /// and evictable once unlocked and unpinned. Mirrors `mark_page_accessed` (in this model,
    /// consumption is what makes a page reclaimable).
    public func markPageConsumed(_ page: Page) {
        runtime.withLock { markConsumedUnderRuntimeLock(page) }
    }

    func markConsumedUnderRuntimeLock(_ page: Page) {
        assert(runtime.holdsLock, "markConsumedUnderRuntimeLock without the runtime lock")
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
        assertOutsideRuntimeLock()
        return try runtime.traced("delete_from_page_cache", "frame \(page.frame)") { call in
            var changes = StateChanges(tracing: call.isTracing)
            let removed: Int? = runtime.withLock {
                guard page.residency == .cached, !page.isLocked, page.pins == 0 else { return nil }
                let index = page.index
                changes.removed(page.flags, path: "page[\(index)]")
                evictUnderRuntimeLock(page)
                syncNrpagesUnderRuntimeLock(&changes)
                return index
            }
            call.returning(
                removed.map { "page[\($0)] removed" } ?? "not removed: locked, pinned or not cached", diff: changes.diffs)
            return removed != nil
        }
    }

    /// Takes a cached page out of the index and frees its frame; the caller then calls
    /// ``syncNrpagesUnderRuntimeLock(_:)``. Runtime lock held.
    private func evictUnderRuntimeLock(_ page: Page) {
        assert(runtime.holdsLock, "evictUnderRuntimeLock without the runtime lock")
        // Off the lists while the index still holds it (the lists do not).
        unread.remove(page)
        consumed.remove(page)
        tree[page.index] = nil
        stats.cachedPages = tree.count
        freeUnderRuntimeLock(page)
    }

    /// Resets a frame and returns it to the free list (or drops an overcommitted one). Runtime
    /// lock held.
    private func freeUnderRuntimeLock(_ page: Page) {
        assert(runtime.holdsLock, "freeUnderRuntimeLock without the runtime lock")
        page.index = -1
        page.flags = []
        page.hasData = false
        page.pins = 0
        page.residency = .free
        if stats.frames > capacity {
            stats.frames -= 1
            spareFrames.append(page)
        } else {
            freeFrames.append(page)
        }
    }

    // MARK: Allocation

    /// A page an allocation evicted, with the flags it had (for the trace).
    enum Reclaim {
        /// The least recently consumed page.
        case consumed(index: Int, flags: PageFlags)
        /// A page read ahead but never copied out (only a reader's allocation takes one).
        case unread(index: Int, flags: PageFlags)
    }

    /// A frame for a readahead page: free, new (below capacity) or reclaimed from a consumed
    /// page; `nil` when the cache is full of pages still in use. Mirrors
    /// `page_cache_alloc_readahead` (an allocation allowed to fail). Runtime lock held.
    func allocateForReadaheadUnderRuntimeLock(reclaimed: inout [Reclaim]) -> Page? {
        assert(runtime.holdsLock, "allocateForReadaheadUnderRuntimeLock without the runtime lock")
        if let page = takeFrameUnderRuntimeLock(reclaimed: &reclaimed) { return page }
        stats.readaheadAllocationFailures += 1
        return nil
    }

    /// A frame for the page a reader is about to read: as for readahead, then reclaiming an
    /// unread page, then beyond capacity. Mirrors `page_cache_alloc_cold`. Runtime lock held.
    func allocateForReaderUnderRuntimeLock(reclaimed: inout [Reclaim]) -> Page {
        assert(runtime.holdsLock, "allocateForReaderUnderRuntimeLock without the runtime lock")
        if let page = takeFrameUnderRuntimeLock(reclaimed: &reclaimed) { return page }
        if let victim = unread.first(where: isReclaimable) {
            reclaimed.append(.unread(index: victim.index, flags: victim.flags))
            stats.evictions += 1
            evictUnderRuntimeLock(victim)
            if let page = popFreeUnderRuntimeLock() { return page }
        }
        stats.overcommittedFrames += 1
        return newFrameUnderRuntimeLock()
    }

    private func takeFrameUnderRuntimeLock(reclaimed: inout [Reclaim]) -> Page? {
        if let page = popFreeUnderRuntimeLock() { return page }
        if stats.frames < capacity { return newFrameUnderRuntimeLock() }
        guard let victim = consumed.first(where: isReclaimable) else { return nil }
        reclaimed.append(.consumed(index: victim.index, flags: victim.flags))
        stats.evictions += 1
        evictUnderRuntimeLock(victim)
        return popFreeUnderRuntimeLock()
    }

    private func isReclaimable(_ page: Page) -> Bool {
        page.pins == 0 && !page.isLocked
    }

    private func popFreeUnderRuntimeLock() -> Page? {
        guard let page = freeFrames.popLast() else { return nil }
        page.residency = .allocated
        return page
    }

    private func newFrameUnderRuntimeLock() -> Page {
        let page = spareFrames.popLast() ?? frameTable.addFrame()
        stats.frames += 1
        stats.peakFrames = max(stats.peakFrames, stats.frames)
        page.residency = .allocated
        return page
    }

    /// Returns a page that was allocated but not inserted (readahead's leftovers: the kernel's
    /// `put_pages_list`). Runtime lock held.
    func freeUnusedUnderRuntimeLock(_ page: Page) {
        assert(runtime.holdsLock, "freeUnusedUnderRuntimeLock without the runtime lock")
        guard page.residency == .allocated, page.pins == 0 else { return }
        freeUnderRuntimeLock(page)
    }

    /// Records the evictions an allocation made, each with the flags the page had, and the new
    /// ``nrpages``. Runtime lock held.
    func recordReclaimsUnderRuntimeLock(_ reclaimed: [Reclaim], _ changes: inout StateChanges) {
        assert(runtime.holdsLock, "recordReclaimsUnderRuntimeLock without the runtime lock")
        guard !reclaimed.isEmpty else { return }
        for reclaim in reclaimed {
            switch reclaim {
            case let .consumed(index, flags), let .unread(index, flags):
                changes.removed(flags, path: "page[\(index)]")
            }
        }
        syncNrpagesUnderRuntimeLock(&changes)
    }

    /// `3 evicted (2 consumed, 1 never copied out)`, for a trace message.
    static func describe(_ reclaimed: [Reclaim]) -> String {
        let unread = reclaimed.filter { if case .unread = $0 { return true } else { return false } }.count
        let consumed = reclaimed.count - unread
        var parts: [String] = []
        if consumed > 0 { parts.append("\(consumed) least recently consumed") }
        if unread > 0 { parts.append("\(unread) read ahead but never copied out") }
        return "\(reclaimed.count) evicted (" + parts.joined(separator: ", ") + ")"
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
