import CIFSClient
import KernelRuntime
import SMBServer
import SMBWire

extension StepperProgram {
    /// The stepper's program: the kernel-shaped client mounts `//cifstep/share`, opens the
    /// scenario's file, reads it through the page cache (readahead and the async READ_ANDX
    /// path, as `read(2)` does), closes it and unmounts — against the in-process server, over
    /// an in-memory pipe.
    ///
    /// Threads, in spawn order: `reader` (1), `smbd` (2), then `cifsd` (3) at mount and
    /// `cifsiod` (4) at the first page-cache read. If opening or reading fails, the reader
    /// still unmounts, so every thread ends and the run reports the reader's own error (not a
    /// deadlock). The server's user database and share come from the scenario.
    ///
    /// With ``Scenario/server`` set, the same client core reads from that real server instead
    /// (``cifsRead(_:link:)`` on a new link).
    public static func cifsRead(_ scenario: Scenario) -> StepperProgram {
        if let server = scenario.server {
            return cifsRead(scenario, link: ServerLink(host: server.host, port: server.port))
        }
        return cifsRead(scenario, files: DemoFiles.share(for: scenario.file))
    }

    /// The client core mounts ``Scenario/server``'s share and reads ``Scenario/file`` from that
    /// real server over TCP, through `link` — live, or replaying what `link` logged (a link made
    /// from a saved recording has no network at all).
    ///
    /// Threads: `reader` (1), then `cifsd` (2) at mount and `cifsiod` (3) at the first
    /// page-cache read; the server is not a thread of the run, its bytes arrive through `link`
    /// at scheduling decisions (``ExternalInput``).
    public static func cifsRead(_ scenario: Scenario, link: ServerLink) -> StepperProgram {
        StepperProgram(paths: .clientCore.merging(.clientMessages), link: link) { runtime in
            let feed = link.makeFeed(for: runtime)
            let mount = CIFSMount(runtime: runtime, options: scenario.mountOptions) { try feed.connect() }
            let reader = ReaderState(runtime: runtime)
            // SMB1 separates path components with backslashes.
            let path = scenario.file.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "\\")
            runtime.spawn(name: "reader") {
                try reader.run(mount: mount, path: path)
            }
            return CIFSReadRun(mount: mount, reader: reader, trace: runtime.trace, server: nil, source: nil)
        }
    }

    /// `cifsRead` with the share's files given (made once per scenario, shared by replays);
    /// `adjustServer` lets a test break the server's configuration.
    /// `mountOptions` lets a test mount as `cifstep get` does.
    static func cifsRead(
        _ scenario: Scenario, files: [String: [UInt8]],
        adjustServer: (@Sendable (inout SMBServerConfiguration) -> Void)? = nil,
        mountOptions: (@Sendable (MountOptions) -> MountOptions)? = nil
    ) -> StepperProgram {
        StepperProgram(paths: .clientCore.merging(.clientMessages)) { runtime in
            var configuration = SMBServerConfiguration(
                users: [scenario.user: scenario.password], shares: [DemoFiles.shareName: .memory(files)],
                signing: scenario.signing.serverPolicy)
            adjustServer?(&configuration)
            let server: SMBServer
            do {
                server = try SMBServer(configuration: configuration, runtime: runtime)
            } catch {
                throw ProgramStartError(reason: "the server did not start: \(error)")
            }
            let (clientEnd, serverEnd) = PipeTransport.makePair(runtime: runtime, names: ("client", "server"))
            // The first connection's pipe exists from the start (smbd is thread 2); a reconnect
            // (cifs_reconnect after the connection dropped) gets a new pipe and a new smbd.
            let connections = PipeConnections(first: clientEnd, runtime: runtime, server: server)
            let options = mountOptions?(scenario.mountOptions) ?? scenario.mountOptions
            let mount = CIFSMount(runtime: runtime, options: options) { connections.next() }
            let reader = ReaderState(runtime: runtime)
            let path = scenario.file
            runtime.spawn(name: "reader") {
                try reader.run(mount: mount, path: path)
            }
            server.serve(connection: serverEnd, peer: "pipe")
            return CIFSReadRun(mount: mount, reader: reader, trace: runtime.trace, server: server,
                               source: files[path] ?? [])
        }
    }
}

/// The client ends of the pipes to the in-process server: the first made with the program, each
/// later one (a reconnect) made on demand with the server serving its other end.
final class PipeConnections: @unchecked Sendable {
    private let runtime: any KernelRuntime
    private let server: SMBServer
    private var first: PipeTransport?
    private var made = 1

    init(first: PipeTransport, runtime: any KernelRuntime, server: SMBServer) {
        self.first = first
        self.runtime = runtime
        self.server = server
    }

    func next() -> PipeTransport {
        let (fresh, number) = runtime.withLock { () -> (PipeTransport?, Int) in
            defer { first = nil; made += 1 }
            return (first, made)
        }
        if let fresh { return fresh }
        let (client, serverEnd) = PipeTransport.makePair(
            runtime: runtime, names: ("client \(number)", "server \(number)"))
        server.serve(connection: serverEnd, peer: "pipe \(number)")
        return client
    }
}

/// Why a program could not start.
struct ProgramStartError: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}

/// What the reader thread did: the file it opened, the bytes it read, the error it met.
/// Written by the reader under the runtime lock; read by the controller between steps.
final class ReaderState: @unchecked Sendable {
    private let runtime: any KernelRuntime
    private var bytes: [UInt8] = []
    private var openFile: OpenFile?
    private var error: ProgramFailure?

    init(runtime: any KernelRuntime) {
        self.runtime = runtime
    }

    var output: [UInt8] { runtime.withLock { bytes } }
    var file: OpenFile? { runtime.withLock { openFile } }
    var failure: ProgramFailure? { runtime.withLock { error } }

    /// The reader thread's body: mount, open, read, close, unmount — and on a failure after the
    /// mount, unmount anyway (so cifsd, cifsiod and the server end) before reporting it.
    func run(mount: CIFSMount, path: String) throws {
        do {
            try mount.mount()
        } catch {
            record(error)
            throw error
        }
        do {
            let file = try mount.open(path)
            runtime.withLock { openFile = file }
            try mount.readThroughPageCache(file) { buffer in
                let piece = Array(buffer)
                runtime.withLock { bytes.append(contentsOf: piece) }
            }
            try mount.close(file)
        } catch {
            record(error)
            if !(error is RuntimeAbort) {
                do {
                    try mount.unmount()
                } catch let abort as RuntimeAbort {
                    throw abort
                } catch {
                    // Already failing: the first error is the one to report.
                }
            }
            throw error
        }
        try mount.unmount()
    }

    private func record(_ failure: any Error) {
        guard !(failure is RuntimeAbort) else { return }
        let errno = (failure as? CIFSError)?.errno
        runtime.withLock {
            if error == nil { error = ProgramFailure(thread: "reader", error: String(describing: failure), errno: errno) }
        }
    }
}

/// The started ``StepperProgram/cifsRead(_:)``: its state is the mount's (``StateSnapshot``)
/// and, read off the trace, the last SMB message the client sent and received (`last.sent`,
/// `last.received`).
final class CIFSReadRun: StepperProgramRun {
    let mount: CIFSMount
    let reader: ReaderState
    let trace: TraceRecorder
    /// The in-process server, whose fault plan ``arm(_:)`` changes; `nil` against a real server.
    let server: SMBServer?

    /// The file as the share holds it, to check what the reader got (unknown for a real server).
    let source: [UInt8]?

    init(mount: CIFSMount, reader: ReaderState, trace: TraceRecorder, server: SMBServer?, source: [UInt8]?) {
        self.mount = mount
        self.reader = reader
        self.trace = trace
        self.server = server
        self.source = source
    }

    var firstWrongByte: Int? {
        guard let source else { return nil }
        let got = reader.output
        return zip(got, source).enumerated().first { $0.element.0 != $0.element.1 }?.offset
    }

    /// Arms `fault` in the server's plan: the server counts requests, replies, reads and logins
    /// from its start, so "the Nth from now" is its count so far plus N.
    func arm(_ fault: StepperFault) throws(StepperError) -> String {
        guard let server else {
            throw StepperError.faultRefused(
                "faults are made by the embedded server, and this run reads from a real one; "
                    + "'reset server=embedded' steps the same scenario against the embedded server")
        }
        let counts = server.statistics
        switch fault {
        case let .badSignature(n):
            server.updateFaults { $0.corruptSignature.insert(counts.replies + n) }
            return "the server corrupts the signature of its reply \(counts.replies + n) (\(fault.target)); "
                + "only a signing client notices"
        case let .readError(n):
            let status = NTStatus.unexpectedIOError
            server.updateFaults { $0.failRead[counts.reads + n] = status }
            return "the server answers its READ_ANDX \(counts.reads + n) (\(fault.target)) with \(status.name)"
        case let .shortRead(n):
            server.updateFaults { $0.shortenRead[counts.reads + n] = FaultPlan.defaultShortRead }
            return "the server answers its READ_ANDX \(counts.reads + n) (\(fault.target)) with at most "
                + "\(FaultPlan.defaultShortRead) data bytes"
        case .wrongPassword:
            server.updateFaults { $0.rejectAuthentication.insert(counts.authentications + 1) }
            return "the server refuses login \(counts.authentications + 1) (the next) with STATUS_LOGON_FAILURE"
        case let .disconnect(n):
            server.updateFaults { $0.closeConnectionAtRequest.insert(counts.requests + n) }
            return "the server drops the connection at its request \(counts.requests + n) (\(fault.target)), "
                + "before answering it"
        case let .dropReply(n):
            server.updateFaults { $0.dropReply.insert(counts.replies + n) }
            return "the server never sends its reply \(counts.replies + n) (\(fault.target))"
        case let .staleHandle(n):
            server.updateFaults { $0.invalidateHandleAfterRead.insert(counts.reads + n) }
            return "the server forgets the file handle once it has served its READ_ANDX \(counts.reads + n) "
                + "(\(fault.target))"
        }
    }

    func state(prefix: String?) -> [StateEntry] {
        var entries = StateSnapshot(mount: mount, file: reader.file, prefix: prefix).entries.map {
            StateEntry(path: $0.path, value: StateValue($0.value))
        }
        for path in StatePaths.clientMessages.patterns.map(\.pattern) where prefix.map(path.hasPrefix) ?? true {
            if let value = value(at: path) { entries.append(StateEntry(path: path, value: value)) }
        }
        return entries
    }

    func value(at path: String) -> StateValue? {
        if let phase = Self.messagePaths[path] { return lastMessage(phase).map { .bytes($0.buffer.bytes) } }
        return StateSnapshot.value(at: path, mount: mount, file: reader.file).map(StateValue.init)
    }

    func buffer(at path: String) -> (buffer: TraceBuffer, event: TraceEvent)? {
        Self.messagePaths[path].flatMap(lastMessage)
    }

    var output: [UInt8] { reader.output }
    var failure: ProgramFailure? { reader.failure }

    // MARK: The last message

    private static let messagePaths: [String: TracePhase] = ["last.sent": .send, "last.received": .receive]
    /// `0xFF 'SMB'`: a buffer holding an SMB message (not an RFC 1002 header).
    private static let smbProtocol: [UInt8] = [0xFF, 0x53, 0x4D, 0x42]

    /// The buffer of the client's last `phase` event that holds an SMB message, and that event.
    /// Client events are those of functions the catalogue does not list as the server's; the
    /// RFC 1002 header cifsd reads first is not a message, so it is passed over.
    private func lastMessage(_ phase: TracePhase) -> (buffer: TraceBuffer, event: TraceEvent)? {
        // Walk back one event at a time: copying a long run's events for every read would make
        // a watch on `last.sent` cost the whole trace at each step.
        for sequence in stride(from: trace.count, through: 1, by: -1) {
            guard let event = trace.event(sequence: sequence), event.phase == phase else { continue }
            guard TracepointCatalogue.builtIn.entry(event.function)?.side != "server",
                  let buffer = event.buffers.last(where: { $0.bytes.starts(with: Self.smbProtocol) }) else { continue }
            return (buffer, event)
        }
        return nil
    }
}

extension StatePaths {
    /// The client's last messages, read off the trace (``StepperProgram/cifsRead(_:)``).
    public static let clientMessages = StatePaths([
        StatePathPattern("last.sent", kind: .bytes,
                         summary: "the last SMB message the client sent, as sent (print shows its fields)"),
        StatePathPattern("last.received", kind: .bytes,
                         summary: "the last SMB message the client received (of a READ_ANDX reply, the header and words: the data went into the pages)"),
    ])
}
