import CIFSClient
import KernelRuntime
import SMBCrypto
import SMBWire
import Testing

/// Replies a broken or hostile server might send: typed errors, never a trap.
@Suite("Malformed replies and lost connections")
struct MalformedReplyTests {
    static let content = Harness.pattern(150_000)

    /// A scripted peer whose reply to the first request of `command` is replaced by `replace`.
    func server(_ runtime: any KernelRuntime, on command: SMBCommand, signing: FakeSMBServer.Signing = .off,
                refuseReconnects: Bool = false,
                replace: @escaping @Sendable (_ reply: [UInt8]) -> [FakeSMBServer.Action]) -> FakeSMBServer {
        var config = FakeSMBServer.Configuration()
        config.files = ["\\data.bin": Self.content]
        config.signing = signing
        config.refuseReconnects = refuseReconnects
        let fired = Harness.Box(false)
        return FakeSMBServer(runtime: runtime, config: config) { _, request, reply in
            guard request.command == command, !fired.value else { return [.reply(reply)] }
            fired.value = true
            return replace(reply)
        }
    }

    /// Mounts, opens data.bin, runs `body` on it, unmounts.
    func run(_ runtime: any KernelRuntime, _ fake: FakeSMBServer, options: MountOptions = Harness.options(),
             _ body: @escaping @Sendable (CIFSMount, OpenFile) throws -> Void) throws -> CIFSMount {
        try Harness.withMount(runtime, options: options, connect: fake.connect) { mount in
            try mount.mount()
            let file = try mount.open("data.bin")
            try body(mount, file)
            try mount.close(file)
            try mount.unmount()
        }
    }

    @Test("a truncated READ_ANDX reply fails checkSMB: -EIO, the connection stays usable")
    func truncatedReply() throws {
        let runtime = FreeRunRuntime(seed: 21)
        let fake = server(runtime, on: .readAndX) { reply in [.reply(Array(reply.dropLast(100)))] }
        let error = Harness.Box<CIFSError?>(nil)
        let after = Harness.Box<[UInt8]>([])
        let mount = try run(runtime, fake) { mount, file in
            do { _ = try mount.read(file, offset: 0, count: 4096) } catch let e as CIFSError { error.value = e }
            after.value = try mount.read(file, offset: 0, count: 4096)
        }
        guard case let .malformedReply(command, reason)? = error.value else {
            Issue.record("expected malformedReply, got \(String(describing: error.value))")
            return
        }
        #expect(command == .readAndX)
        #expect(reason.contains("smaller than"))
        #expect(error.value?.errno == -5)
        #expect(after.value == Array(Self.content[0..<4096]))
        #expect(mount.statistics.malformedFrames == 1)
        #expect(mount.statistics.reconnects == 0)
    }

    @Test("an NT_CREATE_ANDX reply with the wrong WordCount is a typed decode error")
    func wrongWordCount() throws {
        let runtime = FreeRunRuntime(seed: 22)
        let fake = server(runtime, on: .ntCreateAndX) { reply in
            // Same header, then WordCount 3 with three words and no bytes: well framed, wrong shape.
            var bytes = Array(reply[0..<32])
            bytes += [3, 0xFF, 0, 0, 0, 0, 0, 0, 0]
            return [.reply(bytes)]
        }
        let error = Harness.Box<CIFSError?>(nil)
        _ = try Harness.withMount(runtime, options: Harness.options(), connect: fake.connect) { mount in
            try mount.mount()
            do { _ = try mount.open("data.bin") } catch let e as CIFSError { error.value = e }
            try mount.unmount()
        }
        guard case let .malformedReply(command, reason)? = error.value else {
            Issue.record("expected malformedReply, got \(String(describing: error.value))")
            return
        }
        #expect(command == .ntCreateAndX)
        #expect(reason.contains("WordCount 3"))
    }

    @Test("a reply for an unknown MID is logged and dropped; the real reply still completes the read")
    func unknownMid() throws {
        let runtime = FreeRunRuntime(seed: 23, recorder: TraceRecorder())
        let fake = server(runtime, on: .readAndX) { reply in
            var stray = reply
            stray[30] = stray[30] &+ 77
            return [.reply(stray), .reply(reply)]
        }
        let data = Harness.Box<[UInt8]>([])
        let mount = try run(runtime, fake) { mount, file in
            data.value = try mount.read(file, offset: 1000, count: 5000)
        }
        #expect(data.value == Array(Self.content[1000..<6000]))
        #expect(mount.statistics.unknownFrames == 1)
        let notes = Harness.events(runtime.recorder, "cifs_demultiplex_thread").filter { $0.message.contains("No task to wake") }
        #expect(notes.count == 1)
    }

    @Test("a garbage NBSS type makes cifsd reconnect; the read reopens its handle and completes")
    func garbageNBSSTypeReconnects() throws {
        let runtime = FreeRunRuntime(seed: 24, recorder: TraceRecorder())
        let fake = server(runtime, on: .readAndX) { _ in [.raw([0x82, 0, 0, 0])] }
        let data = Harness.Box<[UInt8]>([])
        let fileBox = Harness.Box<OpenFile?>(nil)
        let mount = try run(runtime, fake) { mount, file in
            try mount.read(file) { data.value += $0 }
            fileBox.value = file
        }
        #expect(data.value == Self.content)
        #expect(mount.statistics.reconnects == 1)
        #expect(mount.statistics.malformedFrames == 1)
        #expect(fake.connections == 2)
        #expect(runtime.withLock { fileBox.value?.reopenCount } == 1)
        #expect(!Harness.events(runtime.recorder, "cifs_reconnect").isEmpty)
        #expect(!Harness.events(runtime.recorder, "cifs_reopen_file").isEmpty)
        // Second connection: NEGOTIATE, SESSION_SETUP, TREE_CONNECT, NT_CREATE (reopen), READs…
        let second = Array(fake.commands.drop(while: { $0 != .readAndX }).dropFirst())
        #expect(Array(second.prefix(4)) == [.negotiate, .sessionSetupAndX, .treeConnectAndX, .ntCreateAndX])
    }

    @Test("the server drops the connection mid-read: reconnect, reopen, the bytes are complete")
    func connectionClosed() throws {
        let runtime = FreeRunRuntime(seed: 25)
        let fake = server(runtime, on: .readAndX, signing: .required) { _ in [.close] }
        let data = Harness.Box<[UInt8]>([])
        let mount = try run(runtime, fake, options: Harness.options(auth: .ntlm)) { mount, file in
            try mount.read(file) { data.value += $0 }
        }
        #expect(data.value == Self.content)
        #expect(mount.statistics.reconnects == 1)
        // Signing restarts on the new connection; nothing failed verification either way.
        #expect(mount.statistics.signatureFailures == 0)
        #expect(fake.clientSignatureFailures == 0)
        #expect(fake.macKeys.count == 2)
    }

    @Test("when reconnecting keeps failing, the read fails with -EHOSTDOWN instead of hanging")
    func reconnectGivesUp() throws {
        let runtime = FreeRunRuntime(seed: 26)
        let fake = server(runtime, on: .readAndX, refuseReconnects: true) { _ in [.close] }
        let error = Harness.Box<CIFSError?>(nil)
        var options = Harness.options(reconnectAttempts: 2)
        options.reconnectDelay = 1_000_000
        _ = try run(runtime, fake, options: options) { mount, file in
            do { _ = try mount.read(file, offset: 0, count: 1000) } catch let e as CIFSError { error.value = e }
        }
        guard case .hostDown? = error.value else {
            Issue.record("expected hostDown, got \(String(describing: error.value))")
            return
        }
        #expect(error.value?.errno == -112)
    }

    @Test("under the stepped runtime the reconnect path is deterministic too")
    func steppedReconnect() throws {
        func once() throws -> ([TraceEvent], [UInt8]) {
            let runtime = SteppedRuntime(seed: 11)
            let fake = server(runtime, on: .readAndX, signing: .enabled) { _ in [.close] }
            let data = Harness.Box<[UInt8]>([])
            let mount = try run(runtime, fake, options: Harness.options(auth: .ntlmv2, sign: true)) { mount, file in
                try mount.read(file) { data.value += $0 }
            }
            #expect(mount.statistics.reconnects == 1)
            #expect(mount.statistics.signatureFailures == 0)
            return (runtime.trace.events, data.value)
        }
        let first = try once()
        let second = try once()
        #expect(first.1 == Self.content)
        #expect(first.0 == second.0)
        #expect(first.0.contains { $0.function == "cifs_reconnect_tcon" })
        #expect(first.0.contains { $0.function == "cifs_reopen_file" && $0.phase == .exit })
    }

    @Test("a reply that never comes: 3.8's synchronous wait has no timeout; the stepped runtime reports the deadlock")
    func droppedReplyDeadlock() throws {
        let runtime = SteppedRuntime(seed: 12)
        let fake = server(runtime, on: .readAndX) { _ in [] }
        let caught = Harness.Box<RuntimeError?>(nil)
        do {
            _ = try run(runtime, fake) { mount, file in
                _ = try mount.read(file, offset: 0, count: 100)
            }
        } catch let error as RuntimeError {
            caught.value = error
        }
        guard case let .deadlock(blocked)? = caught.value else {
            Issue.record("expected a deadlock report, got \(String(describing: caught.value))")
            return
        }
        let waits = blocked.map { "\($0.name): \($0.waitingFor)" }.sorted()
        #expect(waits.contains { $0.hasPrefix("reader: mid ") })
        #expect(waits.contains { $0.hasPrefix("cifsd: pipe") })
    }
}
