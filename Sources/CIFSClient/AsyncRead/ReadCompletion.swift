import KernelRuntime
import SMBCrypto
import SMBWire

/// The kernel's `MAX_CIFS_SMALL_BUFFER_SIZE`: a READ_ANDX reply whose data starts further in
/// than this did not fit cifsd's small buffer and was refused.
let maxSmallBufferSize = 448

extension CIFSReadOperations {
    // MARK: cifsd: receive

    /// Reads a READ_ANDX reply off the socket for `rdata`, on the cifsd thread: the rest of the
    /// header and words (the first 32 bytes are already read), the status (an error discards
    /// the frame), the pad before DataOffset, then the data straight into the pages
    /// (``readIntoPages(_:frame:length:)``). When signing is on, the signature is computed over
    /// the whole frame as it streams in; ``readvCallback(_:mid:)`` checks it. Mirrors the
    /// kernel's `cifs_readv_receive`.
    func readvReceive(_ rdata: ReadData, server: ServerInfo, mid: Mid, frame: ReceivedFrame) throws {
        try runtime.traced("cifs_readv_receive", mid: mid.mid,
                           "mid \(mid.mid), \(rdata): \(frame.length)-byte reply") { call in
            let fixedLength = min(frame.length, ReadAndXResponse.fixedPartSize)
            let fixed = frame.header + (try frame.read(fixedLength - frame.header.count))
            let (key, sequence, signing) = runtime.withLock {
                (mid.signingKey, mid.sequenceNumber &+ 1, server.signingEnabledUnderRuntimeLock)
            }
            if signing, !key.isEmpty {
                var stream = ReplySignature(macKey: key, sequence: sequence, keepingBytes: call.isTracing)
                stream.update(fixed)
                rdata.signature = stream
                rdata.receivedSignature = Array(fixed[SMBHeader.signatureRange])
            }
            try call.event(
                .receive, "header and words read", buffers: [SMBTrace.buffer("reply header", fixed)])

            // Was the read successful?
            let status = NTStatus(rawValue: SMBHeaderBits.status(fixed))
            if status != .success {
                rdata.result = .status(status, command: .readAndX)
                try readvDiscard(rdata, server: server, mid: mid, frame: frame, header: fixed)
                call.returning("\(status.name): reply discarded")
                return
            }
            // Is there enough to reach the rest of the header?
            guard fixed.count == ReadAndXResponse.fixedPartSize else {
                rdata.result = .malformedReply(command: .readAndX, reason: "short READ_ANDX header: \(fixed.count) bytes")
                try readvDiscard(rdata, server: server, mid: mid, frame: frame, header: fixed)
                call.returning("short header: reply discarded")
                return
            }
            let dataRange: Range<Int>
            do {
                dataRange = try ReadAndXResponse.locateData(fixedPart: fixed, messageLength: frame.length).dataRange
            } catch let error as WireError {
                rdata.result = .malformedReply(command: .readAndX, reason: error.description)
                try readvDiscard(rdata, server: server, mid: mid, frame: frame, header: fixed)
                call.returning("bad data offset or length: reply discarded")
                return
            }
            guard dataRange.lowerBound <= maxSmallBufferSize else {
                rdata.result = .malformedReply(
                    command: .readAndX, reason: "data offset \(dataRange.lowerBound) beyond the small buffer")
                try readvDiscard(rdata, server: server, mid: mid, frame: frame, header: fixed)
                call.returning("data offset beyond the small buffer: reply discarded")
                return
            }
            // Any pad before the data (kept for the signature).
            let pad = try frame.read(dataRange.lowerBound - fixed.count)
            if !pad.isEmpty { rdata.signature?.update(pad) }

            let received = try readIntoPages(rdata, frame: frame, length: dataRange.count)
            rdata.bytes = received
            // Anything left over (data beyond the pages, trailing bytes) is discarded.
            if frame.remaining > 0 {
                try readvDiscard(rdata, server: server, mid: mid, frame: frame, header: fixed + pad)
                call.returning("\(received) data bytes; the rest of the frame discarded")
                return
            }
            try server.dequeueMid(mid, response: fixed + pad, malformed: nil)
            call.returning("\(received) data bytes")
        }
    }

    /// Puts `length` bytes of reply data into `rdata`'s pages: whole pages, then a partial page
    /// whose tail is zeroed; pages the data did not reach are put on the LRU, unlocked and
    /// dropped from the read — zeroed and uptodate when wholly past the server's end of file,
    /// left not uptodate otherwise (a short read: the reader reads them with `readpage`). The
    /// data goes from the socket straight into the pages (``receivePageData(_:pages:lastPageBytes:firstIndex:mid:frame:signature:)``).
    /// Returns the bytes put into pages. Mirrors the kernel's `cifs_readpages_read_into_pages`
    /// (the posts' `rdata->read_into_pages`).
    ///
    /// Divergence: 3.8 zero-filled a partial page and made it uptodate wherever the data
    /// stopped, assuming a short read only happens at end of file. smbd caps signed replies at
    /// 131,011 bytes, so with a larger rsize that page would read as zeros mid-file; here a
    /// partial page is uptodate only if the data reaches the end of file, and otherwise joins
    /// the pages left for `readpage`.
    func readIntoPages(_ rdata: ReadData, frame: ReceivedFrame, length: Int) throws -> Int {
        try runtime.traced("cifs_readpages_read_into_pages", mid: rdata.mid,
            "\(length) data bytes for \(rdata.pages.count) pages from page[\(rdata.firstIndex)]"
        ) { call in
            let eof = rdata.serverEOF
            let eofIndex = eof > 0 ? Int((eof - 1) >> Int64(Page.shift)) : 0
            rdata.tailSize = Page.size
            var left = length
            var filledPages = 0
            for _ in rdata.pages {
                guard left > 0 else { break }
                let take = min(left, Page.size)
                if take < Page.size { rdata.tailSize = take }
                left -= take
                filledPages += 1
            }
            let total = length - left
            if filledPages > 0 {
                let filled = Array(rdata.pages[0..<filledPages])
                try Self.receivePageData(
                    runtime, pages: filled, lastPageBytes: rdata.tailSize, firstIndex: rdata.firstIndex,
                    mid: rdata.mid, frame: frame, signature: &rdata.signature)
                rdata.mapping.setDataArrived(filled)
            }
            // A partial last page is complete only if the file ends in it — unless, as 3.8 did,
            // every partial page is zero-filled and made uptodate wherever the data stopped.
            var keptPages = filledPages
            if rdata.tailSize < Page.size {
                let dataEnd = Int64(rdata.offset) + Int64(total)
                if dataEnd >= eof {
                    rdata.pages[filledPages - 1].zero(from: rdata.tailSize)
                } else if shortReadZeroFill {
                    rdata.pages[filledPages - 1].zero(from: rdata.tailSize)
                    try call.note(
                        "3.8: page[\(rdata.firstIndex + filledPages - 1)] zero-filled after \(rdata.tailSize) bytes and "
                            + "kept as uptodate, although the file goes on to \(eof): the reader will see "
                            + "\(Page.size - rdata.tailSize) zero bytes where the file has data (cifstep get leaves "
                            + "the page for readpage)")
                } else {
                    keptPages -= 1
                }
            }

            // Pages the data did not (wholly) reach.
            let rest = rdata.pages[keptPages...]
            if !rest.isEmpty {
                try call.note(
                    "short read: \(rest.count) pages from page[\(rdata.firstIndex + keptPages)] unlocked "
                        + "(zeroed if past end of file \(eof), else left for readpage)")
            }
            for (position, page) in zip(keptPages..., rest) {
                let index = rdata.firstIndex + position
                if index > eofIndex {
                    // Past the end of file: a zero page, uptodate, so the reader does not retry it.
                    page.zero(from: 0)
                    try rdata.mapping.lruCacheAddFile(page)
                    try rdata.mapping.markUptodate(page)
                } else {
                    try rdata.mapping.lruCacheAddFile(page)
                }
                try rdata.mapping.unlockPage(page)
            }
            rdata.pages.removeSubrange(keptPages...)
            call.returning(
                "\(total) bytes straight into \(filledPages) pages"
                    + (rdata.tailSize < Page.size
                        ? (keptPages == filledPages
                            ? ", last page zeroed after \(rdata.tailSize) bytes"
                                + (Int64(rdata.offset) + Int64(total) >= eof ? " (end of file)" : " (3.8's zero fill)")
                            : ", last page only \(rdata.tailSize) bytes before end of file: left for readpage")
                        : ""))
            return total
        }
    }

    /// Receives a reply's data from `frame` straight into `pages` — whole pages, the last one
    /// only its first `lastPageBytes` — and feeds each page's bytes, in order, to `signature`
    /// when there is one. While tracing, page by page as 3.8 does: one `cifs_readv_from_socket`
    /// frame per page (a step each in the stepper). Otherwise one scatter receive for all the
    /// pages, which leaves the same bytes in the pages and feeds the signature the same bytes in
    /// the same pieces, at a fraction of the system calls (what `cifstep get` runs).
    static func receivePageData(
        _ runtime: any KernelRuntime, pages: [Page], lastPageBytes: Int, firstIndex: Int, mid: UInt16,
        frame: ReceivedFrame, signature: inout ReplySignature?
    ) throws {
        if runtime.isTracing {
            for (position, page) in pages.enumerated() {
                let buffer = pageBuffer(page, position: position, of: pages.count, lastPageBytes: lastPageBytes)
                try readvFromSocket(runtime, into: buffer, index: firstIndex + position, mid: mid, frame: frame)
                signature?.update(UnsafeRawBufferPointer(buffer))
            }
            return
        }
        var buffers: [UnsafeMutableRawBufferPointer] = []
        buffers.reserveCapacity(pages.count)
        for position in pages.indices {
            buffers.append(pageBuffer(pages[position], position: position, of: pages.count, lastPageBytes: lastPageBytes))
        }
        try withExtendedLifetime(pages) {
            try frame.read(scatter: buffers)
            if signature != nil {
                for buffer in buffers { signature?.update(UnsafeRawBufferPointer(buffer)) }
            }
        }
    }

    /// The writable bytes of the page at `position` among `count` pages: all of it, or the first
    /// `lastPageBytes` of the last one. Valid while the page is alive (a frame's storage never
    /// moves).
    private static func pageBuffer(_ page: Page, position: Int, of count: Int, lastPageBytes: Int)
        -> UnsafeMutableRawBufferPointer {
        let bytes = position == count - 1 ? lastPageBytes : Page.size
        return UnsafeMutableRawBufferPointer(rebasing: page.unsafeMutableBytes[0..<bytes])
    }

    /// Receives the next `buffer.count` bytes of the reply into one page (`page[index]`).
    /// Mirrors the kernel's `cifs_readv_from_socket` as `cifs_readpages_read_into_pages` calls it,
    /// once per page with one kvec.
    private static func readvFromSocket(
        _ runtime: any KernelRuntime, into buffer: UnsafeMutableRawBufferPointer, index: Int, mid: UInt16,
        frame: ReceivedFrame
    ) throws {
        try runtime.traced("cifs_readv_from_socket", mid: mid, "page[\(index)]: \(buffer.count) bytes") { call in
            try frame.read(into: buffer)
            call.returning("\(buffer.count) bytes into page[\(index)]")
        }
    }

    /// Reads and drops the rest of the frame (still feeding the signature), then completes the
    /// mid — malformed if ``ReadData/result`` is set. Mirrors the kernel's `cifs_readv_discard`.
    func readvDiscard(_ rdata: ReadData, server: ServerInfo, mid: Mid, frame: ReceivedFrame, header: [UInt8]) throws {
        let left = frame.remaining
        try runtime.traced("cifs_readv_discard", mid: mid.mid,
            "mid \(mid.mid): \(left) bytes to drop" + (rdata.result.map { "; \($0)" } ?? "")
        ) { call in
            if rdata.signature != nil {
                var remaining = left
                while remaining > 0 {
                    let piece = try frame.read(min(remaining, 64 * 1024))
                    rdata.signature?.update(piece)
                    remaining -= piece.count
                }
            } else if left > 0 {
                try frame.discardRemaining()
            }
            try server.dequeueMid(mid, response: header, malformed: rdata.result?.description)
            call.returning("\(left) bytes discarded")
        }
    }

    // MARK: cifsd: callback

    /// Finishes the mid on the cifsd thread: a received reply has its signature checked (a
    /// mismatch is recorded as -EACCES and the data used, as in 3.8) and its bytes counted; a
    /// mid lost to a reconnect gets -EAGAIN, anything else -EIO (or the status it carried). Then
    /// the completion is queued on cifsiod (`queue_work`), the mid freed (`DeleteMidQEntry`) and
    /// its credit returned (`add_credits`, waking a sender waiting for one), in 3.8's order.
    /// Mirrors the kernel's `cifs_readv_callback`.
    func readvCallback(_ rdata: ReadData, mid: Mid) throws {
        let server = session.server
        try runtime.traced("cifs_readv_callback", mid: mid.mid, "mid \(mid.mid), \(rdata)") { call in
            let (state, expected, keyLength) = runtime.withLock {
                (mid.state, mid.sequenceNumber &+ 1, mid.signingKey.count)
            }
            switch state {
            case .responseReceived:
                if let stream = rdata.signature {
                    // While tracing, the reply as cifsd read it, so every step of the check can be shown.
                    let reply = stream.kept.map {
                        runtime.given("reply", $0, spans: SMBMessage.annotate($0).spans,
                                      source: "the READ_ANDX reply as cifsd read it: header and words, then the data "
                                          + "straight into the pages")
                    }
                    if let reply {
                        try call.note("the reply as received (\(reply.bytes.count) bytes), for the signature check",
                                      buffers: reply.buffers)
                    }
                    _ = try server.verifySignature(
                        mid: mid, received: rdata.receivedSignature, expectedSequence: expected, keyLength: keyLength,
                        reply: reply, how: "header, then the data in the pages"
                    ) {
                        stream.finalize()
                    }
                }
                runtime.withLock { file.tree.bytesRead += UInt64(rdata.bytes) }
            case .submitted, .retryNeeded:
                rdata.result = .again("mid \(mid.mid) \(state): the connection was lost")
            case .allocated, .responseMalformed, .shutdown:
                if rdata.result == nil {
                    rdata.result = state == .shutdown ? .shuttingDown
                        : .malformedReply(command: .readAndX, reason: mid.malformedReason ?? "mid \(state)")
                }
            }
            // Once queued, rdata belongs to cifsiod: read what is needed of it now.
            let failed = rdata.result != nil
            let outcome = call.isTracing ? (rdata.result.map { "\($0)" } ?? "\(rdata.bytes) bytes") : ""
            let detail = call.isTracing ? "mid \(mid.mid), \(rdata)" : ""
            if failed { runtime.withLock { counters.asyncFailures += 1 } }
            try workQueue.queueWork(WorkItem(
                function: "cifs_readv_complete", detail: detail, run: { try rdata.complete(rdata) }))
            try server.deleteMidQEntry(mid)
            try server.addCredits()
            call.returning("mid \(mid.mid) \(state): \(outcome); cifs_readv_complete queued on \(workQueue.name)")
        }
    }

    // MARK: cifsiod: completion

    /// On the cifsiod worker, for each page of the read in turn: puts it on the LRU, marks it
    /// uptodate if the read succeeded, and unlocks it, waking the reader sleeping on it in
    /// `lock_page_killable` (page by page while tracing, in one batch otherwise:
    /// ``PageCache/completeRead(_:uptodate:addingToLRU:)``). Mirrors the kernel's
    /// `cifs_readv_complete`.
    func readvComplete(_ rdata: ReadData) throws {
        let uptodate = rdata.result == nil
        try runtime.traced("cifs_readv_complete", mid: rdata.mid,
            "\(rdata.pages.count) pages from page[\(rdata.firstIndex)]: "
                + (uptodate ? "LRU, uptodate, unlock" : "LRU, unlock only (\(rdata.result.map { "\($0)" } ?? ""))")
        ) { call in
            let count = rdata.pages.count
            try rdata.mapping.completeRead(rdata.pages, uptodate: uptodate, addingToLRU: true)
            rdata.pages = []
            call.returning("\(count) pages unlocked")
        }
    }
}
