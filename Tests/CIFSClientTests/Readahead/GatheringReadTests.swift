import CIFSClient
import KernelRuntime
import Testing

/// `cifstep get`'s read: the page cache lends its pages to the sink (one `writev` a batch)
/// instead of copying each read(2) into a user buffer. Same bytes, same requests, and every page
/// given back — also when the sink fails.
@Suite("Gathering read: pages lent to the sink, no copy")
struct GatheringReadTests {
    static let content = Harness.pattern(3_000_000 + 4321, seed: 11)

    static func run(_ sink: ReadaheadHarness.Sink, sign: Bool = false, chunkSize: Int = 1 << 20)
        throws -> ReadaheadHarness.Outcome {
        try ReadaheadHarness.readFromPipeServer(
            FreeRunRuntime(seed: 3), content: content, sign: sign, signing: sign ? .required : .auto,
            rsize: 61_440, readaheadPages: 32, chunkSize: chunkSize, sink: sink)
    }

    @Test("the same bytes and the same READ_ANDX as the copying read; no page left pinned", arguments: [false, true])
    func sameAsCopying(sign: Bool) throws {
        let copying = try Self.run(.copying, sign: sign)
        let gathering = try Self.run(.gathering(), sign: sign)
        #expect(copying.bytes == Self.content)
        #expect(gathering.bytes == Self.content)
        #expect(gathering.returned == UInt64(Self.content.count))
        // read(2) sizes are the same, so readahead asks for the same windows.
        #expect(gathering.statistics.readsIssued == copying.statistics.readsIssued)
        #expect(gathering.statistics.asyncReads == copying.statistics.asyncReads)
        #expect(gathering.statistics.readpageFallbacks == 0)
        // The batched fast path leaves the cache as the page-by-page path does: the same
        // evictions and readahead, the same pages consumed in the same order.
        let roomy = try Self.run(.gathering(batching: false), sign: sign)
        #expect(roomy.bytes == Self.content)
        #expect(gathering.cache?.syncReadaheads == roomy.cache?.syncReadaheads)
        #expect(gathering.cache?.asyncReadaheads == roomy.cache?.asyncReadaheads)
        #expect(gathering.cache?.readaheadPages == roomy.cache?.readaheadPages)
        #expect(gathering.cache?.evictions == roomy.cache?.evictions)
        #expect(gathering.cache?.readaheadAllocationFailures == 0)
        #expect(gathering.lru == roomy.lru)
        #expect(copying.pinnedAfterRead == 0)
        #expect(gathering.pinnedAfterRead == 0)
        // Every batch but the last of each read(2) is full: 1 MiB reads are 256 pages = 4 batches of 64.
        let pages = (Self.content.count + 4095) / 4096
        #expect(gathering.batches.reduce(0, +) == pages)
        #expect(gathering.batches.allSatisfy { $0 <= CIFSMount.gatheringBatchPages })
        #expect(gathering.batches.prefix(4) == [64, 64, 64, 64])
    }

    @Test("a sink that fails stops the read with its error and every lent page is given back")
    func failingSink() throws {
        var caught: (any Error)?
        do {
            _ = try Self.run(.gathering(failingAt: 3))
        } catch {
            caught = error
        }
        #expect(caught is ReadaheadHarness.SinkFailure)
    }

    @Test("pages are given back when the sink fails: nothing pinned after the error")
    func failingSinkReleasesPages() throws {
        let runtime = FreeRunRuntime(seed: 4)
        let pinned = Harness.Box<Int?>(nil)
        let server = try ReadaheadHarness.server(runtime, files: ["data.bin": Self.content])
        let options = Harness.options(auth: .ntlmssp, sign: false, rsize: 61_440, host: "pipe")
        _ = try Harness.withMount(runtime, options: options, connect: {
            let (client, serverEnd) = PipeTransport.makePair(runtime: runtime)
            server.serve(connection: serverEnd)
            return client
        }) { mount in
            try mount.mount()
            let file = try mount.open("data.bin")
            var batches = 0
            do {
                try mount.readThroughPageCache(file, gathering: { _ in
                    batches += 1
                    if batches == 2 { throw ReadaheadHarness.SinkFailure() }
                })
                Issue.record("the failing sink did not stop the read")
            } catch is ReadaheadHarness.SinkFailure {}
            pinned.value = runtime.withLock { file.mapping }?.pinnedPageCount
            try mount.close(file)
            try mount.unmount()
        }
        #expect(pinned.value == 0)
    }
}
