@testable import CIFSClient
import KernelRuntime
import SMBServer
import SMBWire

/// Runs page-cache reads against the in-process server over a pipe, or against a lab over TCP.
enum ReadaheadHarness {
    /// What one run read and counted.
    struct Outcome {
        var bytes: [UInt8]
        var returned: UInt64
        var statistics: MountStatistics
        var server: SMBServerStatistics?
        var events: [TraceEvent]
        var decisions: Int
        var cifsiodBatches: Int
        /// Pages still pinned once the read returned (or failed).
        var pinnedAfterRead: Int?
        /// Sizes of the batches a gathering read handed to its sink.
        var batches: [Int] = []
        /// The page cache's counters and LRU lists once the read returned (or failed).
        var cache: PageCacheStatistics?
        var lru: [[Int]] = []
    }

    /// How a harness read takes the bytes.
    enum Sink {
        /// `readThroughPageCache(_:chunkSize:into:)`: copied to a user buffer per read(2).
        case copying
        /// `readThroughPageCache(_:chunkSize:gathering:)`: lent pages; throws `failure` at
        /// batch `failingAt` when set.
        case gathering(failingAt: Int? = nil, batching: Bool = true)
    }

    struct SinkFailure: Error {}

    /// A server with `files` in share `share` (user alice / Wonderland-42).
    static func server(_ runtime: any KernelRuntime, files: [String: [UInt8]], signing: SigningPolicy = .auto,
                       faults: FaultPlan = FaultPlan()) throws -> SMBServer {
        try SMBServer(configuration: SMBServerConfiguration(
            users: ["alice": "Wonderland-42"], shares: ["share": .memory(files)], signing: signing, faults: faults),
            runtime: runtime)
    }

    /// Mounts `options`, reads `path` whole through the page cache, unmounts.
    static func read(_ runtime: any KernelRuntime, options: MountOptions, path: String, chunkSize: Int = 1 << 20,
                     sink: Sink = .copying, server: SMBServer? = nil,
                     connect: @escaping @Sendable () throws -> any Transport) throws -> Outcome {
        let data = Harness.Box<[UInt8]>([])
        let returned = Harness.Box<UInt64>(0)
        let pinned = Harness.Box<Int?>(nil)
        let cache = Harness.Box<(PageCacheStatistics, [[Int]])?>(nil)
        let batches = Harness.Box<[Int]>([])
        let mount = try Harness.withMount(runtime, options: options, connect: connect) { mount in
            try mount.mount()
            do {
                let file = try mount.open(path)
                defer {
                    let mapping = runtime.withLock { file.mapping }
                    pinned.value = mapping?.pinnedPageCount
                    cache.value = mapping.map { ($0.statistics, [$0.lruOrder.unread, $0.lruOrder.consumed]) }
                }
                switch sink {
                case .copying:
                    returned.value = try mount.readThroughPageCache(file, chunkSize: chunkSize) { data.value += $0 }
                case let .gathering(failingAt, batching):
                    returned.value = try mount.readThroughPageCache(
                        file, chunkSize: chunkSize, batching: batching, gathering: { buffers in
                            if batches.value.count + 1 == failingAt { throw SinkFailure() }
                            batches.value.append(buffers.count)
                            for buffer in buffers { data.value += buffer }
                        }, progress: nil)
                }
                try mount.close(file)
            } catch {
                // Unmounting stops cifsd and cifsiod, so runMain returns with the error.
                try? mount.unmount()
                throw error
            }
            try mount.unmount()
        }
        var events: [TraceEvent] = []
        var decisions = 0
        if let stepped = runtime as? SteppedRuntime {
            events = stepped.trace.events
            decisions = stepped.decisions.count
        } else if let recorder = runtime.recorder {
            events = recorder.events
        }
        return Outcome(bytes: data.value, returned: returned.value, statistics: mount.statistics,
                       server: server?.statistics, events: events, decisions: decisions,
                       cifsiodBatches: runtime.withLock { mount.cifsiod.batches }, pinnedAfterRead: pinned.value,
                       batches: batches.value, cache: cache.value?.0, lru: cache.value?.1 ?? [])
    }

    /// Reads `content` as `data.bin` from a fresh in-process server over a pipe.
    static func readFromPipeServer(_ runtime: any KernelRuntime, content: [UInt8], auth: SecurityType = .ntlmssp,
                                   sign: Bool = false, signing: SigningPolicy = .auto, rsize: Int? = nil,
                                   readaheadPages: Int? = nil, chunkSize: Int = 1 << 20, sink: Sink = .copying,
                                   faults: FaultPlan = FaultPlan()) throws -> Outcome {
        let server = try server(runtime, files: ["data.bin": content], signing: signing, faults: faults)
        var options = Harness.options(auth: auth, sign: sign, rsize: rsize, host: "pipe")
        options.readaheadPages = readaheadPages
        return try read(runtime, options: options, path: "data.bin", chunkSize: chunkSize, sink: sink, server: server) {
            let (client, serverEnd) = PipeTransport.makePair(runtime: runtime)
            server.serve(connection: serverEnd)
            return client
        }
    }
}
