import KernelRuntime
import SMBWire

/// Counters of the page-cache read path, kept per mount (runtime lock).
final class ReadPathCounters: @unchecked Sendable {
    /// READ_ANDX requests sent by `cifs_async_readv`.
    var asyncReads = 0
    /// Pages `cifs_readpages` put in flight.
    var asyncPages = 0
    /// Async reads that completed with an error (their pages then need `readpage`).
    var asyncFailures = 0
    /// `cifs_readpage` calls: pages read synchronously because the async read did not make
    /// them uptodate (or readahead was off).
    var readpageFallbacks = 0
}

/// The cifs address-space operations for one open file: `cifs_readpages` (asynchronous
/// READ_ANDX of up to rsize bytes per run of contiguous pages) and `cifs_readpage` (the
/// synchronous fallback). Mirrors the kernel's `cifs_addr_ops` with its `cifsFileInfo`.
public final class CIFSReadOperations: AddressSpaceOperations, @unchecked Sendable {
    public let session: Session
    public let file: OpenFile
    /// Bytes per READ_ANDX (the mount's `rsize`); each async read covers at most
    /// `rsize / 4096` pages.
    public let rsize: Int
    /// Where read completions run (`cifsiod_wq`).
    public let workQueue: WorkQueue
    let counters: ReadPathCounters
    /// ``MountOptions/shortReadZeroFill``: 3.8's handling of a reply that stops mid-page.
    let shortReadZeroFill: Bool
    var runtime: any KernelRuntime { session.server.runtime }

    init(session: Session, file: OpenFile, rsize: Int, workQueue: WorkQueue, counters: ReadPathCounters,
         shortReadZeroFill: Bool = false) {
        self.session = session
        self.file = file
        self.rsize = rsize
        self.workQueue = workQueue
        self.counters = counters
        self.shortReadZeroFill = shortReadZeroFill
    }

    /// Starts reading readahead's `pages`: takes runs of contiguous pages of at most rsize
    /// bytes, locks and inserts each page (`__set_page_locked`, `add_to_page_cache_locked`: on no
    /// LRU list until its read completes), allocates a ``ReadData`` for the run and sends it
    /// with ``retryAsyncReadv(_:)``. Stops at the first page that cannot be inserted or the first
    /// read that cannot be sent (putting that read's pages on the LRU and unlocking them, not
    /// uptodate): the reader falls back to `readpage` for whatever is left.
    /// Mirrors the kernel's `cifs_readpages`.
    public func readpages(_ mapping: PageCache, _ pages: [Page]) throws {
        let pagesPerRead = rsize / Page.size
        try runtime.traced("cifs_readpages",
            "\(file.path): \(pages.count) pages from page[\(pages.first?.index ?? -1)], up to \(pagesPerRead) pages "
                + "(rsize \(rsize)) per READ_ANDX"
        ) { call in
            // Give up at once if rsize cannot hold a page: the reader falls back to readpage.
            guard pagesPerRead >= 1 else {
                call.returning("rsize \(rsize) is smaller than a page: nothing sent")
                return
            }
            let serverEOF = mapping.fileSize
            var next = 0
            var sent = 0
            while next < pages.count {
                let start = pages[next].index
                var run: [Page]
                if call.isTracing {
                    // Lock the first page and put it in the cache; give up if that fails.
                    let first = pages[next]
                    guard try lockAndInsert(first, mapping) else { break }
                    run = [first]
                    run.reserveCapacity(pagesPerRead)
                    next += 1
                    // Add following pages while contiguous and within rsize.
                    while next < pages.count, run.count < pagesPerRead {
                        let page = pages[next]
                        guard page.index == start + run.count else { break }
                        guard try lockAndInsert(page, mapping) else { break }
                        run.append(page)
                        next += 1
                    }
                } else {
                    // The same run, locked and inserted in one locked section.
                    var end = next + 1
                    while end < pages.count, end - next < pagesPerRead, pages[end].index == start + (end - next) {
                        end += 1
                    }
                    let inserted = mapping.setPagesLockedAndAddToPageCache(pages[next..<end])
                    guard inserted > 0 else { break }
                    run = Array(pages[next..<(next + inserted)])
                    next += inserted
                }
                let rdata = try ReadData.alloc(
                    file: file, mapping: mapping, pages: run, firstIndex: start, serverEOF: serverEOF,
                    complete: { [self] rdata in try readvComplete(rdata) })
                do {
                    try retryAsyncReadv(rdata)
                } catch let abort as RuntimeAbort {
                    throw abort
                } catch {
                    // Not sent: onto the LRU and unlocked, not uptodate; the reader reads them with readpage.
                    try call.note("pages \(start)...\(start + run.count - 1) not sent: \(error); unlocking them")
                    try mapping.completeRead(run, uptodate: false, addingToLRU: true)
                    break
                }
                sent += 1
            }
            call.returning("\(sent) READ_ANDX in flight")
        }
    }

    /// Locks `page` and inserts it in the cache at its index, off the LRU (`__set_page_locked`,
    /// then `add_to_page_cache_locked`); returns false, the page unlocked (`__clear_page_locked`),
    /// when it cannot be inserted.
    private func lockAndInsert(_ page: Page, _ mapping: PageCache) throws -> Bool {
        do {
            try mapping.setPageLockedAndAddToPageCache(page, index: page.index)
            return true
        } catch is PageCacheError {
            return false
        }
    }

    /// Sends `rdata`, reopening the file first when a reconnect invalidated its handle, and
    /// again while the attempt fails with -EAGAIN (at most ``CIFSMount/maxRetries`` times; the
    /// kernel looped without limit). Mirrors the kernel's `cifs_retry_async_readv`.
    func retryAsyncReadv(_ rdata: ReadData) throws {
        try runtime.traced("cifs_retry_async_readv", "\(rdata)") { call in
            var attempts = 0
            while true {
                attempts += 1
                do {
                    if runtime.withLock({ file.invalidHandle }) {
                        try session.reopenFile(file)
                    }
                    try asyncReadv(rdata)
                    call.returning(attempts == 1 ? "sent" : "sent at attempt \(attempts)")
                    return
                } catch CIFSError.again(let reason) {
                    try call.note("-EAGAIN (\(reason)), attempt \(attempts)")
                    if attempts >= CIFSMount.maxRetries { throw CIFSError.again(reason) }
                }
            }
        }
    }

    /// Builds the READ_ANDX for `rdata` (12 words with CAP_LARGE_FILES; MaxCountHigh carries
    /// bytes >> 16) and sends it without waiting: `cifs_call_async` with receive =
    /// `cifs_readv_receive` and callback = `cifs_readv_callback`, after taking a credit (at most
    /// MaxMpxCount reads in flight). Mirrors the kernel's `cifs_async_readv`.
    func asyncReadv(_ rdata: ReadData) throws {
        try runtime.traced("cifs_async_readv", "\(rdata)") { call in
            let tree = file.tree
            try session.reconnectTcon(tree, command: .readAndX)
            let (fid, caps) = runtime.withLock { (file.fid, session.capabilities) }
            let largeFiles = caps.contains(.largeFiles)
            // An old-style (10-word) read cannot reach past 4 GiB.
            guard largeFiles || rdata.offset >> 32 == 0 else {
                throw CIFSError.invalidArgument("offset \(rdata.offset) needs CAP_LARGE_FILES")
            }
            let header = session.headerAssemble(.readAndX, tree: tree)
            let count = UInt32(rdata.bytes)
            let body = ReadAndXRequest(
                fid: fid, offset: rdata.offset, maxCountOfBytesToReturn: UInt16(truncatingIfNeeded: count),
                minCountOfBytesToReturn: 0, timeoutOrMaxCountHigh: count >> 16, remaining: 0, hasOffsetHigh: largeFiles)
            let request = try encodeRequest(header, body)
            rdata.mid = header.mid
            // Once sent, rdata belongs to cifsd: read what the counters and the trace need now.
            let pageCount = rdata.pages.count
            call.returning(
                "fid \(fid), mid \(header.mid) sent: receive = cifs_readv_receive, callback = cifs_readv_callback")
            _ = try session.callAsync(
                request, function: "cifs_async_readv",
                receive: { [self] server, mid, frame in try readvReceive(rdata, server: server, mid: mid, frame: frame) },
                callback: { [self] mid in try readvCallback(rdata, mid: mid) })
            runtime.withLock {
                tree.numReads += 1
                counters.asyncReads += 1
                counters.asyncPages += pageCount
            }
        }
    }
}
