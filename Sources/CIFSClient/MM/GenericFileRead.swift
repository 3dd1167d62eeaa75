import KernelRuntime

extension PageCache {
    /// Reads up to `count` bytes at `position` through the page cache, handing the bytes to
    /// `sink` page by page, in file order. Mirrors the kernel's `do_generic_file_read` with
    /// `file_read_actor` as the actor.
    ///
    /// For each page: `find_get_page`; on a miss, `page_cache_sync_readahead` and look again; a
    /// page with `PG_readahead` starts `page_cache_async_readahead`; a page that is not uptodate is
    /// locked with `lock_page_killable` — which sleeps until the I/O completion unlocks it — and,
    /// if still not uptodate, read with the synchronous `readpage` fallback; then the bytes up to
    /// end of file are copied out and the page is marked consumed (so it can be evicted).
    ///
    /// As in 3.8, `i_size` is checked only once a page is uptodate: a read that starts at (or
    /// runs on to) a page wholly past end of file still allocates that page and reads it with
    /// `readpage` before returning 0 for it. Callers that know the size (`cifstep get`) can
    /// simply stop there.
    ///
    /// - Parameters:
    ///   - ra: the open file's readahead state (`file->f_ra`); `prevPos` is updated.
    ///   - operations: the file system's `readpages`/`readpage`.
    ///   - position: the file position (`*ppos`); advanced past the bytes read.
    ///   - count: bytes wanted.
    ///   - sink: receives each run of bytes (at most one page); valid only during the call.
    /// - Returns: bytes read: fewer than `count` at end of file, or when an error stopped the
    ///   read after some bytes were already copied (the kernel's short read).
    /// - Throws: the error of `readpage` or ``PageCacheError/io(index:)`` when nothing could be
    ///   read; ``KernelRuntime/RuntimeAbort`` when the run is aborted; whatever `sink` throws.
    public func doGenericFileRead(
        _ ra: FileReadaheadState, operations: any AddressSpaceOperations, position: inout Int64, count: Int,
        sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Int {
        try doGenericFileRead(ra, operations: operations, position: &position, count: count, lending: false,
                              batching: false) {
            page, index, offset, count in
            try fileReadActor(page, index: index, offset: offset, count: count, sink: sink)
        }
    }

    /// ``doGenericFileRead(_:operations:position:count:sink:)`` that lends the pages instead of
    /// copying them: `lend` gets each page with the range of its bytes the reader wants, still
    /// pinned, so the bytes can be written out from the cache with no copy in between (what
    /// `cifstep get` does: one `writev` for a batch of pages). The page is already marked
    /// consumed, as after a copy; the caller must give every lent page back with
    /// ``releaseLentPages(_:)`` (until then it cannot be evicted). Not traced per page: only for
    /// runs that do not trace (a stepper shows `file_read_actor`'s copy).
    public func doGenericFileRead(
        _ ra: FileReadaheadState, operations: any AddressSpaceOperations, position: inout Int64, count: Int,
        lend: (_ page: Page, _ bytes: Range<Int>) throws -> Void
    ) throws -> Int {
        try doGenericFileRead(ra, operations: operations, position: &position, count: count, batching: true, lend: lend)
    }

    /// The lending read; `batching: false` takes every page the long way (for tests comparing
    /// the two).
    func doGenericFileRead(
        _ ra: FileReadaheadState, operations: any AddressSpaceOperations, position: inout Int64, count: Int,
        batching: Bool, lend: (_ page: Page, _ bytes: Range<Int>) throws -> Void
    ) throws -> Int {
        try doGenericFileRead(ra, operations: operations, position: &position, count: count, lending: true,
                              batching: batching) {
            page, _, offset, count in
            try lend(page, offset..<(offset + count))
        }
    }

    /// Gives back pages lent by ``doGenericFileRead(_:operations:position:count:lend:)``: drops
    /// the reader's reference on each (`page_cache_release`), under one lock.
    public func releaseLentPages(_ pages: [Page]) {
        runtime.withLock {
            for page in pages where page.pins > 0 { page.pins -= 1 }
        }
    }

    /// The loop of `do_generic_file_read`; `actor` gets each uptodate page (pinned) with its
    /// index and the bytes to hand on. With `lending`, the pin stays for the caller to drop.
    private func doGenericFileRead(
        _ ra: FileReadaheadState, operations: any AddressSpaceOperations, position: inout Int64, count: Int,
        lending: Bool, batching allowsBatching: Bool, actor: (_ page: Page, _ index: Int, _ offset: Int, _ count: Int) throws -> Void
    ) throws -> Int {
        // generic_file_aio_read skips empty requests before calling do_generic_file_read.
        guard count > 0, position >= 0 else { return 0 }
        let start = position
        return try runtime.traced("do_generic_file_read", "pos \(start) count \(count)") { call in
            var index = Int(start >> Int64(Page.shift))
            var offset = Int(start & Int64(Page.offsetMask))
            var previousIndex = Int(ra.prevPos >> Int64(Page.shift))
            var previousOffset = Int(ra.prevPos & Int64(Page.offsetMask))
            // Clamped so that no request, however large, overflows the end position.
            let end = start + min(Int64(count), Int64.max - start - Int64(Page.size))
            let lastIndex = Int((end + Int64(Page.offsetMask)) >> Int64(Page.shift))
            var remaining = count
            var copied = 0
            var failure: (any Error)?
            // Untraced lending (cifstep get): runs of plain cached pages in one locked section.
            let batching = lending && allowsBatching && !call.isTracing
            var run: [LentPage] = []

            pages: while true {
                if batching {
                    var position = ReadPosition(
                        index: index, offset: offset, remaining: remaining, previousIndex: previousIndex,
                        previousOffset: previousOffset)
                    let finished = runtime.withLock { takeUptodateRunUnderRuntimeLock(&position, into: &run) }
                    for (taken, lent) in run.enumerated() {
                        do {
                            try actor(lent.page, lent.index, lent.offset, lent.count)
                        } catch {
                            // This page and the rest of the run were not lent: drop their references.
                            releaseLentPages(run[taken...].map(\.page))
                            throw error
                        }
                    }
                    copied += remaining - position.remaining
                    (index, offset, remaining) = (position.index, position.offset, position.remaining)
                    (previousIndex, previousOffset) = (position.previousIndex, position.previousOffset)
                    run.removeAll(keepingCapacity: true)
                    if finished { break pages }
                }
                // find_page: cached, or after a synchronous readahead.
                var found = try findGetPageAndFlags(index)
                if found == nil {
                    try pageCacheSyncReadahead(
                        ra, operations: operations, index: index, requestPages: lastIndex - index)
                    found = try findGetPageAndFlags(index)
                }
                let page: Page
                let outcome: PageOutcome
                if let (cached, flags) = found {
                    page = cached
                    do {
                        if flags.contains(.readahead) {
                            try pageCacheAsyncReadahead(
                                ra, operations: operations, page: page, index: index, requestPages: lastIndex - index)
                        }
                        outcome = flags.contains(.uptodate) ? .uptodate : try waitForPage(page, ra: ra, operations: operations)
                    } catch {
                        pageCacheRelease(page)
                        throw error
                    }
                } else {
                    // no_cached_page: allocate the page ourselves and read it synchronously.
                    guard let fresh = try addReaderPage(at: index, call: call) else { continue pages }
                    page = fresh
                    do {
                        outcome = try readpageAndWait(page, ra: ra, operations: operations)
                    } catch {
                        pageCacheRelease(page)
                        throw error
                    }
                }
                switch outcome {
                case .uptodate: break
                case .retry:
                    pageCacheRelease(page)
                    continue pages
                case let .failed(error):
                    pageCacheRelease(page)
                    failure = error
                    break pages
                }

                // page_ok: the page is uptodate; check i_size only now.
                let fileSize = self.fileSize
                let endIndex = Int((fileSize - 1) >> Int64(Page.shift))
                if fileSize == 0 || index > endIndex {
                    pageCacheRelease(page)
                    break pages
                }
                var available = Page.size
                if index == endIndex {
                    available = Int((fileSize - 1) & Int64(Page.offsetMask)) + 1
                    if available <= offset {
                        pageCacheRelease(page)
                        break pages
                    }
                }
                available -= offset
                previousIndex = index

                // actor = file_read_actor: copy out as much of the page as the reader still wants.
                let taken = min(available, remaining)
                do {
                    try actor(page, index, offset, taken)
                } catch {
                    pageCacheRelease(page)
                    throw error
                }
                releaseAfterCopy(page, consumedToEnd: taken == available, keepingPin: lending)
                copied += taken
                remaining -= taken
                offset += taken
                index += offset >> Page.shift
                offset &= Page.offsetMask
                previousOffset = offset

                if taken == available && remaining > 0 { continue pages }
                break pages
            }

            // out:
            var changes = StateChanges(tracing: call.isTracing)
            changes.set(ra, \.prevPos, (Int64(previousIndex) << Int64(Page.shift)) | Int64(previousOffset), path: "ra.prev_pos")
            position = (Int64(index) << Int64(Page.shift)) + Int64(offset)
            let newPosition = position
            call.returning(
                "\(copied) bytes, pos \(start) → \(newPosition)" + (failure.map { ", stopped by \($0)" } ?? ""),
                diff: changes.diffs)
            if let failure, copied == 0 { throw failure }
            return copied
        }
    }

    /// Copies `count` bytes of `page` from `offset` to the reader (`sink`). Mirrors
    /// `file_read_actor` (its `__copy_to_user`).
    private func fileReadActor(
        _ page: Page, index: Int, offset: Int, count: Int, sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        try runtime.traced("file_read_actor", "copy \(count) bytes from page[\(index)] + \(offset)") { _ in
            try page.withUnsafeBytes { bytes in
                try sink(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]))
            }
        }
    }

    /// How a wait for a page's I/O ended.
    private enum PageOutcome {
        case uptodate
        /// The page left the cache while we waited: look it up again.
        case retry
        case failed(any Error)
    }

    /// `page_not_up_to_date`: lock the page (sleeping until the I/O in flight unlocks it); if
    /// someone filled it meanwhile, unlock and use it; otherwise read it synchronously.
    private func waitForPage(
        _ page: Page, ra: FileReadaheadState, operations: any AddressSpaceOperations
    ) throws -> PageOutcome {
        try lockPageKillable(page)
        // page_not_up_to_date_locked:
        let (inCache, uptodate) = runtime.withLock { (page.residency == .cached, page.isUptodate) }
        if !inCache {
            try unlockPage(page)
            return .retry
        }
        if uptodate {
            try unlockPage(page)
            return .uptodate
        }
        return try readpageAndWait(page, ra: ra, operations: operations)
    }

    /// `readpage:` the page is locked and not uptodate: ask the file system to read it (it
    /// unlocks the page), then wait for it to be unlocked and check the result. The step of
    /// `do_generic_file_read` at its `readpage:` label.
    private func readpageAndWait(
        _ page: Page, ra: FileReadaheadState, operations: any AddressSpaceOperations
    ) throws -> PageOutcome {
        let index = page.index
        clearPageError(page)
        runtime.withLock { stats.readpageCalls += 1 }
        return try runtime.traced("readpage",
            "page[\(index)] not uptodate: synchronous a_ops->readpage (cifs_readpage)"
        ) { call in
            do {
                try operations.readpage(self, page)
            } catch let error where !(error is RuntimeAbort) {
                call.returning("page[\(index)] failed: \(error)")
                return .failed(error)
            }
            if !flags(of: page).contains(.uptodate) {
                // The read may still be in flight: wait for its unlock, then look again.
                try lockPageKillable(page)
                let (inCache, uptodate) = runtime.withLock { (page.residency == .cached, page.isUptodate) }
                try unlockPage(page)
                if !uptodate {
                    if !inCache {
                        call.returning("page[\(index)] left the cache meanwhile: look it up again")
                        return .retry
                    }
                    var changes = StateChanges(tracing: call.isTracing)
                    shrinkReadaheadSizeEIO(ra, &changes)
                    call.returning("page[\(index)] still not uptodate: -EIO", diff: changes.diffs)
                    return .failed(PageCacheError.io(index: index))
                }
            }
            call.returning("page[\(index)] uptodate")
            return .uptodate
        }
    }

    /// After an I/O error, read ahead less. Mirrors `shrink_readahead_size_eio`.
    func shrinkReadaheadSizeEIO(_ ra: FileReadaheadState, _ changes: inout StateChanges) {
        changes.set(ra, \.raPages, ra.raPages / 4, path: "ra.ra_pages")
    }

    /// `no_cached_page`: a frame for `index` (the reader's own allocation, `page_cache_alloc_cold`,
    /// which may evict — noted on `call`, `do_generic_file_read`'s frame), then
    /// `add_to_page_cache_lru`: locked, inserted and pinned by the reader. `nil` when someone
    /// inserted the index first (look it up again).
    private func addReaderPage(at index: Int, call: TracedCall) throws -> Page? {
        var reclaimed: [Reclaim] = []
        var changes = StateChanges(tracing: call.isTracing)
        let page: Page = runtime.withLock {
            let page = allocateForReaderUnderRuntimeLock(reclaimed: &reclaimed)
            recordReclaimsUnderRuntimeLock(reclaimed, &changes)
            // page_cache_alloc_cold hands the page out with the reader's reference.
            page.pins = 1
            return page
        }
        if !reclaimed.isEmpty {
            try call.note("page_cache_alloc_cold for page[\(index)]: \(Self.describe(reclaimed))", diff: changes.diffs)
        }
        do {
            try addToPageCacheLRU(page, index: index)
        } catch PageCacheError.exists {
            pageCacheRelease(page)
            return nil
        } catch {
            pageCacheRelease(page)
            throw error
        }
        return page
    }

    /// Where `do_generic_file_read` stands: the page and offset it reads next, the bytes still
    /// wanted, and the last page it copied from (for `ra->prev_pos`).
    struct ReadPosition {
        var index: Int
        var offset: Int
        var remaining: Int
        var previousIndex: Int
        var previousOffset: Int
    }

    /// A page lent to the reader by a batch: its index and the bytes wanted from it.
    struct LentPage {
        let page: Page
        let index: Int
        let offset: Int
        let count: Int
    }

    /// The fast path of `do_generic_file_read` for a run that does not trace: from `position` on,
    /// every page that is cached and uptodate, not a `PG_readahead` marker and not past end of
    /// file is pinned, marked consumed when taken to its end, and appended to `run` — what
    /// `find_get_page`, the `page_ok` checks and the copy's release do page by page, in one
    /// locked section. Stops at the first page that needs the full path (missing, not uptodate,
    /// a readahead marker, at or past end of file), or when the reader has all it asked for or
    /// took part of a page. Returns whether the read is complete. Runtime lock held.
    private func takeUptodateRunUnderRuntimeLock(_ position: inout ReadPosition, into run: inout [LentPage]) -> Bool {
        assert(runtime.holdsLock, "takeUptodateRunUnderRuntimeLock without the runtime lock")
        let fileSize = inodeSize
        guard fileSize > 0 else { return false }
        let endIndex = Int((fileSize - 1) >> Int64(Page.shift))
        while position.remaining > 0, position.index < endIndex, let page = tree[position.index] {
            let flags = page.flags
            guard flags.contains(.uptodate), !flags.contains(.readahead) else { break }
            // Below endIndex every page is whole.
            let available = Page.size - position.offset
            let taken = min(available, position.remaining)
            page.pins += 1
            if taken == available { markConsumedUnderRuntimeLock(page) }
            run.append(LentPage(page: page, index: position.index, offset: position.offset, count: taken))
            position.previousIndex = position.index
            position.remaining -= taken
            position.offset += taken
            position.index += position.offset >> Page.shift
            position.offset &= Page.offsetMask
            position.previousOffset = position.offset
            if taken < available { return true }
        }
        return position.remaining == 0
    }

    /// Drops the reader's reference after copying (unless the page was lent: then the borrower
    /// drops it); a page copied out to its end is consumed.
    private func releaseAfterCopy(_ page: Page, consumedToEnd: Bool, keepingPin: Bool) {
        runtime.withLock {
            if consumedToEnd { markConsumedUnderRuntimeLock(page) }
            if !keepingPin, page.pins > 0 { page.pins -= 1 }
        }
    }
}
