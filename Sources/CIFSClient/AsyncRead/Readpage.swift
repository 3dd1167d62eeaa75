import KernelRuntime

extension CIFSReadOperations {
    /// Reads one locked, not-uptodate page synchronously — the reader's fallback when the
    /// async read of its page failed or came back short, or when readahead is off: a
    /// synchronous READ_ANDX (``Session/cifsRead(_:offset:count:rsize:deliver:)``) copied into the
    /// page, the tail past the data zeroed, the page marked uptodate; unlocked in every case.
    /// Throws the read's error after unlocking — and ``CIFSError/shortRead(offset:fileSize:)``
    /// when the server stops short of the end of file, unless ``shortReadZeroFill`` asks for
    /// 3.8's zero fill. Mirrors the kernel's `cifs_readpage` and
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
            // cifs_read already asked again at the right offset until the server returned
            // nothing. Before end of file that is a short read: 3.8 zero-filled the rest and
            // called the page uptodate; unless the mount asks for that, refuse.
            let fileSize = runtime.withLock { file.size }
            let end = offset + UInt64(filled)
            if filled < Page.size, end < fileSize, !shortReadZeroFill {
                try mapping.unlockPage(page)
                throw CIFSError.shortRead(offset: end, fileSize: fileSize)
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
