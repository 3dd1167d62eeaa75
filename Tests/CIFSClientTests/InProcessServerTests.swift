import CIFSClient
import KernelRuntime
import SMBServer
import SMBWire
import Testing

/// The client core against the in-process ``SMBServer`` over a pipe: every authentication
/// form, every signing policy — old-style signing included, which Samba never does — and the
/// server's fault hooks.
@Suite("Client core against the in-process server")
struct InProcessServerTests {
    static let content = Harness.pattern(300_000)
    static let small = Harness.pattern(64 * 1024, seed: 64)

    static func server(_ runtime: any KernelRuntime, signing: SigningPolicy = .auto,
                       faults: FaultPlan = FaultPlan()) throws -> SMBServer {
        try SMBServer(configuration: SMBServerConfiguration(
            users: ["alice": "Wonderland-42"],
            shares: ["share": .memory(["hello.txt": Harness.helloText, "data.bin": content,
                                      "small.bin": small])],
            signing: signing, faults: faults), runtime: runtime)
    }

    static func connect(_ server: SMBServer) -> @Sendable () throws -> any Transport {
        { [runtime = server.runtime] in
            let (client, serverEnd) = PipeTransport.makePair(runtime: runtime)
            server.serve(connection: serverEnd)
            return client
        }
    }

    struct Case: Sendable, CustomStringConvertible {
        var auth: SecurityType
        var sign: Bool
        var policy: SigningPolicy
        var description: String { "\(auth)\(sign ? " --sign" : "") vs signing \(policy.rawValue)" }
        /// Whether the session ends up signed.
        var signed: Bool { policy == .required || (policy == .auto && sign) }
    }

    static let cases: [Case] = SecurityType.allCases.flatMap { auth in
        [Case(auth: auth, sign: false, policy: .off), Case(auth: auth, sign: false, policy: .auto),
         Case(auth: auth, sign: true, policy: .auto), Case(auth: auth, sign: false, policy: .required),
         Case(auth: auth, sign: true, policy: .required)]
    }

    @Test("every auth form and signing policy: the bytes arrive, every signature verifies", arguments: cases)
    func matrix(_ c: Case) throws {
        let runtime = FreeRunRuntime(seed: 41)
        let server = try Self.server(runtime, signing: c.policy)
        let (data, mount) = try Harness.fetch(runtime, options: Harness.options(auth: c.auth, sign: c.sign),
                                              path: "data.bin", connect: Self.connect(server))
        #expect(data == Self.content)
        let stats = mount.statistics
        #expect(stats.signatureFailures == 0)
        // After SESSION_SETUP: TREE_CONNECT, NT_CREATE, TRANS2, 5 READs, CLOSE, TDIS, LOGOFF.
        #expect(stats.signaturesVerified == (c.signed ? 11 : 0))
        #expect(mount.server.signingEnabled == c.signed)
    }

    @Test("--sign against signing off fails the mount")
    func signingOff() throws {
        let runtime = FreeRunRuntime(seed: 42)
        let server = try Self.server(runtime, signing: .off)
        let error = Harness.Box<CIFSError?>(nil)
        try Harness.withMount(runtime, options: Harness.options(auth: .ntlmssp, sign: true), connect: Self.connect(server)) { mount in
            do { try mount.mount() } catch let e as CIFSError { error.value = e }
        }
        #expect(error.value == .signingNotSupported("signing required but server lacks support"))
    }

    @Test("fault: the server fails the 2nd read with a status")
    func failReadFault() throws {
        let runtime = FreeRunRuntime(seed: 44)
        let server = try Self.server(runtime, faults: FaultPlan(failRead: [1: .accessDenied]))
        let error = Harness.Box<CIFSError?>(nil)
        try Harness.withMount(runtime, options: Harness.options(auth: .ntlmv2), connect: Self.connect(server)) { mount in
            try mount.mount()
            let file = try mount.open("data.bin")
            do { _ = try mount.read(file, offset: 0, count: 1000) } catch let e as CIFSError { error.value = e }
            try mount.close(file)
            try mount.unmount()
        }
        #expect(error.value == .status(.accessDenied, command: .readAndX))
    }

    @Test("fault: a handle the server invalidated is STATUS_INVALID_HANDLE (-EBADF): 3.8's sync read does not reopen it")
    func invalidatedHandleFault() throws {
        let runtime = FreeRunRuntime(seed: 47)
        let server = try Self.server(runtime, faults: FaultPlan(invalidateHandleAfterRead: [1]))
        let error = Harness.Box<CIFSError?>(nil)
        let first = Harness.Box<[UInt8]>([])
        try Harness.withMount(runtime, options: Harness.options(auth: .ntlm), connect: Self.connect(server)) { mount in
            try mount.mount()
            let file = try mount.open("data.bin")
            first.value = try mount.read(file, offset: 0, count: 1000)
            do { _ = try mount.read(file, offset: 1000, count: 1000) } catch let e as CIFSError { error.value = e }
            try? mount.close(file)
            try mount.unmount()
        }
        #expect(first.value == Array(Self.content[0..<1000]))
        #expect(error.value == .status(.invalidHandle, command: .readAndX))
        #expect(error.value?.errno == -9)
    }

    @Test("fault: a rejected authentication is STATUS_LOGON_FAILURE")
    func rejectAuthenticationFault() throws {
        let runtime = FreeRunRuntime(seed: 46)
        let server = try Self.server(runtime, faults: FaultPlan(rejectAuthentication: [1]))
        let error = Harness.Box<CIFSError?>(nil)
        try Harness.withMount(runtime, options: Harness.options(auth: .ntlmssp), connect: Self.connect(server)) { mount in
            do { try mount.mount() } catch let e as CIFSError { error.value = e }
        }
        #expect(error.value == .status(.logonFailure, command: .sessionSetupAndX))
    }

    @Test("stepped: NTLMSSP login + 64 KiB read against the in-process server twice with one seed: identical events")
    func steppedDeterminism() throws {
        func once() throws -> [TraceEvent] {
            let runtime = SteppedRuntime(seed: 2013)
            let server = try Self.server(runtime, signing: .auto)
            let (data, _) = try Harness.fetch(runtime, options: Harness.options(auth: .ntlmssp, sign: true, rsize: 16 * 1024),
                                              path: "small.bin", connect: Self.connect(server))
            #expect(data == Self.small)
            return runtime.trace.events
        }
        let first = try once()
        #expect(first == (try once()))
        #expect(first.count > 100)
    }
}
