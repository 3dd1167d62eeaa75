import CIFSClient
import KernelRuntime
import SMBServer
import SMBWire

/// One steppable run of a flow: the kernel-shaped client reading a file from the in-process
/// server over an in-memory pipe, on a ``SteppedRuntime``.
///
/// Going back is a replay: a fresh runtime with the same seed follows the recorded
/// scheduling decisions up to the wanted event, so every earlier state is exactly recomputed.
final class StepSession {
    struct Scenario: Equatable {
        var auth: SecurityType = .ntlmssp
        var sign = false
        var signing: SigningPolicy = .auto
        var file = "hello.txt"
        var seed: UInt64 = 1
        var rsize: Int? = nil
    }

    private(set) var scenario: Scenario
    private(set) var runtime: SteppedRuntime
    /// Set once every thread has finished (or failed).
    private(set) var finished = false
    private(set) var failure: String?
    /// What the reader thread got back, when it finished.
    private let result = ResultBox()

    init(_ scenario: Scenario) {
        self.scenario = scenario
        runtime = SteppedRuntime(seed: scenario.seed, policy: .seededRandom)
        start()
    }

    var events: [TraceEvent] { runtime.trace.events }
    var position: Int { runtime.recordedEventCount }
    var readBytes: [UInt8] { result.bytes }

    /// Runs one event; nil when the run is over.
    @discardableResult
    func step() -> TraceEvent? {
        guard !finished else { return nil }
        do {
            if let event = try runtime.step() { return event }
            finish(nil)
        } catch {
            finish("\(error)")
        }
        return nil
    }

    /// Steps until `stop` says so (checked after each event) or the run ends.
    func run(until stop: (TraceEvent) -> Bool) -> [TraceEvent] {
        var seen: [TraceEvent] = []
        while let event = step() {
            seen.append(event)
            if stop(event) { break }
        }
        return seen
    }

    /// Re-runs from the start to event `target` (0 = before the first event).
    func rewind(to target: Int) {
        begin(on: runtime.makeReplay())
        while position < max(0, target), step() != nil {}
    }

    /// Ends the run, releasing its threads.
    func abort() {
        runtime.abort()
        finished = true
    }

    /// Starts over with another scenario.
    func restart(_ newScenario: Scenario) {
        scenario = newScenario
        begin(on: SteppedRuntime(seed: newScenario.seed, policy: .seededRandom))
    }

    /// Ends the current run and starts the scenario on `fresh`.
    private func begin(on fresh: SteppedRuntime) {
        runtime.abort()
        runtime = fresh
        finished = false
        failure = nil
        result.bytes = []
        start()
    }

    private func finish(_ reason: String?) {
        finished = true
        failure = reason
        if reason != nil { runtime.abort() }
    }

    private func start() {
        let scenario = self.scenario
        let runtime = self.runtime
        let result = self.result
        let (clientEnd, serverEnd) = PipeTransport.makePair(runtime: runtime, names: ("client", "server"))
        let config = SMBServerConfiguration(
            users: ["alice": "Wonderland-42"], shares: ["share": .memory(DemoShare.files)], signing: scenario.signing)
        let options = MountOptions(host: "cifstep", share: "share", user: "alice", password: "Wonderland-42",
                                   auth: scenario.auth, sign: scenario.sign, rsize: scenario.rsize)
        runtime.spawn(name: "reader") {
            let mount = CIFSMount(runtime: runtime, options: options) { clientEnd }
            try mount.mount()
            let file = try mount.open(scenario.file)
            var bytes: [UInt8] = []
            // The page cache, readahead and async READ_ANDX path (cifs_readpages), as read(2) would.
            try mount.readThroughPageCache(file, into: { bytes.append(contentsOf: $0) })
            result.set(bytes)
            try mount.close(file)
            try mount.unmount()
        }
        if let server = try? SMBServer(configuration: config, runtime: runtime) {
            server.serve(connection: serverEnd, peer: "pipe")
        }
    }

    final class ResultBox: @unchecked Sendable {
        var bytes: [UInt8] = []
        func set(_ b: [UInt8]) { bytes = b }
    }
}
