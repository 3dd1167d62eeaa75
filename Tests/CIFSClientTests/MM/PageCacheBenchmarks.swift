import CIFSClient
import Foundation
import KernelRuntime
import Testing

/// Page-cache hot path throughput, printed only: run with
/// `CIFSTEP_BENCH=1 swift test -c release --filter PageCacheBenchmarks`.
/// No timing assertions (the machine is shared); the checks only guard correctness.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["CIFSTEP_BENCH"] != nil))
struct PageCacheBenchmarks {
    /// A file system whose reads complete at once, inside readpages: what is left is the page
    /// cache's own cost — find, allocate/evict, add (lock), complete (uptodate + unlock),
    /// lock_page_killable/unlock on the reader side, copy out.
    final class InstantOperations: AddressSpaceOperations, @unchecked Sendable {
        func readpages(_ mapping: PageCache, _ pages: [Page]) throws {
            var added: [Page] = []
            added.reserveCapacity(pages.count)
            for page in pages {
                try mapping.addToPageCacheLRU(page, index: page.index)
                page.withUnsafeMutableBytes { buffer in
                    buffer.storeBytes(of: UInt64(page.index), toByteOffset: 0, as: UInt64.self)
                }
                added.append(page)
            }
            try mapping.completeRead(added, uptodate: true)
        }

        func readpage(_ mapping: PageCache, _ page: Page) throws {
            try mapping.markUptodate(page)
            try mapping.unlockPage(page)
        }
    }

    @Test(arguments: [32, 256, 1024])
    func twoHundredFiftySixMebibytes(raPages: Int) throws {
        let size = 256 << 20
        let rt: any KernelRuntime = FreeRunRuntime(seed: 0)
        let cache = PageCache(
            runtime: rt, fileSize: Int64(size), capacity: PageCache.defaultCapacity(readaheadPages: raPages))
        let ops = InstantOperations()
        let ra = FileReadaheadState(raPages: raPages)
        let user = UserBuffer(byteCount: 1 << 20)
        let total = MMBox(0)
        let checksum = MMBox(UInt64(0))
        let start = DispatchTime.now().uptimeNanoseconds
        try rt.runMain(name: "reader") {
            var position: Int64 = 0
            while true {
                var filled = 0
                let n = try cache.doGenericFileRead(ra, operations: ops, position: &position, count: 1 << 20) { chunk in
                    // The copy to user space (file_read_actor's copy_to_user).
                    UnsafeMutableRawBufferPointer(rebasing: user.bytes[filled..<(filled + chunk.count)])
                        .copyMemory(from: chunk)
                    filled += chunk.count
                }
                if n == 0 { break }
                checksum.value &+= user.bytes.load(fromByteOffset: 0, as: UInt64.self)
                total.value += n
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let pages = Double(size / 4096)
        print(String(
            format: "BENCH page cache, ra_pages %d: 256 MiB = 65,536 pages in %.3f s = %.2f M pages/s = %.2f GB/s (%.0f ns/page), peak frames %d",
            raPages, seconds, pages / seconds / 1e6, Double(size) / seconds / 1e9, seconds * 1e9 / pages,
            cache.statistics.peakFrames))
        #expect(total.value == size)
        // First word of each 1 MiB chunk = index of its first page.
        #expect(checksum.value == (0..<256).reduce(0) { $0 + UInt64($1 * 256) })
    }

    /// The same read with completions on a separate cifsiod thread (64 KiB batches), so the
    /// reader really sleeps in lock_page_killable and is woken by unlock_page; the fake also
    /// writes every byte of each page (as the socket receive would).
    @Test(arguments: [32, 1024])
    func twoHundredFiftySixMebibytesThroughCifsiod(raPages: Int) throws {
        let size = 256 << 20
        let start = DispatchTime.now().uptimeNanoseconds
        let run = try MMHarness.read(
            runtime: FreeRunRuntime(seed: 0), fileSize: size, raPages: raPages, batchPages: 16, chunk: 1 << 20,
            limit: size, keepBytes: false)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let pages = Double(size / 4096)
        print(String(
            format: "BENCH page cache + cifsiod thread, ra_pages %d: 65,536 pages in %.3f s = %.2f M pages/s = %.2f GB/s (%.0f ns/page), peak frames %d",
            raPages, seconds, pages / seconds / 1e6, Double(size) / seconds / 1e9, seconds * 1e9 / pages,
            run.cache.statistics.peakFrames))
        #expect(run.bytes.isEmpty)
        #expect(run.finalPosition == Int64(size))
    }

    /// The reader's user-space buffer.
    final class UserBuffer: @unchecked Sendable {
        let bytes: UnsafeMutableRawBufferPointer
        init(byteCount: Int) { bytes = .allocate(byteCount: byteCount, alignment: 64) }
        deinit { bytes.deallocate() }
    }
}
