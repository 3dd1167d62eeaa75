import KernelRuntime

extension CIFSReadOperations {
    /// Reads one locked, not-uptodate page synchronously — the reader's fallback when the
    /// async read of its page failed or came back short, or when readahead is off: a
    /// synchronous READ_ANDX (``Session/cifsRead(_:offset:count:rsize:deliver:)``) copied into the
    /// page, the tail past the data zeroed, the page marked uptodate; unlocked in every case.
    /// Throws the read's error after unlocking. Mirrors the kernel's `cifs_readpage` and
    /// `cifs_readpage_worker`.
    public func readpage(_ mapping: PageCache, _ page: Page) throws {
        let index = page.index
        let offset = UInt64(index) << UInt64(Page.shift)
        runtime.withLock { counters.readpageFallbacks += 1 }
        try runtime.traced("cifs_readpage", "page[\(index)] at offset \(offset): synchronous read") { call in
            var filled = 0
            do {
                filled = try page.withUnsafeMutableBytes { target in
                    var position = 0
                    _ = try session.cifsRead(file, offset: offset, count: Page.size, rsize: max(rsize, 1)) { piece in
                        let n = min(piece.count, Page.size - position)
                        piece.withUnsafeBytes { source in
                            UnsafeMutableRawBufferPointer(rebasing: target[position..<(position + n)])
                                .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[0..<n]))
                        }
                        position += n
                    }
                    return position
                }
            } catch let abort as RuntimeAbort {
                throw abort
            } catch {
                try mapping.unlockPage(page)
                throw error
            }
            // Past the end of what the server returned the page reads as zeros.
            if filled < Page.size { page.zero(from: filled) }
            mapping.setDataArrived(CollectionOfOne(page))
            try mapping.markUptodate(page)
            try mapping.unlockPage(page)
            call.returning("page[\(index)]: \(filled) bytes, uptodate")
        }
    }
}
