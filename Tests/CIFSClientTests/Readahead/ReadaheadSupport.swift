import CIFSClient
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
    }

    /// A server with `files` in share `share` (user alice / Wonderland-42).
    static func server(_ runtime: any KernelRuntime, files: [String: [UInt8]], signing: SigningPolicy = .auto,
                       faults: FaultPlan = FaultPlan()) throws -> SMBServer {
        try SMBServer(configuration: SMBServerConfiguration(
            users: ["alice": "Wonderland-42"], shares: ["share": .memory(files)], signing: signing, faults: faults),
            runtime: runtime)
    }

    /// Mounts `options`, reads `path` whole through the page cache, unmounts.
    static func read(_ runtime: any KernelRuntime, options: MountOptions, path: String, chunkSize: Int = 1 << 20,
                     server: SMBServer? = nil,
                     connect: @escaping @Sendable () throws -> any Transport) throws -> Outcome {
        let data = Harness.Box<[UInt8]>([])
        let returned = Harness.Box<UInt64>(0)
        let mount = try Harness.withMount(runtime, options: options, connect: connect) { mount in
            try mount.mount()
            do {
                let file = try mount.open(path)
                returned.value = try mount.readThroughPageCache(file, chunkSize: chunkSize) { data.value += $0 }
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
                       cifsiodBatches: runtime.withLock { mount.cifsiod.batches })
    }

    /// Reads `content` as `data.bin` from a fresh in-process server over a pipe.
    static func readFromPipeServer(_ runtime: any KernelRuntime, content: [UInt8], auth: SecurityType = .ntlmssp,
                                   sign: Bool = false, signing: SigningPolicy = .auto, rsize: Int? = nil,
                                   readaheadPages: Int? = nil, chunkSize: Int = 1 << 20,
                                   faults: FaultPlan = FaultPlan()) throws -> Outcome {
        let server = try server(runtime, files: ["data.bin": content], signing: signing, faults: faults)
        var options = Harness.options(auth: auth, sign: sign, rsize: rsize, host: "pipe")
        options.readaheadPages = readaheadPages
        return try read(runtime, options: options, path: "data.bin", chunkSize: chunkSize, server: server) {
            let (client, serverEnd) = PipeTransport.makePair(runtime: runtime)
            server.serve(connection: serverEnd)
            return client
        }
    }
}
