import KernelRuntime

// The readahead state machine of mm/readahead.c (Linux 3.8): on a miss or a PG_readahead hit,
// decide the next window from the file_ra_state, allocate its missing pages, mark the one whose
// hit starts the next batch, and hand them to the file system's readpages.

extension PageCache {
    /// The readahead maximum actually used: `raPages`, but never more than half the cache, so
    /// that a window and the one after it always fit. Mirrors `max_sane_readahead`, which caps
    /// readahead at half of the free and reclaimable memory.
    public func maxSaneReadahead(_ raPages: Int) -> Int {
        min(raPages, capacity / 2)
    }

    /// Readahead on a cache miss at `index`, for a read of `requestPages` pages.
    /// Mirrors `page_cache_sync_readahead`.
    public func pageCacheSyncReadahead(
        _ ra: FileReadaheadState, operations: any AddressSpaceOperations, index: Int, requestPages: Int
    ) throws {
        try runtime.tracepoint(
            "page_cache_sync_readahead", .enter, "miss at page[\(index)], read wants \(requestPages) pages")
        guard ra.raPages > 0 else {
            try runtime.tracepoint("page_cache_sync_readahead", .exit, "readahead is off (ra_pages 0)")
            return
        }
        runtime.withLock { stats.syncReadaheads += 1 }
        try ondemandReadahead(
            ra, operations: operations, hitReadaheadMarker: false, index: index, requestPages: requestPages)
    }

    /// Readahead because the reader reached `page`, which carries `PG_readahead`: clears the mark
    /// and starts the next window. Mirrors `page_cache_async_readahead`.
    public func pageCacheAsyncReadahead(
        _ ra: FileReadaheadState, operations: any AddressSpaceOperations, page: Page, index: Int,
        requestPages: Int
    ) throws {
        guard ra.raPages > 0 else { return }
        _ = testClearPageReadahead(page)
        try runtime.tracepoint(
            "page_cache_async_readahead", .enter, "page[\(index)] has PG_readahead: start the next window",
            diff: [StateDiff("page[\(index)].readahead", true, false)])
        runtime.withLock { stats.asyncReadaheads += 1 }
        try ondemandReadahead(
            ra, operations: operations, hitReadaheadMarker: true, index: index, requestPages: requestPages)
    }

    /// Decides the readahead window for an access at `index` and submits it.
    /// Mirrors `ondemand_readahead`.
    /// - Returns: how many pages were handed to `readpages`.
    @discardableResult
    public func ondemandReadahead(
        _ ra: FileReadaheadState, operations: any AddressSpaceOperations, hitReadaheadMarker: Bool, index: Int,
        requestPages: Int
    ) throws -> Int {
        let max = maxSaneReadahead(ra.raPages)
        let before = (ra.start, ra.size, ra.asyncSize)
        let reason: String

        decide: do {
            if index == 0 {
                reason = "start of file: initial window"
                setInitialWindow(ra, index: index, requestPages: requestPages, max: max)
                break decide
            }
            // Wrapping arithmetic: the state is public, and nonsense in it must not trap.
            if index == ra.start &+ ra.size &- ra.asyncSize || index == ra.start &+ ra.size {
                // The expected access: assume a sequential stream, push the window forward and grow it.
                reason = "sequential: window moves forward and grows"
                ra.start &+= ra.size
                ra.size = FileReadaheadState.nextWindowSize(currentSize: ra.size, max: max)
                ra.asyncSize = ra.size
                break decide
            }
            if hitReadaheadMarker {
                // A marked page without matching state (e.g. interleaved readers): find where the
                // cached run ahead of us ends, and grow from the old async size.
                let start = nextHole(after: index, maxScan: max)
                if start - index > max {
                    try runtime.tracepoint(
                        "ondemand_readahead", .exit, "PG_readahead hit at page[\(index)], next \(max) pages cached: nothing to do")
                    return 0
                }
                reason = "PG_readahead hit without matching state: resume after the cached run"
                ra.start = start
                ra.size = start - index + requestPages
                ra.size = FileReadaheadState.nextWindowSize(currentSize: ra.size, max: max)
                ra.asyncSize = ra.size
                break decide
            }
            if requestPages > max {
                reason = "read larger than the maximum window: initial window"
                setInitialWindow(ra, index: index, requestPages: requestPages, max: max)
                break decide
            }
            let previousIndex = Int(ra.prevPos >> Int64(Page.shift))
            let distance = index &- previousIndex
            if distance == 0 || distance == 1 {
                reason = "sequential cache miss: initial window"
                setInitialWindow(ra, index: index, requestPages: requestPages, max: max)
                break decide
            }
            if tryContextReadahead(ra, index: index, requestPages: requestPages, max: max) {
                reason = "cached history before page[\(index)]: context readahead"
                break decide
            }
            // A small random read: read just what was asked, leave the state alone.
            try runtime.tracepoint(
                "ondemand_readahead", .note, "random read at page[\(index)]: read \(requestPages) pages, state unchanged")
            return try doPageCacheReadahead(
                operations: operations, index: index, pagesToRead: requestPages, lookaheadPages: 0)
        }

        // Would this read reach the PG_readahead mark of its own window at once? Then trigger that
        // hit now, merging the next window into this one.
        if index == ra.start && ra.size == ra.asyncSize {
            ra.asyncSize = FileReadaheadState.nextWindowSize(currentSize: ra.size, max: max)
            ra.size &+= ra.asyncSize
        }

        try runtime.tracepoint(
            "ondemand_readahead", .note, "page[\(index)]: \(reason) (max \(max))",
            diff: runtime.isTracing ? windowDiff(before, ra) : [])
        // ra_submit
        return try doPageCacheReadahead(
            operations: operations, index: ra.start, pagesToRead: ra.size, lookaheadPages: ra.asyncSize)
    }

    private func setInitialWindow(_ ra: FileReadaheadState, index: Int, requestPages: Int, max: Int) {
        ra.start = index
        ra.size = FileReadaheadState.initialWindowSize(requestPages: requestPages, max: max)
        ra.asyncSize = ra.size > requestPages ? ra.size - requestPages : ra.size
    }

    private func windowDiff(_ before: (Int, Int, Int), _ ra: FileReadaheadState) -> [StateDiff] {
        var diff: [StateDiff] = []
        if before.0 != ra.start { diff.append(StateDiff("ra.start", before.0, ra.start)) }
        if before.1 != ra.size { diff.append(StateDiff("ra.size", before.1, ra.size)) }
        if before.2 != ra.asyncSize { diff.append(StateDiff("ra.async_size", before.2, ra.asyncSize)) }
        return diff
    }

    /// The first index after `index` that is not cached, scanning at most `maxScan` pages
    /// (`index + 1 + maxScan` if all are). Mirrors `radix_tree_next_hole(offset + 1, max)`.
    func nextHole(after index: Int, maxScan: Int) -> Int {
        runtime.withLock {
            var cursor = index + 1
            for _ in 0..<Swift.max(maxScan, 0) {
                if tree[cursor] == nil { break }
                cursor += 1
            }
            return cursor
        }
    }

    /// How many pages right before `index` are cached (at most `max`): the trace a sequential
    /// reader leaves behind. Mirrors `count_history_pages`.
    func countHistoryPages(before index: Int, max: Int) -> Int {
        runtime.withLock {
            var cursor = index - 1
            var count = 0
            while count < max, cursor >= 0, tree[cursor] != nil {
                cursor -= 1
                count += 1
            }
            return count
        }
    }

    /// Starts a window from cached history when the readahead state says nothing (e.g. several
    /// readers of one file). Mirrors `try_context_readahead`.
    private func tryContextReadahead(_ ra: FileReadaheadState, index: Int, requestPages: Int, max: Int) -> Bool {
        var history = countHistoryPages(before: index, max: max)
        // No history: probably a random read.
        guard history > 0 else { return false }
        // History reaching the start of the file: a long sequential stream, read ahead harder.
        if history >= index { history *= 2 }
        ra.start = index
        ra.size = FileReadaheadState.initialWindowSize(requestPages: history + requestPages, max: max)
        ra.asyncSize = ra.size
        return true
    }

    /// Allocates pages for the missing indices of `index ..< index + pagesToRead` (stopping at end
    /// of file, or when the cache has no frame left), sets `PG_readahead` on the page at
    /// `pagesToRead - lookaheadPages`, and hands the new pages to `readpages`.
    /// Mirrors `__do_page_cache_readahead`.
    /// - Returns: how many pages were handed to `readpages`.
    @discardableResult
    public func doPageCacheReadahead(
        operations: any AddressSpaceOperations, index: Int, pagesToRead: Int, lookaheadPages: Int
    ) throws -> Int {
        var reclaimed: [Reclaim] = []
        let pagesToRead = min(max(pagesToRead, 0), Int.max - max(index, 0))
        let markIndex = index &+ pagesToRead &- lookaheadPages
        let (pool, endIndex, cacheFull, skipped) = runtime.withLock {
            () -> ([Page], Int, Bool, Int) in
            var pool: [Page] = []
            guard inodeSize > 0, index >= 0 else { return (pool, -1, false, 0) }
            let endIndex = Int((inodeSize - 1) >> Int64(Page.shift))
            var cacheFull = false
            var skipped = 0
            for pageIndex in index..<(index + pagesToRead) {
                if pageIndex > endIndex { break }
                if tree[pageIndex] != nil {
                    skipped += 1
                    continue
                }
                guard let page = allocateForReadaheadLocked(reclaimed: &reclaimed) else {
                    cacheFull = true
                    break
                }
                page.index = pageIndex
                if pageIndex == markIndex { page.flags.insert(.readahead) }
                pool.append(page)
            }
            stats.readaheadPages += pool.count
            return (pool, endIndex, cacheFull, skipped)
        }
        try traceReclaims(reclaimed)
        if runtime.isTracing {
            var notes: [String] = []
            if skipped > 0 { notes.append("\(skipped) already cached") }
            if index &+ pagesToRead &- 1 > endIndex { notes.append("clamped at end of file (page \(endIndex))") }
            if cacheFull { notes.append("cache full: window cut short") }
            let marked = pool.first { $0.index == markIndex }
            try runtime.tracepoint(
                "__do_page_cache_readahead", .note,
                "window pages \(index)..<\(index + pagesToRead), lookahead \(lookaheadPages): \(pool.count) new pages"
                    + (notes.isEmpty ? "" : " (" + notes.joined(separator: ", ") + ")"),
                diff: marked.map { [StateDiff("page[\($0.index)].readahead", false, true)] } ?? [])
        }
        guard !pool.isEmpty else { return 0 }
        try readPages(operations: operations, pool)
        return pool.count
    }

    /// Hands readahead's pages to the file system and frees the ones it did not insert.
    /// Mirrors `read_pages` (`a_ops->readpages`, then `put_pages_list`).
    func readPages(operations: any AddressSpaceOperations, _ pool: [Page]) throws {
        try runtime.tracepoint(
            "read_pages", .enter, "a_ops->readpages: \(pool.count) pages from page[\(pool.first?.index ?? -1)]")
        defer {
            runtime.withLock {
                for page in pool { freeUnusedLocked(page) }
            }
        }
        do {
            try operations.readpages(self, pool)
        } catch let error where !(error is RuntimeAbort) {
            // The kernel ignores readpages' result: pages left not uptodate get a readpage later.
            try runtime.tracepoint("read_pages", .note, "readpages failed (ignored, the reader falls back): \(error)")
        }
    }
}
