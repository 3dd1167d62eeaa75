@testable import CIFSClient
import KernelRuntime
import SMBWire
import Testing

/// The hook the async read path of the next issue builds on: a mid whose own `receive` takes
/// the READ_ANDX data off the socket straight into the caller's buffer, and whose `callback`
/// wakes the caller and returns the credit (`cifs_call_async`, `cifs_readv_receive`,
/// `cifs_readv_callback`).
@Suite("cifs_call_async with a custom receive")
struct AsyncReceiveTests {
    final class Landing: @unchecked Sendable {
        var buffer = [UInt8](repeating: 0, count: 8192)
        var received = -1
        var done = false
        let queue = WaitQueue("landing")
    }

    @Test("READ_ANDX data lands in the caller's buffer without passing through standard_receive3",
          arguments: ["free-run", "stepped"])
    func customReceive(mode: String) throws {
        let runtime: any KernelRuntime = mode == "stepped" ? SteppedRuntime(seed: 5)
            : FreeRunRuntime(seed: 5, recorder: TraceRecorder())
        let content = Harness.pattern(20_000)
        var config = FakeSMBServer.Configuration()
        config.files = ["\\data.bin": content]
        let fake = FakeSMBServer(runtime: runtime, config: config)
        let landing = Landing()
        try Harness.withMount(runtime, options: Harness.options(), connect: fake.connect) { mount in
            try mount.mount()
            let file = try mount.open("data.bin")
            let session = mount.session
            let header = session.headerAssemble(.readAndX, tree: mount.tree)
            let request = try encodeRequest(header, ReadAndXRequest(fid: file.fid, offset: 4000, count: 8192))
            _ = try session.callAsync(request, function: "test", receive: { server, mid, frame in
                // The fixed part up to the pad, then the data straight into the landing buffer.
                let rest = try frame.read(ReadAndXResponse.fixedPartSize - frame.header.count)
                let located = try ReadAndXResponse.locateData(fixedPart: frame.header + rest, messageLength: frame.length)
                _ = try frame.read(located.dataRange.lowerBound - ReadAndXResponse.fixedPartSize)
                try landing.buffer.withUnsafeMutableBytes { raw in
                    try frame.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<located.dataRange.count]))
                }
                runtime.withLock { landing.received = located.dataRange.count }
                try server.dequeueMid(mid, response: frame.header, malformed: nil)
            }, callback: { mid in
                runtime.withLock {
                    landing.done = true
                    runtime.wakeAll(landing.queue)
                }
                // The callback owns the mid and the credit.
                try session.server.deleteMidQEntry(mid)
                try session.server.addCredits()
            })
            try runtime.withLock { try runtime.wait(on: landing.queue) { landing.done } }
            try mount.close(file)
            try mount.unmount()
        }
        #expect(landing.received == 8192)
        #expect(landing.buffer == Array(content[4000..<12192]))
        // The reply never went through standard_receive3.
        let after = Harness.events(runtime.recorder, "standard_receive3").filter {
            $0.message.contains("READ_ANDX response")
        }
        #expect(after.isEmpty)
        #expect(runtime.withLock { fake.requestCount } == 9)
        // Every mid allocated was freed once: the test's own, and each synchronous request's.
        let allocated = Harness.events(runtime.recorder, "allocate_mid").filter { $0.phase == .enter }
        let freed = Harness.events(runtime.recorder, "DeleteMidQEntry").filter { $0.phase == .enter }
        #expect(allocated.count == 9)
        #expect(freed.compactMap(\.mid).sorted() == allocated.compactMap(\.mid).sorted())
        #expect(Set(allocated.compactMap(\.mid)).count == 9)
    }
}
