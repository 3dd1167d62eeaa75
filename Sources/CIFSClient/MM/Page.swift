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
/// A `Page` is a handle on a **page frame** of its cache's ``PageFrameTable``: a frame number,
/// the frame's state record and its 4096-byte buffer, all owned by the table. The handle is a
/// plain value (copying one counts no references), and the cache creates at most its capacity of
/// frames and reuses each for many file offsets (a 256 MiB read cycles 65,536 indices through a
/// few hundred frames), so nothing is allocated per read page. ``index`` therefore changes when a
/// frame is reused; never keep a `Page` past the moment the cache may reuse it (see
/// ``PageCache`` for the rules), nor past the life of its cache (the table frees its frames).
///
/// Every property except ``frame`` and the data buffer is guarded by the runtime lock: read it
/// inside `runtime.withLock`, change it only through ``PageCache``'s functions. The data buffer
/// belongs to whoever holds ``PageFlags/locked`` while the page is not uptodate (the I/O path
/// writes into it with ``withUnsafeMutableBytes(_:)``); once uptodate it is read-only.
public struct Page: @unchecked Sendable, Equatable, CustomStringConvertible {
    /// Bytes per page (`PAGE_CACHE_SIZE`).
    public static let size = 4096
    /// log2 of ``size`` (`PAGE_CACHE_SHIFT`).
    public static let shift = 12
    /// ``size`` - 1: the offset-within-page mask.
    public static let offsetMask = 4095

    /// The frame's state, in its table (a stable address: records never move).
    let record: UnsafeMutablePointer<PageFrameRecord>
    /// The frame's 4096 bytes (never move either).
    private let storage: UnsafeMutableRawPointer

    init(record: UnsafeMutablePointer<PageFrameRecord>, storage: UnsafeMutableRawPointer) {
        self.record = record
        self.storage = storage
    }

    /// The same frame.
    public static func == (lhs: Page, rhs: Page) -> Bool { lhs.record == rhs.record }

    /// The frame number within its cache, from 0 in creation order (the model's `page_to_pfn`).
    public var frame: Int { record.pointee.frame }

    /// Readers blocked in `lock_page_killable` on this frame sleep here (one queue per frame, so
    /// `unlock_page` wakes only this page's waiters).
    public var queue: WaitQueue { record.pointee.queue.takeUnretainedValue() }

    /// The page's offset in the file, in pages (`page->index`); -1 while free. Stable while you
    /// own the page: one handed to `readpages`, one you hold locked, or one you pinned with
    /// ``PageCache/findGetPage(_:)``.
    public internal(set) var index: Int {
        get { record.pointee.index }
        nonmutating set { record.pointee.index = newValue }
    }

    /// The page's `PG_*` flags.
    public internal(set) var flags: PageFlags {
        get { record.pointee.flags }
        nonmutating set { record.pointee.flags = newValue }
    }

    /// Where the frame stands.
    var residency: Residency {
        get { record.pointee.residency }
        nonmutating set { record.pointee.residency = newValue }
    }

    /// References held by readers (`find_get_page` takes one, `page_cache_release` drops it).
    /// A pinned page is never evicted.
    var pins: Int {
        get { record.pointee.pins }
        nonmutating set { record.pointee.pins = newValue }
    }

    /// Which LRU list the page is on.
    var list: PageListID {
        get { record.pointee.list }
        nonmutating set { record.pointee.list = newValue }
    }

    /// The previous page on the same list.
    var previous: Page? {
        get { record.pointee.previous }
        nonmutating set { record.pointee.previous = newValue }
    }

    /// The next page on the same list.
    var next: Page? {
        get { record.pointee.next }
        nonmutating set { record.pointee.next = newValue }
    }

    /// Bytes arrived in the page since its frame was allocated (see ``PageFlags/hasData``).
    var hasData: Bool {
        get { record.pointee.hasData }
        nonmutating set { record.pointee.hasData = newValue }
    }

    /// `PG_locked`. Read under the runtime lock; set through ``PageCache``.
    public internal(set) var isLocked: Bool {
        get { flags.contains(.locked) }
        nonmutating set { if newValue { flags.insert(.locked) } else { flags.remove(.locked) } }
    }
    /// `PG_uptodate`. Read under the runtime lock; set through ``PageCache``.
    public internal(set) var isUptodate: Bool {
        get { flags.contains(.uptodate) }
        nonmutating set { if newValue { flags.insert(.uptodate) } else { flags.remove(.uptodate) } }
    }
    /// `PG_readahead`. Read under the runtime lock; set through ``PageCache``.
    public internal(set) var isReadahead: Bool {
        get { flags.contains(.readahead) }
        nonmutating set { if newValue { flags.insert(.readahead) } else { flags.remove(.readahead) } }
    }
    /// `PG_error`. Read under the runtime lock; set through ``PageCache``.
    public internal(set) var hasError: Bool {
        get { flags.contains(.error) }
        nonmutating set { if newValue { flags.insert(.error) } else { flags.remove(.error) } }
    }

    /// The page's 4096 bytes, for writing. Only the holder of the page lock may write, and only
    /// while the page is not uptodate: this is where `cifs_readv_receive` puts READ_ANDX data,
    /// straight from the socket (one copy per byte).
    public func withUnsafeMutableBytes<Result>(
        _ body: (UnsafeMutableRawBufferPointer) throws -> Result
    ) rethrows -> Result {
        try body(UnsafeMutableRawBufferPointer(start: storage, count: Page.size))
    }

    /// The page's 4096 bytes, for writing, without a closure: valid while the cache is alive (a
    /// frame's storage never moves). Same rules as ``withUnsafeMutableBytes(_:)``; for the scatter
    /// receive, which lends every page of a read to one receive call.
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

/// The state of one page frame (the fields of the kernel's `struct page` this model keeps), kept
/// by its ``PageFrameTable``. Runtime lock, except `frame` and `queue`, which never change.
struct PageFrameRecord {
    let frame: Int
    let queue: Unmanaged<WaitQueue>
    var index = -1
    var flags: PageFlags = []
    var residency: Residency = .free
    var pins = 0
    var list: PageListID = .none
    var previous: Page?
    var next: Page?
    var hasData = false
}

/// A cache's page frames: their state records and their 4 KiB buffers, allocated in chunks that
/// never move, so a ``Page`` handle (pointers to its record and buffer) stays valid while the
/// table grows and is a plain value — no object and no reference count per page on the read
/// path. The table frees every frame when it goes; it is owned by its ``PageCache``.
/// Growth is guarded by the runtime lock.
final class PageFrameTable: @unchecked Sendable {
    /// Frames per chunk: a chunk's records and buffers are one allocation each (records ~90
    /// bytes, buffers 4 KiB per frame, so a chunk of buffers is 256 KiB).
    static let framesPerChunk = 64

    private var recordChunks: [UnsafeMutablePointer<PageFrameRecord>] = []
    private var storageChunks: [UnsafeMutableRawPointer] = []
    /// Frames created so far.
    private(set) var count = 0

    init() {}

    deinit {
        for (number, records) in recordChunks.enumerated() {
            let used = min(count - number * Self.framesPerChunk, Self.framesPerChunk)
            for slot in 0..<used { records[slot].queue.release() }
            records.deinitialize(count: used)
            records.deallocate()
        }
        for buffers in storageChunks { buffers.deallocate() }
    }

    /// A new frame, free (index -1, no flags), its buffer zeroed.
    func addFrame() -> Page {
        let frame = count
        let slot = frame % Self.framesPerChunk
        if slot == 0 {
            recordChunks.append(.allocate(capacity: Self.framesPerChunk))
            let buffers = UnsafeMutableRawPointer.allocate(byteCount: Self.framesPerChunk * Page.size, alignment: 64)
            buffers.initializeMemory(as: UInt8.self, repeating: 0, count: Self.framesPerChunk * Page.size)
            storageChunks.append(buffers)
        }
        let chunk = frame / Self.framesPerChunk
        let record = recordChunks[chunk] + slot
        let queue = Unmanaged.passRetained(WaitQueue("page frame \(frame)"))
        record.initialize(to: PageFrameRecord(frame: frame, queue: queue))
        count += 1
        return Page(record: record, storage: storageChunks[chunk] + slot * Page.size)
    }
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
    /// The oldest page on the list.
    private(set) var head: Page?
    private var tail: Page?
    private(set) var count = 0

    init(_ id: PageListID) {
        self.id = id
    }

    mutating func append(_ page: Page) {
        assert(page.residency == .cached, "only a page in the cache's index may be on an LRU list")
        page.list = id
        page.previous = tail
        page.next = nil
        if let tail { tail.next = page } else { head = page }
        tail = page
        count += 1
    }

    mutating func remove(_ page: Page) {
        guard page.list == id else { return }
        let previous = page.previous
        let next = page.next
        if let previous { previous.next = next } else { head = next }
        if let next { next.previous = previous } else { tail = previous }
        page.previous = nil
        page.next = nil
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
