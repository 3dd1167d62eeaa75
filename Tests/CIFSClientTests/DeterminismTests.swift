import CIFSClient
import KernelRuntime
import SMBWire
import Testing

@Suite("Stepped runtime")
struct DeterminismTests {
    /// Login (NTLMSSP with signing, so the client challenge, exported key, MIDs and PID all come
    /// from the runtime) and a 64 KiB read, on a fresh stepped runtime.
    static func run(seed: UInt64) throws -> (events: [TraceEvent], data: [UInt8], decisions: Int) {
        let runtime = SteppedRuntime(seed: seed)
        var config = FakeSMBServer.Configuration()
        config.extendedSecurity = true
        config.signing = .enabled
        config.files = ["\\data.bin": Harness.pattern(64 * 1024)]
        let fake = FakeSMBServer(runtime: runtime, config: config)
        let options = Harness.options(auth: .ntlmssp, sign: true, rsize: 16 * 1024)
        let (data, mount) = try Harness.fetch(runtime, options: options, path: "data.bin", connect: fake.connect)
        // Every reply after the login is signed and verified: one per request after the two
        // SESSION_SETUP_ANDX (see `messages`).
        #expect(mount.statistics.signaturesVerified == messages.count - 3)
        return (runtime.trace.events, data, runtime.decisions.count)
    }

    /// The requests of `run`, in order: NEGOTIATE, the NTLMSSP login (NEGOTIATE and
    /// AUTHENTICATE, one SESSION_SETUP_ANDX each), the tree, the open and its QUERY_FILE_INFO,
    /// the 64 KiB file in rsize (16 KiB) reads, then CLOSE, TREE_DISCONNECT and LOGOFF.
    static let messages: [SMBCommand] = [.negotiate, .sessionSetupAndX, .sessionSetupAndX, .treeConnectAndX,
                                         .ntCreateAndX, .transaction2]
        + Array(repeating: .readAndX, count: 64 / 16) + [.close, .treeDisconnect, .logoffAndX]

    @Test("login + 64 KiB read twice with one seed: identical event streams")
    func identicalEventStreams() throws {
        let first = try Self.run(seed: 42)
        let second = try Self.run(seed: 42)
        #expect(first.data == Harness.pattern(64 * 1024))
        #expect(second.data == first.data)
        #expect(first.events.count > 100)
        #expect(first.events.count == second.events.count)
        #expect(first.events == second.events)
        #expect(first.decisions == second.decisions)
        // Every thread took part: the reader, cifsd and the peer's smbd.
        let threads = Set(first.events.map(\.threadName))
        #expect(threads == ["reader", "cifsd", "smbd"])
        for function in ["CIFSSMBNegotiate", "CIFS_SessSetup", "calc_seckey", "cifs_sign_smb", "smb_send",
                         "cifs_demultiplex_thread", "standard_receive3", "dequeue_mid", "cifs_verify_signature",
                         "CIFSTCon", "CIFSSMBOpen", "CIFSSMBQFileInfo", "CIFSSMBRead", "CIFSSMBClose", "CIFSSMBTDis",
                         "CIFSSMBLogoff"] {
            #expect(first.events.contains { $0.function == function }, "no \(function) event")
        }
    }

    @Test("another seed schedules differently but reads the same bytes")
    func otherSeed() throws {
        let first = try Self.run(seed: 42)
        let other = try Self.run(seed: 7)
        #expect(other.data == first.data)
        // The random inputs differ, so the traced bytes do too.
        #expect(other.events != first.events)
    }

    @Test("sent packets carry their SMBWire field spans")
    func annotatedBuffers() throws {
        let result = try Self.run(seed: 1)
        let sends = result.events.filter { $0.function == "smb_send" && $0.phase == .send }
        let sent = try sends.map { try SMBHeader.peek(#require($0.buffers.first).bytes).command }
        #expect(sent == Self.messages)
        let negotiate = try #require(sends.first?.buffers.first)
        #expect(negotiate.name == "request")
        #expect(negotiate.spans.contains { $0.name == "header.Command" && $0.range == 4..<5 })
        #expect(negotiate.spans.contains { $0.name.hasPrefix("NegotiateRequest.Dialects[1]") })
    }

    @Test("the open asks for what cifs_open asked, in SMBWire's typed values: GENERIC_READ, FILE_OPEN, not a directory")
    func openRequest() throws {
        let result = try Self.run(seed: 3)
        let buffers = result.events.filter { $0.function == "smb_send" && $0.phase == .send }.compactMap(\.buffers.first)
        let open = try #require(buffers.first { (try? SMBHeader.peek($0.bytes).command) == .ntCreateAndX })
        let request = try NTCreateAndXRequest.decodePacket(open.bytes).value.body
        #expect(request.access == .genericRead)
        #expect(request.disposition == .open)
        #expect(!request.disposition.mayCreate)
        #expect(request.options == .nonDirectoryFile)
        #expect(request.access.isDisjoint(with: .modifying))
    }
}
