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
        try runtime.traced("page_cache_sync_readahead",
            "miss at page[\(index)], the read wants \(requestPages) pages"
        ) { call in
            guard ra.raPages > 0 else {
                call.returning("readahead is off (ra_pages 0)")
                return
            }
            runtime.withLock { stats.syncReadaheads += 1 }
            let submitted = try ondemandReadahead(
                ra, operations: operations, hitReadaheadMarker: false, index: index, requestPages: requestPages)
            call.returning("\(submitted) pages submitted")
        }
    }

    /// Readahead because the reader reached `page`, which carries `PG_readahead`: clears the mark
    /// and starts the next window. With readahead off (`ra_pages` 0) it returns at once, before
    /// its frame. Mirrors `page_cache_async_readahead`.
    public func pageCacheAsyncReadahead(
        _ ra: FileReadaheadState, operations: any AddressSpaceOperations, page: Page, index: Int,
        requestPages: Int
    ) throws {
        guard ra.raPages > 0 else { return }
        try runtime.traced("page_cache_async_readahead",
            "page[\(index)] has PG_readahead: start the next window"
        ) { call in
            var cleared = StateChanges(tracing: call.isTracing)
            _ = testClearPageReadahead(page, &cleared)
            runtime.withLock { stats.asyncReadaheads += 1 }
            try call.note("PG_readahead cleared", diff: cleared.diffs)
            let submitted = try ondemandReadahead(
                ra, operations: operations, hitReadaheadMarker: true, index: index, requestPages: requestPages)
            call.returning("\(submitted) pages submitted")
        }
    }

    /// Decides the readahead window for an access at `index` and submits it.
    /// Mirrors `ondemand_readahead`.
    /// - Returns: how many pages were handed to `readpages`.
    @discardableResult
    public func ondemandReadahead(
        _ ra: FileReadaheadState, operations: any AddressSpaceOperations, hitReadaheadMarker: Bool, index: Int,
        requestPages: Int
    ) throws -> Int {
        try runtime.traced("ondemand_readahead",
            "page[\(index)], \(requestPages) pages wanted\(hitReadaheadMarker ? ", PG_readahead hit" : "")"
        ) { call in
            let max = maxSaneReadahead(ra.raPages)
            var window = StateChanges(tracing: call.isTracing)
            let reason: String

            decide: do {
                if index == 0 {
                    reason = "start of file: initial window"
                    setInitialWindow(ra, index: index, requestPages: requestPages, max: max, &window)
                    break decide
                }
                // Wrapping arithmetic: the state is public, and nonsense in it must not trap.
                if index == ra.start &+ ra.size &- ra.asyncSize || index == ra.start &+ ra.size {
                    // The expected access: assume a sequential stream, push the window forward and grow it.
                    reason = "sequential: window moves forward and grows"
                    window.set(ra, \.start, ra.start &+ ra.size, path: "ra.start")
                    window.set(ra, \.size, FileReadaheadState.nextWindowSize(currentSize: ra.size, max: max), path: "ra.size")
                    window.set(ra, \.asyncSize, ra.size, path: "ra.async_size")
                    break decide
                }
                if hitReadaheadMarker {
                    // A marked page without matching state (e.g. interleaved readers): find where the
                    // cached run ahead of us ends, and grow from the old async size.
                    let start = nextHole(after: index, maxScan: max)
                    if start - index > max {
                        call.returning("next \(max) pages after page[\(index)] cached: nothing to do")
                        return 0
                    }
                    reason = "PG_readahead hit without matching state: resume after the cached run"
                    window.set(ra, \.start, start, path: "ra.start")
                    let size = FileReadaheadState.nextWindowSize(currentSize: start - index + requestPages, max: max)
                    window.set(ra, \.size, size, path: "ra.size")
                    window.set(ra, \.asyncSize, size, path: "ra.async_size")
                    break decide
                }
                if requestPages > max {
                    reason = "read larger than the maximum window: initial window"
                    setInitialWindow(ra, index: index, requestPages: requestPages, max: max, &window)
                    break decide
                }
                let previousIndex = Int(ra.prevPos >> Int64(Page.shift))
                let distance = index &- previousIndex
                if distance == 0 || distance == 1 {
                    reason = "sequential cache miss: initial window"
                    setInitialWindow(ra, index: index, requestPages: requestPages, max: max, &window)
                    break decide
                }
                if tryContextReadahead(ra, index: index, requestPages: requestPages, max: max, &window) {
                    reason = "cached history before page[\(index)]: context readahead"
                    break decide
                }
                // A small random read: read just what was asked, leave the state alone.
                try call.note("random read at page[\(index)]: read \(requestPages) pages, state unchanged")
                let submitted = try doPageCacheReadahead(
                    operations: operations, index: index, pagesToRead: requestPages, lookaheadPages: 0)
                call.returning("\(submitted) pages submitted")
                return submitted
            }

            // Would this read reach the PG_readahead mark of its own window at once? Then trigger that
            // hit now, merging the next window into this one.
            if index == ra.start && ra.size == ra.asyncSize {
                window.set(
                    ra, \.asyncSize, FileReadaheadState.nextWindowSize(currentSize: ra.size, max: max),
                    path: "ra.async_size")
                window.set(ra, \.size, ra.size &+ ra.asyncSize, path: "ra.size")
            }

            try call.note(
                "page[\(index)]: \(reason) (max \(max)): pages \(ra.start)..<\(ra.start &+ ra.size), "
                    + "async \(ra.asyncSize)",
                diff: window.diffs)
            // ra_submit
            let submitted = try doPageCacheReadahead(
                operations: operations, index: ra.start, pagesToRead: ra.size, lookaheadPages: ra.asyncSize)
            call.returning("\(submitted) pages submitted")
            return submitted
        }
    }

    private func setInitialWindow(
        _ ra: FileReadaheadState, index: Int, requestPages: Int, max: Int, _ window: inout StateChanges
    ) {
        let size = FileReadaheadState.initialWindowSize(requestPages: requestPages, max: max)
        window.set(ra, \.start, index, path: "ra.start")
        window.set(ra, \.size, size, path: "ra.size")
        window.set(ra, \.asyncSize, size > requestPages ? size - requestPages : size, path: "ra.async_size")
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
    private func tryContextReadahead(
        _ ra: FileReadaheadState, index: Int, requestPages: Int, max: Int, _ window: inout StateChanges
    ) -> Bool {
        var history = countHistoryPages(before: index, max: max)
        // No history: probably a random read.
        guard history > 0 else { return false }
        // History reaching the start of the file: a long sequential stream, read ahead harder.
        if history >= index { history *= 2 }
        let size = FileReadaheadState.initialWindowSize(requestPages: history + requestPages, max: max)
        window.set(ra, \.start, index, path: "ra.start")
        window.set(ra, \.size, size, path: "ra.size")
        window.set(ra, \.asyncSize, size, path: "ra.async_size")
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
        let pagesToRead = min(max(pagesToRead, 0), Int.max - max(index, 0))
        return try runtime.traced("__do_page_cache_readahead",
            "window pages \(index)..<\(index &+ pagesToRead), lookahead \(lookaheadPages)"
        ) { call in
            var reclaimed: [Reclaim] = []
            var changes = StateChanges(tracing: call.isTracing)
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
                    guard let page = allocateForReadaheadUnderRuntimeLock(reclaimed: &reclaimed) else {
                        cacheFull = true
                        break
                    }
                    page.index = pageIndex
                    if pageIndex == markIndex {
                        changes.set(page, \.isReadahead, true, path: "page[\(pageIndex)].readahead")
                    }
                    pool.append(page)
                }
                recordReclaimsUnderRuntimeLock(reclaimed, &changes)
                stats.readaheadPages += pool.count
                return (pool, endIndex, cacheFull, skipped)
            }
            if call.isTracing {
                var notes: [String] = []
                if skipped > 0 { notes.append("\(skipped) already cached") }
                if index &+ pagesToRead &- 1 > endIndex { notes.append("clamped at end of file (page \(endIndex))") }
                if cacheFull { notes.append("cache full: window cut short") }
                if !reclaimed.isEmpty { notes.append(Self.describe(reclaimed)) }
                try call.note(
                    "\(pool.count) new pages" + (notes.isEmpty ? "" : " (" + notes.joined(separator: ", ") + ")"),
                    diff: changes.diffs)
            }
            guard !pool.isEmpty else {
                call.returning("nothing to read")
                return 0
            }
            try readPages(operations: operations, pool)
            call.returning("\(pool.count) pages handed to readpages")
            return pool.count
        }
    }

    /// Hands readahead's pages to the file system and frees the ones it did not insert.
    /// Mirrors `read_pages` (`a_ops->readpages`, then `put_pages_list`).
    func readPages(operations: any AddressSpaceOperations, _ pool: [Page]) throws {
        try runtime.traced("read_pages",
            "a_ops->readpages: \(pool.count) pages from page[\(pool.first?.index ?? -1)]"
        ) { call in
            defer {
                runtime.withLock {
                    for page in pool { freeUnusedUnderRuntimeLock(page) }
                }
            }
            do {
                try operations.readpages(self, pool)
            } catch let error where !(error is RuntimeAbort) {
                // The kernel ignores readpages' result: pages left not uptodate get a readpage later.
                try call.note("readpages failed (ignored, the reader falls back): \(error)")
            }
        }
    }
}
