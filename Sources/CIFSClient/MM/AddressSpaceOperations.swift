import KernelRuntime

/// How a file system fills page-cache pages: the model of the kernel's
/// `struct address_space_operations` (`mapping->a_ops`). The cifs client implements it with
/// `cifs_readpages` and `cifs_readpage`; one instance per open file (it knows the handle).
public protocol AddressSpaceOperations: AnyObject {
    /// Starts reading `pages`, which readahead just allocated: each has its ``Page/index`` set,
    /// is unlocked and **not** in the cache, and may carry `PG_readahead`; they come in ascending
    /// index order (not always contiguous: pages already cached are skipped).
    ///
    /// Mirrors `a_ops->readpages` (`cifs_readpages`). For each page it will read, the
    /// implementation calls ``PageCache/addToPageCacheLRU(_:index:)`` (lock + insert + LRU; on
    /// ``PageCacheError/exists(index:)`` it skips or stops) — or, as `cifs_readpages` does,
    /// ``PageCache/setPageLockedAndAddToPageCache(_:index:)``, which leaves the page off the LRU
    /// until its completion calls ``PageCache/lruCacheAddFile(_:)`` — then issues the I/O —
    /// usually asynchronously — and when the data is in (written through
    /// ``Page/withUnsafeMutableBytes(_:)``) calls ``PageCache/completeRead(_:uptodate:addingToLRU:)``
    /// (or ``PageCache/markUptodate(_:)`` and ``PageCache/unlockPage(_:)``). On failure it still unlocks every page it inserted, without
    /// marking it uptodate: the reader then falls back to ``readpage(_:_:)``. Pages it does not
    /// insert are returned to the free list when it returns; it must not keep them. There is no
    /// counterpart to the kernel's `page_cache_release` after the unlock: the cache owns the
    /// pages, so do not call ``PageCache/pageCacheRelease(_:)`` on them (that drops a reader's pin).
    ///
    /// Errors are logged and otherwise ignored, as the kernel's `read_pages` does (the reader's
    /// fallback handles the pages); ``KernelRuntime/RuntimeAbort`` propagates.
    func readpages(_ mapping: PageCache, _ pages: [Page]) throws

    /// Reads one page synchronously. `page` is in the cache, locked by the caller and not
    /// uptodate. The implementation fills it, calls ``PageCache/markUptodate(_:)`` on success,
    /// and **always** unlocks it (``PageCache/unlockPage(_:)``) — before returning, or later
    /// from an I/O completion. Throw to report the error to the reader (after unlocking).
    ///
    /// Mirrors `a_ops->readpage` (`cifs_readpage`, a synchronous READ_ANDX).
    func readpage(_ mapping: PageCache, _ page: Page) throws
}

extension AddressSpaceOperations {
    /// The default for a file system without `readpages`: insert and read each page on its own
    /// with ``readpage(_:_:)``, as the kernel's `read_pages` does when `a_ops->readpages` is NULL.
    public func readpages(_ mapping: PageCache, _ pages: [Page]) throws {
        for page in pages {
            do {
                try mapping.addToPageCacheLRU(page, index: page.index)
            } catch is PageCacheError {
                continue
            }
            do {
                try readpage(mapping, page)
            } catch let error where !(error is RuntimeAbort) {
                // Ignored, as read_pages ignores ->readpage's result; the reader retries.
                continue
            }
        }
    }
}
