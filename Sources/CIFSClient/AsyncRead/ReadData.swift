import KernelRuntime
import SMBCrypto

/// One asynchronous READ_ANDX for a run of contiguous, locked page-cache pages: the model of
/// the kernel's `struct cifs_readdata`.
///
/// `cifs_readpages` fills it on the reader's thread and sends it; from then on it belongs to
/// the cifsd thread (`cifs_readv_receive` puts the reply's data into ``pages``,
/// `cifs_readv_callback` sets ``result``), and finally to the cifsiod worker, which runs
/// ``complete`` (`cifs_readv_complete`: uptodate on success, unlock always). Each stage hands it
/// to the next through a queue, so no lock guards it.
public final class ReadData: @unchecked Sendable, CustomStringConvertible {
    /// The open file the read goes to (`rdata->cfile`).
    public let file: OpenFile
    /// The page cache the pages belong to (`rdata->mapping`).
    public let mapping: PageCache
    /// File offset of the first page (`rdata->offset`).
    public let offset: UInt64
    /// Index of the first page, kept for messages: a page's own index may change once the
    /// page is unlocked and its frame reused.
    public let firstIndex: Int
    /// Bytes asked for (pages × 4096); after the reply, bytes received (`rdata->bytes`).
    public internal(set) var bytes: Int {
        didSet { replied = true }
    }
    /// Bytes asked for when allocated (pages × 4096), kept when ``bytes`` becomes what arrived.
    public let bytesAsked: Int
    /// Pages the read was allocated with (``pages`` may lose some to a short reply).
    public let pageCount: Int
    /// The locked pages, ascending and contiguous (`rdata->pages`). `cifs_readv_receive` drops
    /// the ones a short reply did not reach (unlocking them itself).
    public internal(set) var pages: [Page]
    /// Why the read failed; `nil` is the kernel's `rdata->result == 0`.
    public internal(set) var result: CIFSError? {
        didSet { replied = true }
    }
    /// Bytes of data in the last page (`rdata->tailsz`).
    public internal(set) var tailSize = Page.size
    /// The end of file the server is believed to have, captured when the read was set up (the
    /// kernel's `server_eof`): pages wholly past it are zeroed, not read.
    public let serverEOF: Int64
    /// The MID the read went out with, once sent.
    public internal(set) var mid: UInt16 = 0

    /// The work queued on cifsiod when the reply is in (`rdata->work`, `cifs_readv_complete`).
    let complete: @Sendable (ReadData) throws -> Void

    // For ``stage``: the reply was read (``bytes`` set) or the read failed (``result`` set); the
    // cifsiod worker started ``complete``.
    private var replied = false
    private var completionStarted = false

    // cifsd only: the signature of the reply, computed as it streams in.
    var signature: ReplySignature?
    /// The SecuritySignature field of the reply.
    var receivedSignature: [UInt8] = []

    init(file: OpenFile, mapping: PageCache, pages: [Page], firstIndex: Int, serverEOF: Int64,
         complete: @escaping @Sendable (ReadData) throws -> Void) {
        self.file = file
        self.mapping = mapping
        self.pages = pages
        self.firstIndex = firstIndex
        self.offset = UInt64(firstIndex) << UInt64(Page.shift)
        self.bytes = pages.count * Page.size
        self.bytesAsked = pages.count * Page.size
        self.pageCount = pages.count
        self.serverEOF = serverEOF
        self.complete = { rdata in
            rdata.completionStarted = true
            try complete(rdata)
        }
    }

    /// Where the read stands, from its own fields (read it between steps: no lock guards them).
    public var stage: ReadDataStage {
        if completionStarted { return pages.isEmpty ? .completed : .completing }
        if replied { return .received }
        return mid == 0 ? .allocated : .sent
    }

    /// Allocates the read for `pages` (already locked and in the cache) with its completion
    /// work. Mirrors the kernel's `cifs_readdata_alloc`. While tracing, the read is also listed in
    /// its tree's ``TreeConnection/tracedReads`` (`rdata[K]` in a stepper).
    static func alloc(file: OpenFile, mapping: PageCache, pages: [Page], firstIndex: Int, serverEOF: Int64,
                      complete: @escaping @Sendable (ReadData) throws -> Void) throws -> ReadData {
        try mapping.runtime.traced("cifs_readdata_alloc", "\(pages.count) pages from page[\(firstIndex)]") { call in
            let rdata = ReadData(file: file, mapping: mapping, pages: pages, firstIndex: firstIndex,
                                 serverEOF: serverEOF, complete: complete)
            if call.isTracing { mapping.runtime.withLock { file.tree.tracedReads.append(rdata) } }
            call.returning("\(rdata), work = cifs_readv_complete")
            return rdata
        }
    }

    /// `pages 16...30 (offset 65536, 61440 bytes)`.
    public var description: String {
        let last = firstIndex + max(pages.count, 1) - 1
        return "pages \(firstIndex)...\(last) (offset \(offset), \(bytes) bytes)"
    }
}

/// Where a ``ReadData`` stands, as a stepper shows it (`rdata[K].state`). The kernel keeps no
/// such field; each stage is read off the fields the read path sets.
public enum ReadDataStage: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    /// Allocated, not yet given a MID.
    case allocated
    /// `cifs_async_readv` gave it a MID: the READ_ANDX is going out or in flight.
    case sent
    /// Its reply was read (``ReadData/bytes`` set) or it failed (``ReadData/result`` set); the
    /// completion is not running yet.
    case received
    /// The cifsiod worker is running its completion (`cifs_readv_complete`).
    case completing
    /// The completion released its pages.
    case completed

    public var description: String { rawValue }
}
