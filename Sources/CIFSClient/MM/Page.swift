import KernelRuntime

/// The page flags this model keeps, named after the kernel's `PG_*` bits.
public struct PageFlags: OptionSet, Equatable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// `PG_locked`: someone owns the page for I/O; readers sleep in `lock_page_killable`.
    public static let locked = PageFlags(rawValue: 1 << 0)
    /// `PG_error`: the last I/O on the page failed.
    public static let error = PageFlags(rawValue: 1 << 1)
    /// `PG_uptodate`: the page holds the file's bytes.
    public static let uptodate = PageFlags(rawValue: 1 << 2)
    /// `PG_readahead`: reaching this page starts the next asynchronous readahead batch.
    public static let readahead = PageFlags(rawValue: 1 << 3)
    /// Not a kernel bit: the page holds data — bytes arrived in it from the I/O path (possibly
    /// before `PG_uptodate` is set), or it is uptodate. Only ``PageCache/pageFlags(at:)``
    /// reports it, so an inspector can tell a page whose data came in but whose read has not
    /// completed yet; ``PageCache/flags(of:)`` and the page's own flags never carry it.
    public static let hasData = PageFlags(rawValue: 1 << 4)

    /// e.g. `locked|readahead`, or `-` when no flag is set.
    public var description: String {
        var names: [String] = []
        if contains(.locked) { names.append("locked") }
        if contains(.error) { names.append("error") }
        if contains(.uptodate) { names.append("uptodate") }
        if contains(.readahead) { names.append("readahead") }
        if contains(.hasData) { names.append("data") }
        return names.isEmpty ? "-" : names.joined(separator: "|")
    }
}

/// One 4 KiB page of a file's page cache: the model of the kernel's `struct page`.
///
/// A `Page` is a **page frame**: the ``PageCache`` creates at most its capacity of them and
/// reuses each one for many file offsets (a 256 MiB read cycles 65,536 indices through a few
/// hundred frames), so neither the object nor its 4096-byte buffer is allocated per read page.
/// ``index`` therefore changes when a frame is reused; never keep a `Page` past the moment the
/// cache may reuse it (see ``PageCache`` for the rules).
///
/// Every property except ``frame``, ``queue`` and the data buffer is guarded by the runtime lock:
/// read it inside `runtime.withLock`, change it only through ``PageCache``'s functions. The data
/// buffer belongs to whoever holds ``PageFlags/locked`` while the page is not uptodate (the I/O
/// path writes into it with ``withUnsafeMutableBytes(_:)``); once uptodate it is read-only.
public final class Page: @unchecked Sendable, CustomStringConvertible {
    /// Bytes per page (`PAGE_CACHE_SIZE`).
    public static let size = 4096
    /// log2 of ``size`` (`PAGE_CACHE_SHIFT`).
    public static let shift = 12
    /// ``size`` - 1: the offset-within-page mask.
    public static let offsetMask = 4095

    /// The frame number within its cache, from 0 in creation order (the model's `page_to_pfn`).
    public let frame: Int
    /// Readers blocked in `lock_page_killable` on this frame sleep here (one queue per frame, so
    /// `unlock_page` wakes only this page's waiters).
    public let queue: WaitQueue

    // `@exclusivity(unchecked)`: these are guarded by the runtime lock, and Swift's dynamic
    // exclusivity checks on them cost a quarter of the page-cache hot path.

    /// The page's offset in the file, in pages (`page->index`); -1 while free. Stable while you
    /// own the page: one handed to `readpages`, one you hold locked, or one you pinned with
    /// ``PageCache/findGetPage(_:)``.
    @exclusivity(unchecked) public internal(set) var index: Int = -1
    /// The page's `PG_*` flags.
    @exclusivity(unchecked) public internal(set) var flags: PageFlags = []

    /// Where the frame stands.
    @exclusivity(unchecked) var residency: Residency = .free
    /// References held by readers (`find_get_page` takes one, `page_cache_release` drops it).
    /// A pinned page is never evicted.
    @exclusivity(unchecked) var pins = 0
    /// Which LRU list the page is on, and its neighbours there. The links do not hold their
    /// pages (no reference counting as pages move between lists, which was a tenth of `get`'s
    /// CPU): a page on a list is in the cache's index, which holds it, and leaves the list before
    /// it leaves the index.
    @exclusivity(unchecked) var list: PageListID = .none
    @exclusivity(unchecked) var previousLink: Unmanaged<Page>?
    @exclusivity(unchecked) var nextLink: Unmanaged<Page>?

    /// The next page on the same list, as a strong reference (for walks that keep a page).
    var next: Page? { nextLink?.takeUnretainedValue() }

    private let storage: UnsafeMutableRawPointer

    init(frame: Int) {
        self.frame = frame
        self.queue = WaitQueue("page frame \(frame)")
        self.storage = UnsafeMutableRawPointer.allocate(byteCount: Page.size, alignment: 64)
        self.storage.initializeMemory(as: UInt8.self, repeating: 0, count: Page.size)
    }

    deinit {
        storage.deallocate()
    }

    /// Bytes arrived in the page since its frame was allocated (see ``PageFlags/hasData``).
    @exclusivity(unchecked) var hasData = false

    /// `PG_locked`. Read under the runtime lock; set through ``PageCache``.
    public internal(set) var isLocked: Bool {
        get { flags.contains(.locked) }
        set { if newValue { flags.insert(.locked) } else { flags.remove(.locked) } }
    }
    /// `PG_uptodate`. Read under the runtime lock; set through ``PageCache``.
    public internal(set) var isUptodate: Bool {
        get { flags.contains(.uptodate) }
        set { if newValue { flags.insert(.uptodate) } else { flags.remove(.uptodate) } }
    }
    /// `PG_readahead`. Read under the runtime lock; set through ``PageCache``.
    public internal(set) var isReadahead: Bool {
        get { flags.contains(.readahead) }
        set { if newValue { flags.insert(.readahead) } else { flags.remove(.readahead) } }
    }
    /// `PG_error`. Read under the runtime lock; set through ``PageCache``.
    public internal(set) var hasError: Bool {
        get { flags.contains(.error) }
        set { if newValue { flags.insert(.error) } else { flags.remove(.error) } }
    }

    /// The page's 4096 bytes, for writing. Only the holder of the page lock may write, and only
    /// while the page is not uptodate: this is where `cifs_readv_receive` puts READ_ANDX data,
    /// straight from the socket (one copy per byte).
    public func withUnsafeMutableBytes<Result>(
        _ body: (UnsafeMutableRawBufferPointer) throws -> Result
    ) rethrows -> Result {
        try body(UnsafeMutableRawBufferPointer(start: storage, count: Page.size))
    }

    /// The page's 4096 bytes, for writing, without a closure: valid while the page is alive (a
    /// frame's storage never moves). Same rules as ``withUnsafeMutableBytes(_:)``; for the scatter
    /// receive, which lends every page of a read to one `readv` (nesting one closure per page
    /// costs more than the copy on that path).
    var unsafeMutableBytes: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: storage, count: Page.size)
    }

    /// The page's 4096 bytes, for reading (safe without the lock once the page is uptodate).
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(start: storage, count: Page.size))
    }

    /// Zeroes bytes `from..<Page.size` (the kernel's `zero_user` for the part past end of file).
    public func zero(from offset: Int) {
        let start = min(max(offset, 0), Page.size)
        (storage + start).initializeMemory(as: UInt8.self, repeating: 0, count: Page.size - start)
    }

    /// `page[3] (frame 7)`.
    public var description: String { "page[\(index)] (frame \(frame))" }
}

/// Where a frame stands in its cache.
enum Residency: Equatable {
    /// On the free list, index -1.
    case free
    /// Handed out by an allocation, not yet in the cache (readahead's page pool, a reader's
    /// `page_cache_alloc_cold`).
    case allocated
    /// In the cache's index (the kernel's radix tree) under ``Page/index``.
    case cached
}

/// The two LRU lists of cached pages.
enum PageListID: Equatable {
    case none
    /// Cached pages not yet copied out to a reader, oldest first: readahead's work in progress.
    case unread
    /// Pages a reader has copied out, least recently consumed first: what eviction takes.
    case consumed
}

/// An intrusive doubly linked list of pages (the kernel's `lru` list_head), O(1) to append and
/// to unlink. Guarded by the runtime lock.
struct PageList {
    let id: PageListID
    // Not holding the pages either (see ``Page/list``); changed without reference counting.
    private var headLink: Unmanaged<Page>?
    private var tailLink: Unmanaged<Page>?
    private(set) var count = 0

    init(_ id: PageListID) {
        self.id = id
    }

    /// The oldest page on the list.
    var head: Page? { headLink?.takeUnretainedValue() }

    mutating func append(_ page: Page) {
        assert(page.residency == .cached, "only a page in the cache's index may be on an LRU list")
        let link = Unmanaged.passUnretained(page)
        page.list = id
        page.previousLink = tailLink
        page.nextLink = nil
        if let tailLink { tailLink._withUnsafeGuaranteedRef { $0.nextLink = link } } else { headLink = link }
        tailLink = link
        count += 1
    }

    mutating func remove(_ page: Page) {
        guard page.list == id else { return }
        let previous = page.previousLink
        let next = page.nextLink
        if let previous { previous._withUnsafeGuaranteedRef { $0.nextLink = next } } else { headLink = next }
        if let next { next._withUnsafeGuaranteedRef { $0.previousLink = previous } } else { tailLink = previous }
        page.previousLink = nil
        page.nextLink = nil
        page.list = .none
        count -= 1
    }

    /// The first page from the head that satisfies `isMatch`.
    func first(where isMatch: (Page) -> Bool) -> Page? {
        var cursor = head
        while let page = cursor {
            if isMatch(page) { return page }
            cursor = page.next
        }
        return nil
    }

    /// Unlinks every page.
    mutating func removeAll() {
        while let page = head { remove(page) }
    }
}
