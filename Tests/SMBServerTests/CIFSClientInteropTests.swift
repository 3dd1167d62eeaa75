import CIFSClient
import KernelRuntime
import SMBWire
import Testing
@testable import SMBServer

/// The client core (CIFSClient) against this server over an in-memory pipe: every auth mode,
/// signed and unsigned — including old-style signing, which only this pair can prove.
@Suite("CIFSClient against the server over a pipe")
struct CIFSClientInteropTests {
    struct Outcome: Sendable {
        var hello: [UInt8] = []
        var big: [UInt8] = []
        var statistics = MountStatistics()
    }

    private func mountAndRead(_ configuration: SMBServerConfiguration, auth: SecurityType, sign: Bool,
                              rsize: Int? = nil, seed: UInt64 = 21) throws -> (Outcome, SMBServerStatistics) {
        let runtime = FreeRunRuntime(seed: seed)
        let server = try SMBServer(configuration: configuration, runtime: runtime)
        let box = Box<Outcome>()
        try runtime.runMain {
            let options = MountOptions(host: "cifstep", share: "share", user: "alice", password: "Wonderland-42",
                                       domain: "WORKGROUP", auth: auth, sign: sign, rsize: rsize,
                                       reconnectDelay: 1_000_000)
            let mount = CIFSMount(runtime: runtime, options: options) {
                let (client, serverEnd) = PipeTransport.makePair(runtime: runtime)
                server.serve(connection: serverEnd)
                return client
            }
            try mount.mount()
            var outcome = Outcome()
            let hello = try mount.open("hello.txt")
            outcome.hello = try mount.read(hello, offset: 0, count: 4096)
            try mount.close(hello)
            let big = try mount.open("dir/random-1m.bin")
            try mount.read(big, into: { outcome.big += $0 })
            try mount.close(big)
            try mount.unmount()
            outcome.statistics = mount.statistics
            box.value = outcome
        }
        return (try #require(box.value), server.statistics)
    }

    @Test(arguments: [SecurityType.ntlm, .ntlmv2, .ntlmssp])
    func readsSignedUnderRequired(auth: SecurityType) throws {
        let log = EventLog()
        let (outcome, server) = try mountAndRead(TestData.configuration(signing: .required, log: log.sink),
                                                 auth: auth, sign: true, rsize: 1 << 20)
        #expect(outcome.hello == TestData.hello)
        #expect(outcome.big == TestData.big)
        #expect(outcome.statistics.signatureFailures == 0)
        #expect(outcome.statistics.signaturesVerified > 10)
        // rsize 1 MiB, but signed replies are capped at 131011 bytes: the client loops, and
        // every READ_ANDX the server saw was answered.
        #expect(server.reads == outcome.statistics.readsIssued)
        #expect(outcome.statistics.readsIssued >= 1 + (1 << 20) / 131_011 + 1)
        let expected: (AuthMode, ServerLogEvent.Wrapping) = switch auth {
        case .ntlm: (.ntlm, .none)
        case .ntlmv2: (.ntlmv2, .none)
        default: (.ntlmsspV2, .raw)
        }
        #expect(log.authentications == [.authentication(connection: 1, user: "alice", domain: "WORKGROUP",
                                                        mode: expected.0, wrapping: expected.1, status: .success,
                                                        signing: true)])
    }

    @Test(arguments: [SecurityType.ntlm, .ntlmv2, .ntlmssp])
    func readsUnsigned(auth: SecurityType) throws {
        let (outcome, _) = try mountAndRead(TestData.configuration(signing: .auto), auth: auth, sign: false)
        #expect(outcome.hello == TestData.hello)
        #expect(outcome.big == TestData.big)
        #expect(outcome.statistics.signaturesVerified == 0)
        // The default rsize, 60 KiB: 18 reads for 1 MiB; two for hello.txt (33 bytes, then the
        // empty read at end of file that ends cifs_read's loop).
        #expect(outcome.statistics.readsIssued == 20)
    }

    /// Client core and server under one stepped runtime: the same seed gives the same events,
    /// on both sides of the pipe.
    @Test func steppedRunIsDeterministic() throws {
        func run(seed: UInt64) throws -> [TraceEvent] {
            let runtime = SteppedRuntime(seed: seed)
            let server = try SMBServer(configuration: TestData.configuration(signing: .required), runtime: runtime)
            try runtime.runMain {
                let options = MountOptions(host: "cifstep", share: "share", user: "alice", password: "Wonderland-42",
                                           domain: "WORKGROUP", auth: .ntlmv2, sign: true)
                let mount = CIFSMount(runtime: runtime, options: options) {
                    let (client, serverEnd) = PipeTransport.makePair(runtime: runtime)
                    server.serve(connection: serverEnd)
                    return client
                }
                try mount.mount()
                let file = try mount.open("dir/random-1m.bin")
                _ = try mount.read(file, offset: 0, count: 65536)
                try mount.close(file)
                try mount.unmount()
            }
            return runtime.trace.events
        }
        let first = try run(seed: 5)
        #expect(first == (try run(seed: 5)))
        #expect(first.contains { $0.threadName == "smbd" && $0.function == "srv_check_sign_mac" })
        #expect(first.contains { $0.threadName != "smbd" && $0.function == "cifs_read" })
    }

    @Test func corruptedSignatureIsRecordedByTheClient() throws {
        // Replies: 1 NEGOTIATE, 2 SESSION_SETUP, 3 TREE_CONNECT, 4 NT_CREATE, 5 QUERY_FILE_INFO, 6 READ.
        let (outcome, _) = try mountAndRead(TestData.configuration(signing: .required,
                                                                   faults: FaultPlan(corruptSignature: [6])),
                                            auth: .ntlm, sign: true)
        // Like the 3.8 kernel, the client logs -EACCES, counts it, and uses the data.
        #expect(outcome.statistics.signatureFailures == 1)
        #expect(outcome.hello == TestData.hello)
    }

    @Test func reconnectsAfterTheServerDropsTheConnection() throws {
        let (outcome, server) = try mountAndRead(TestData.configuration(signing: .required,
                                                                        faults: FaultPlan(closeConnectionAtRequest: [12])),
                                                 auth: .ntlmssp, sign: true, rsize: 65536)
        #expect(outcome.big == TestData.big)
        #expect(outcome.statistics.reconnects >= 1)
        #expect(server.connectionsAccepted == 2)
    }

    /// The same over real TCP (what `cifstep get` against `cifstep serve` does): old-style
    /// NTLMv2 with signing, 1 MiB.
    @Test func overTCP() throws {
        let fixture = try TCPServerFixture(TestData.configuration(signing: .required))
        let port = fixture.port
        let runtime = FreeRunRuntime(seed: 8)
        let box = Box<([UInt8], MountStatistics)>()
        try runtime.runMain {
            let options = MountOptions(host: "127.0.0.1", share: "share", user: "alice", password: "Wonderland-42",
                                       auth: .ntlmv2, sign: true, rsize: 1 << 20)
            let mount = CIFSMount(runtime: runtime, options: options) {
                try TCPTransport.connect(host: "127.0.0.1", port: port)
            }
            try mount.mount()
            let file = try mount.open("dir/random-1m.bin")
            var data: [UInt8] = []
            try mount.read(file, into: { data += $0 })
            try mount.close(file)
            try mount.unmount()
            box.value = (data, mount.statistics)
        }
        try fixture.shutdown()
        let (data, statistics) = try #require(box.value)
        #expect(data == TestData.big)
        #expect(statistics.signatureFailures == 0 && statistics.signaturesVerified > 8)
    }
}
