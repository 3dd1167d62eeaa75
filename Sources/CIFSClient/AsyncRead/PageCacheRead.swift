import KernelRuntime

extension CIFSMount {
    /// The page-cache read's default READ_ANDX size on an unsigned connection with
    /// CAP_LARGE_READX: 1 MiB (256 pages). smbd's cost is mostly per request, so larger reads
    /// leave it more time for data; the kernel's default was 60 KiB (``defaultRsize``).
    public static let largeAsyncReadSize = 1 << 20
    /// The default on a signed connection: 126,976 bytes (31 pages), the most whole pages under
    /// the 131,011 data bytes smbd puts in a signed READ_ANDX reply — a larger request comes
    /// back short, and every page it misses costs a synchronous `readpage`.
    public static let signedAsyncReadSize = 31 * 4096

    /// The readahead maximum this mount uses, in pages (`ra_pages`): the options' value, or
    /// ``defaultReadaheadPages`` rounded down to a whole number of READ_ANDX of
    /// ``asyncReadSize`` (248 pages for signed 31-page reads). `cifs_readpages` cuts a window
    /// into reads of that size, so a remainder was one more, short, READ_ANDX per window — 9
    /// instead of 8 per MiB signed. (3.8's own rule, `rsize / PAGE_CACHE_SIZE`, was one whole
    /// read.)
    public var readaheadPages: Int {
        if let pages = options.readaheadPages { return max(pages, 0) }
        let pagesPerRead = max(asyncReadSize / Page.size, 1)
        guard pagesPerRead < CIFSMount.defaultReadaheadPages else { return CIFSMount.defaultReadaheadPages }
        return CIFSMount.defaultReadaheadPages / pagesPerRead * pagesPerRead
    }

    /// Bytes per asynchronous READ_ANDX (`cifs_readpages` sends runs of `asyncReadSize / 4096`
    /// pages): the mount's ``rsize`` when the options set one or the server lacks
    /// CAP_LARGE_READX; otherwise ``largeAsyncReadSize``, or ``signedAsyncReadSize`` when the
    /// connection signs.
    public var asyncReadSize: Int {
        let (caps, signing) = runtime.withLock { (server.capabilities, server.signingEnabledUnderRuntimeLock) }
        guard options.rsize == nil, caps.contains(.largeReadX) else { return rsize }
        return signing ? CIFSMount.signedAsyncReadSize : CIFSMount.largeAsyncReadSize
    }

    /// Reads the whole of `file` (to the size the server reported at open) through a page cache
    /// with the 3.8 readahead and the asynchronous read path: the kernel's `read(2)` on a cifs
    /// mount. Each call of `read(2)` is ``PageCache/doGenericFileRead(_:operations:position:count:sink:)``
    /// into a user buffer of `chunkSize` bytes, which is then handed to `sink`.
    ///
    /// Readahead asks ``CIFSReadOperations/readpages(_:_:)`` (`cifs_readpages`) for windows of up
    /// to ``readaheadPages`` pages; it sends one READ_ANDX per run of up to
    /// ``asyncReadSize`` / 4096 pages
    /// (at most MaxMpxCount in flight); cifsd puts each reply's data straight into its pages and
    /// cifsiod unlocks them; the reader sleeps in `lock_page_killable` meanwhile, and reads any
    /// page the async path left not uptodate with `cifs_readpage`. The cache holds at most
    /// ``PageCache/defaultCapacity(readaheadPages:)`` pages whatever the file size.
    ///
    /// The loop stops at the file size, so it never asks for the page past end of file that a
    /// 3.8 `read(2)` would still `readpage`.
    ///
    /// - Parameters:
    ///   - chunkSize: bytes per `read(2)` (the user buffer), at least one page.
    ///   - sink: receives each filled user buffer, in file order; valid only during the call.
    ///   - progress: bytes read so far and the file size, after each chunk.
    /// - Returns: the number of bytes read.
    @discardableResult
    public func readThroughPageCache(
        _ file: OpenFile, chunkSize: Int = 1 << 20, into sink: (UnsafeRawBufferPointer) throws -> Void,
        progress: ((_ done: UInt64, _ total: UInt64) -> Void)? = nil
    ) throws -> UInt64 {
        guard let read = try startPageCacheRead(file) else { return 0 }
        let chunk = max(chunkSize, Page.size)
        let user = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: Page.size)
        defer { user.deallocate() }

        var position: Int64 = 0
        while UInt64(position) < read.size {
            let want = Int(min(UInt64(chunk), read.size - UInt64(position)))
            var filled = 0
            // One read(2): the VFS's generic_file_aio_read, which cifs uses for a read.
            let n = try genericFileAioRead(read, position: position, count: want) {
                try read.mapping.doGenericFileRead(read.ra, operations: read.operations, position: &position, count: want) {
                    bytes in
                    // file_read_actor's copy_to_user.
                    UnsafeMutableRawBufferPointer(rebasing: user[filled..<(filled + bytes.count)]).copyMemory(from: bytes)
                    filled += bytes.count
                }
            }
            if n == 0 { break }
            try sink(UnsafeRawBufferPointer(rebasing: user[0..<n]))
            progress?(UInt64(position), read.size)
        }
        return UInt64(position)
    }

    /// Pages lent to a gathering sink at a time (256 KiB); the cache gets as many frames more, so
    /// the pinned pages never starve readahead.
    public static let gatheringBatchPages = 64

    /// ``readThroughPageCache(_:chunkSize:into:progress:)`` without the copy to a user buffer:
    /// each `read(2)` of `chunkSize` bytes lends its pages, and `sink` gets the bytes of up to
    /// ``gatheringBatchPages`` of them at a time straight from the page cache (pinned while it
    /// runs), to write them with one `writev`. A run that traces copies as the kernel does (every
    /// `file_read_actor` shown) and hands the sink one buffer per `read(2)`.
    @discardableResult
    public func readThroughPageCache(
        _ file: OpenFile, chunkSize: Int = 1 << 20, gathering sink: ([UnsafeRawBufferPointer]) throws -> Void,
        progress: ((_ done: UInt64, _ total: UInt64) -> Void)? = nil
    ) throws -> UInt64 {
        try readThroughPageCache(file, chunkSize: chunkSize, batching: true, gathering: sink, progress: progress)
    }

    /// The gathering read; `batching: false` makes `do_generic_file_read` take every page the
    /// long way (for tests comparing the two).
    func readThroughPageCache(
        _ file: OpenFile, chunkSize: Int, batching: Bool, gathering sink: ([UnsafeRawBufferPointer]) throws -> Void,
        progress: ((_ done: UInt64, _ total: UInt64) -> Void)?
    ) throws -> UInt64 {
        if runtime.isTracing {
            return try readThroughPageCache(file, chunkSize: chunkSize, into: { try sink([$0]) }, progress: progress)
        }
        // The lent pages cannot be evicted until given back: room for them on top of the cache.
        guard let read = try startPageCacheRead(file, extraFrames: CIFSMount.gatheringBatchPages) else { return 0 }
        var batch = LentBatch(mapping: read.mapping)
        let chunk = max(chunkSize, Page.size)
        var position: Int64 = 0
        do {
            while UInt64(position) < read.size {
                // The same read(2) size as the copying read, so readahead sees the same requests.
                let want = Int(min(UInt64(chunk), read.size - UInt64(position)))
                let n = try genericFileAioRead(read, position: position, count: want) {
                    try read.mapping.doGenericFileRead(
                        read.ra, operations: read.operations, position: &position, count: want, batching: batching
                    ) { page, bytes in
                        // A full batch goes out first: should that fail, this page is not lent yet
                        // and do_generic_file_read releases it.
                        if batch.isFull { try batch.flush(to: sink) }
                        batch.append(page, bytes)
                    }
                }
                try batch.flush(to: sink)
                if n == 0 { break }
                progress?(UInt64(position), read.size)
            }
        } catch {
            batch.giveBack()
            throw error
        }
        return UInt64(position)
    }

    /// The pages lent to a gathering read's sink, and their bytes. (A value the closures share
    /// by address: captured `var`s of their own would be boxed and checked at every access.)
    struct LentBatch {
        let mapping: PageCache
        private var pages: [Page] = []
        private var buffers: [UnsafeRawBufferPointer] = []

        init(mapping: PageCache) {
            self.mapping = mapping
            pages.reserveCapacity(CIFSMount.gatheringBatchPages)
            buffers.reserveCapacity(CIFSMount.gatheringBatchPages)
        }

        var isFull: Bool { pages.count >= CIFSMount.gatheringBatchPages }

        mutating func append(_ page: Page, _ bytes: Range<Int>) {
            pages.append(page)
            buffers.append(UnsafeRawBufferPointer(rebasing: page.unsafeMutableBytes[bytes]))
        }

        /// Hands the lent pages to the sink, then gives them back (also when the sink fails).
        mutating func flush(to sink: ([UnsafeRawBufferPointer]) throws -> Void) throws {
            defer { giveBack() }
            if !buffers.isEmpty { try sink(buffers) }
        }

        /// Gives the pages back to the cache without writing them.
        mutating func giveBack() {
            mapping.releaseLentPages(pages)
            pages.removeAll(keepingCapacity: true)
            buffers.removeAll(keepingCapacity: true)
        }
    }

    /// What one page-cache read of a file works with.
    struct PageCacheRead {
        let size: UInt64
        /// The readahead maximum at the start (`ra.raPages` may shrink after an error).
        let raPages: Int
        let mapping: PageCache
        let ra: FileReadaheadState
        let operations: CIFSReadOperations
    }

    /// Sets up the page cache, the readahead state and the address-space operations for reading
    /// `file`, and starts cifsiod; `nil` for an empty file. The cache holds
    /// ``PageCache/defaultCapacity(readaheadPages:)`` frames plus `extraFrames`.
    private func startPageCacheRead(_ file: OpenFile, extraFrames: Int = 0) throws -> PageCacheRead? {
        try requireMounted()
        let size = runtime.withLock { file.size }
        guard size > 0 else { return nil }
        guard size <= UInt64(Int64.max) else { throw CIFSError.invalidArgument("file size \(size)") }
        try cifsiod.start()
        let raPages = readaheadPages
        let mapping = PageCache(
            runtime: runtime, fileSize: Int64(size),
            capacity: PageCache.defaultCapacity(readaheadPages: raPages) + extraFrames)
        mapping.lockTimeout = options.responseTimeout
        // file_ra_state_init
        let ra = FileReadaheadState(raPages: raPages)
        // The inode's mapping and the file's f_ra, where an inspector finds them.
        runtime.withLock {
            file.mapping = mapping
            file.readahead = ra
        }
        let operations = CIFSReadOperations(
            session: session, file: file, rsize: asyncReadSize, workQueue: cifsiod, counters: readPathCounters,
            shortReadZeroFill: options.shortReadZeroFill)
        return PageCacheRead(size: size, raPages: raPages, mapping: mapping, ra: ra, operations: operations)
    }

    /// One `read(2)` of `count` bytes at `position`: the VFS's `generic_file_aio_read`, which cifs
    /// uses for a read; `body` runs `do_generic_file_read`.
    private func genericFileAioRead(
        _ read: PageCacheRead, position: Int64, count: Int, _ body: () throws -> Int
    ) throws -> Int {
        try runtime.traced("generic_file_aio_read",
            "\(read.operations.file.path): \(count) bytes at \(position) (ra_pages \(read.raPages), rsize \(read.operations.rsize))"
        ) { call in
            let n = try giveUpOnTimeout(body)
            call.returning("\(n) bytes")
            return n
        }
    }
}

extension CIFSMount {
    /// Runs `body`; a page whose read never completed (the mount's response timeout) gives the
    /// connection up, as a reply that never came does, and becomes ``CIFSError/timedOut(awaited:seconds:)``.
    func giveUpOnTimeout<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch PageCacheError.lockTimedOut(let index) {
            runtime.withLock { server.giveUpUnderRuntimeLock() }
            throw CIFSError.timedOut(
                awaited: "page[\(index)] (the READ_ANDX reading it)", seconds: Double(options.responseTimeout ?? 0) / 1e9)
        }
    }
}
