import CIFSClient
import KernelRuntime
import SMBWire
import Testing

/// The async readahead path against the in-process server over a pipe: every size byte-exact,
/// on real threads and stepped.
@Suite("Readahead: sizes against the in-process server")
struct ReadaheadSizeTests {
    /// 0, 1, a page ± 1, a page, several windows, and sizes that are not multiples of rsize.
    static let sizes = [0, 1, 4095, 4096, 4097, 61_440 + 1, 3 * 61_440 - 4096, 1_000_003, (1 << 20) + 12_345]

    @Test("free-run: byte-exact, through async reads only", arguments: sizes)
    func freeRun(size: Int) throws {
        let content = Harness.pattern(size, seed: UInt64(size) + 1)
        let run = try ReadaheadHarness.readFromPipeServer(
            FreeRunRuntime(seed: 3), content: content, rsize: 61_440, readaheadPages: 64, chunkSize: 65_536)
        #expect(run.bytes.count == size)
        #expect(run.bytes == content)
        #expect(run.returned == UInt64(size))
        let stats = run.statistics
        #expect(stats.readpageFallbacks == 0)
        #expect(stats.asyncReadFailures == 0)
        // 15 pages (61,440 bytes) per READ_ANDX, and windows split runs: at least the minimum.
        let pages = (size + 4095) / 4096
        #expect(stats.asyncReads >= (pages + 14) / 15)
        #expect(stats.asyncReads <= pages)
        #expect(stats.readsIssued == stats.asyncReads)
        #expect(stats.bytesRead == UInt64(size))
        #expect(run.server?.reads == stats.asyncReads)
    }

    @Test("stepped: byte-exact with a small window and an rsize of 3 pages", arguments: [0, 1, 4097, 50_000])
    func stepped(size: Int) throws {
        let content = Harness.pattern(size, seed: 11)
        let run = try ReadaheadHarness.readFromPipeServer(
            SteppedRuntime(seed: 9), content: content, rsize: 3 * 4096, readaheadPages: 8, chunkSize: 8192)
        #expect(run.bytes == content)
        #expect(run.statistics.readpageFallbacks == 0)
        let pages = (size + 4095) / 4096
        #expect(run.statistics.asyncReads >= (pages + 2) / 3)
    }

    @Test("several windows: the window grows to ra_pages and several reads are in flight at once")
    func multiWindow() throws {
        let size = 3 << 20
        let content = Harness.pattern(size, seed: 5)
        let run = try ReadaheadHarness.readFromPipeServer(
            FreeRunRuntime(seed: 4), content: content, rsize: 61_440, readaheadPages: 256, chunkSize: 1 << 20)
        #expect(run.bytes == content)
        let stats = run.statistics
        #expect(stats.readpageFallbacks == 0)
        // 768 pages in runs of at most 15: at least 52 reads.
        #expect(stats.asyncReads >= 52)
        #expect(stats.maxInFlight >= 2)
        #expect(stats.maxInFlight <= 50)  // MaxMpxCount
    }

    @Test("default read size: 1 MiB per READ_ANDX unsigned, 31 pages signed")
    func defaultReadSize() throws {
        let size = (3 << 20) + 5000
        let content = Harness.pattern(size, seed: 6)
        let unsigned = try ReadaheadHarness.readFromPipeServer(FreeRunRuntime(seed: 1), content: content)
        #expect(unsigned.bytes == content)
        // 769 pages: windows of up to 256 pages, runs of up to 256.
        #expect(unsigned.statistics.asyncReads >= 4)
        #expect(unsigned.statistics.asyncReads <= 8)
        let signed = try ReadaheadHarness.readFromPipeServer(
            FreeRunRuntime(seed: 1), content: content, sign: true, signing: .required)
        #expect(signed.bytes == content)
        #expect(signed.statistics.asyncReads >= 25)  // 769 / 31
        #expect(signed.statistics.readpageFallbacks == 0)
        #expect(signed.statistics.signatureFailures == 0)
    }

    @Test("rsize not a multiple of a page: runs of floor(rsize / 4096) pages", arguments: [10_000, 65_535])
    func oddRsize(rsize: Int) throws {
        let size = 200_000
        let content = Harness.pattern(size, seed: 8)
        let run = try ReadaheadHarness.readFromPipeServer(
            FreeRunRuntime(seed: 2), content: content, rsize: rsize, readaheadPages: 64)
        #expect(run.bytes == content)
        #expect(run.statistics.readpageFallbacks == 0)
        let pagesPerRead = rsize / 4096
        #expect(run.statistics.asyncReads >= (49 + pagesPerRead - 1) / pagesPerRead)
    }

    @Test("rsize below a page: cifs_readpages sends nothing, every page comes from readpage")
    func rsizeBelowAPage() throws {
        let content = Harness.pattern(10_000, seed: 12)
        let run = try ReadaheadHarness.readFromPipeServer(
            FreeRunRuntime(seed: 2), content: content, rsize: 1000, readaheadPages: 16)
        #expect(run.bytes == content)
        #expect(run.statistics.asyncReads == 0)
        #expect(run.statistics.readpageFallbacks == 3)
        // Each page by 1000-byte synchronous reads: 5 + 5 + 3 (1000, 808, then 0 at end of file).
        #expect(run.statistics.readsIssued == 13)
    }

    @Test("readahead off (ra_pages 0): every page by a synchronous readpage")
    func readaheadOff() throws {
        let content = Harness.pattern(5 * 4096 + 7, seed: 13)
        let run = try ReadaheadHarness.readFromPipeServer(
            FreeRunRuntime(seed: 2), content: content, readaheadPages: 0)
        #expect(run.bytes == content)
        #expect(run.statistics.asyncReads == 0)
        #expect(run.statistics.readpageFallbacks == 6)
    }
}
