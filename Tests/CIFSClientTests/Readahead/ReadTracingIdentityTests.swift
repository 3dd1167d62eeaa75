@testable import CIFSClient
import KernelRuntime
import SMBCrypto
import Testing

/// While tracing, the read path works page by page as 3.8 does (one `cifs_readv_from_socket`
/// per page; `lru_cache_add_file`, `SetPageUptodate`, `unlock_page` per page); untraced it keeps
/// its batches (one scatter receive, one locked pass). Both must leave exactly the same bytes,
/// signatures and page states.
@Suite("Read path: traced page by page, untraced in batches, the same outcome")
struct ReadTracingIdentityTests {
    /// A socket that hands out a fixed byte stream at most `chunk` bytes per receive, so the
    /// reads straddle pages and the reader's staging buffer.
    final class ChunkedTransport: Transport, @unchecked Sendable {
        private let bytes: [UInt8]
        private let chunk: Int
        private var position = 0

        init(_ bytes: [UInt8], chunk: Int) {
            self.bytes = bytes
            self.chunk = chunk
        }

        func send(_ bytes: [UInt8]) throws {}

        func receive(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            let n = min(buffer.count, chunk, bytes.count - position)
            guard n > 0, let base = buffer.baseAddress else { return 0 }
            bytes.withUnsafeBytes { source in
                if let start = source.baseAddress { base.copyMemory(from: start + position, byteCount: n) }
            }
            position += n
            return n
        }

        func receive(scatter buffers: UnsafeBufferPointer<UnsafeMutableRawBufferPointer>) throws -> Int {
            var total = 0
            for buffer in buffers where total < chunk {
                let wanted = min(buffer.count, chunk - total)
                guard wanted > 0 else { continue }
                let n = try receive(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted]))
                total += n
                if n < wanted { break }
            }
            return total
        }

        func close() {}
    }

    /// What one receive of `data` into fresh pages left: the pages' bytes, the signature of what
    /// was fed, the frame's remaining count, the next bytes on the socket, the events.
    struct Outcome: Equatable {
        var pages: [[UInt8]]
        var signature: [UInt8]
        var fed: Int
        var remaining: Int
        var next: [UInt8]
        var kept: [UInt8]?
        var events: [String]
    }

    static func receive(_ data: [UInt8], pageCount: Int, lastPageBytes: Int, chunk: Int, tracing: Bool) throws -> Outcome {
        let runtime = FreeRunRuntime(seed: 1, recorder: tracing ? TraceRecorder() : nil)
        let header = [UInt8](repeating: 0xAB, count: 32)
        let trailer: [UInt8] = Array(0..<40)
        let reader = SocketReader(transport: ChunkedTransport(data + trailer, chunk: chunk))
        let frame = ReceivedFrame(reader: reader, length: header.count + data.count, header: header)
        let frameTable = PageFrameTable()
        let pages = (0..<pageCount).map { _ in frameTable.addFrame() }
        defer { withExtendedLifetime(frameTable) {} }
        var signature: ReplySignature? = ReplySignature(
            macKey: Array(repeating: 7, count: 16), sequence: 9, keepingBytes: runtime.isTracing)
        signature?.update(header)
        try CIFSReadOperations.receivePageData(
            runtime, pages: pages, lastPageBytes: lastPageBytes, firstIndex: 30, mid: 12, frame: frame,
            signature: &signature)
        return Outcome(
            pages: pages.map { page in page.withUnsafeBytes { Array($0) } },
            signature: signature?.finalize() ?? [], fed: signature?.length ?? 0, remaining: frame.remaining,
            next: try reader.read(trailer.count), kept: signature?.kept,
            events: (runtime.recorder?.events ?? []).map { "\($0.function) \($0.phase) \($0.mid ?? -1) \($0.message)" })
    }

    @Test("receivePageData: page by page (traced) and one scatter receive (untraced) put the same bytes in the pages and the signature",
          arguments: [1, 100, 1500, 4096, 70_000])
    func sameBytesEitherWay(chunk: Int) throws {
        var generator = SeededGenerator(seed: UInt64(chunk))
        let data = (0..<(3 * Page.size + 1000)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let traced = try Self.receive(data, pageCount: 4, lastPageBytes: 1000, chunk: chunk, tracing: true)
        let untraced = try Self.receive(data, pageCount: 4, lastPageBytes: 1000, chunk: chunk, tracing: false)
        // The data landed, page by page, and nothing past it was touched (frames start zeroed).
        let expectedPages = (0..<4).map { index -> [UInt8] in
            let slice = Array(data[(index * Page.size)..<min(data.count, (index + 1) * Page.size)])
            return slice + [UInt8](repeating: 0, count: Page.size - slice.count)
        }
        #expect(traced.pages == expectedPages)
        #expect(untraced.pages == expectedPages)
        // The signature saw the header and then exactly the data, once, in order.
        var reference = SMB1SignatureStream(macKey: Array(repeating: 7, count: 16), sequence: 9)
        reference.update([UInt8](repeating: 0xAB, count: 32) + data)
        #expect(traced.signature == reference.finalize())
        #expect(untraced.signature == reference.finalize())
        #expect(traced.fed == 32 + data.count && untraced.fed == traced.fed)
        // Only while tracing are the bytes kept (for the signature check's MD5 input): all of them.
        #expect(traced.kept == [UInt8](repeating: 0xAB, count: 32) + data)
        #expect(untraced.kept == nil)
        // The frame is consumed exactly; the next frame's bytes are still there.
        #expect(traced.remaining == 0 && untraced.remaining == 0)
        #expect(traced.next == Array(0..<40) && untraced.next == traced.next)
        // Traced: one cifs_readv_from_socket frame per page, with the mid; untraced: nothing.
        #expect(traced.events == [
            "cifs_readv_from_socket enter 12 page[30]: 4096 bytes", "cifs_readv_from_socket exit 12 4096 bytes into page[30]",
            "cifs_readv_from_socket enter 12 page[31]: 4096 bytes", "cifs_readv_from_socket exit 12 4096 bytes into page[31]",
            "cifs_readv_from_socket enter 12 page[32]: 4096 bytes", "cifs_readv_from_socket exit 12 4096 bytes into page[32]",
            "cifs_readv_from_socket enter 12 page[33]: 1000 bytes", "cifs_readv_from_socket exit 12 1000 bytes into page[33]",
        ])
        #expect(untraced.events.isEmpty)
    }

    @Test("a signed page-cache read, traced and untraced: the same bytes, every READ_ANDX signature verified",
          arguments: [256 * 1024, 300_000 + 123])
    func signedReadEitherWay(size: Int) throws {
        let content = Harness.pattern(size, seed: 5)
        func run(tracing: Bool) throws -> ReadaheadHarness.Outcome {
            try ReadaheadHarness.readFromPipeServer(
                FreeRunRuntime(seed: 5, recorder: tracing ? TraceRecorder() : nil), content: content, sign: true,
                signing: .required, rsize: 61_440, readaheadPages: 32, chunkSize: 64 * 1024)
        }
        let traced = try run(tracing: true)
        let untraced = try run(tracing: false)
        #expect(traced.bytes == content)
        #expect(untraced.bytes == content)
        for outcome in [traced, untraced] {
            #expect(outcome.statistics.signatureFailures == 0)
            #expect(outcome.statistics.readpageFallbacks == 0)
        }
        #expect(traced.statistics.signaturesVerified == untraced.statistics.signaturesVerified)
        #expect(traced.statistics.requestsSent == untraced.statistics.requestsSent)
        // The traced run read every data page with its own cifs_readv_from_socket; the untraced
        // run recorded nothing.
        let pageReads = traced.events.filter { $0.function == "cifs_readv_from_socket" && $0.phase == .enter }
        #expect(pageReads.count == (size + Page.size - 1) / Page.size)
        #expect(untraced.events.isEmpty)
    }

    /// One cache, pages inserted off the LRU (as cifs_readpages does) and on it, completed in
    /// three reads; returns what an inspector sees and the events.
    static func completeReads(tracing: Bool) throws -> (pages: [PageSnapshot], lru: [Int], consumed: [Int], events: [String]) {
        let runtime = FreeRunRuntime(seed: 2, recorder: tracing ? TraceRecorder() : nil)
        let cache = PageCache(runtime: runtime, fileSize: 1 << 20, capacity: 16)
        func allocate() throws -> Page {
            var reclaimed: [PageCache.Reclaim] = []
            return try #require(runtime.withLock { cache.allocateForReadaheadUnderRuntimeLock(reclaimed: &reclaimed) })
        }
        // A page already read and copied out.
        let old = try allocate()
        try cache.addToPageCacheLRU(old, index: 9)
        try cache.completeRead([old], uptodate: true)
        cache.markPageConsumed(old)
        // Four pages locked and inserted off the LRU, two on it.
        var locked: [Page] = []
        for index in 0..<4 {
            let page = try allocate()
            cache.setPageLocked(page)
            try cache.addToPageCacheLocked(page, index: index)
            locked.append(page)
        }
        let onLRU = try (4..<6).map { index -> Page in
            let page = try allocate()
            try cache.addToPageCacheLRU(page, index: index)
            return page
        }
        #expect(cache.lruOrder.unread == [4, 5], "pages inserted locked wait for lru_cache_add_file")
        try cache.completeRead([locked[0], locked[1]], uptodate: true, addingToLRU: true)
        try cache.completeRead([locked[3], locked[2]], uptodate: false, addingToLRU: true)
        try cache.completeRead(onLRU, uptodate: true, addingToLRU: true)
        let events = (runtime.recorder?.events ?? [])
            .filter { ["lru_cache_add_file", "SetPageUptodate", "unlock_page"].contains($0.function) && $0.phase == .enter }
            .map { "\($0.function) \($0.message)" }
        let order = cache.lruOrder
        return (cache.snapshot(), order.unread, order.consumed, events)
    }

    @Test("completeRead: page by page (traced) and in one batch (untraced) leave the same page states and LRU order")
    func completeReadSameStatesEitherWay() throws {
        let traced = try Self.completeReads(tracing: true)
        let untraced = try Self.completeReads(tracing: false)
        #expect(traced.pages == untraced.pages)
        #expect(traced.lru == untraced.lru)
        #expect(traced.consumed == untraced.consumed)
        #expect(traced.pages.map(\.flags) == [.uptodate, .uptodate, [], [], .uptodate, .uptodate, .uptodate])
        #expect(traced.pages.map(\.index) == [0, 1, 2, 3, 4, 5, 9])
        // Each page joins the LRU when its read completes; pages already on it stay in place.
        #expect(traced.lru == [4, 5, 0, 1, 3, 2])
        #expect(traced.consumed == [9])
        // 3.8's order per page: lru_cache_add_file, SetPageUptodate (success only), unlock_page.
        #expect(Array(traced.events.drop { $0 != "lru_cache_add_file page[0]" }) == [
            "lru_cache_add_file page[0]", "SetPageUptodate page[0]", "unlock_page page[0]",
            "lru_cache_add_file page[1]", "SetPageUptodate page[1]", "unlock_page page[1]",
            "lru_cache_add_file page[3]", "unlock_page page[3]",
            "lru_cache_add_file page[2]", "unlock_page page[2]",
            "lru_cache_add_file page[4]", "SetPageUptodate page[4]", "unlock_page page[4]",
            "lru_cache_add_file page[5]", "SetPageUptodate page[5]", "unlock_page page[5]",
        ])
        #expect(untraced.events.isEmpty)
    }
}
