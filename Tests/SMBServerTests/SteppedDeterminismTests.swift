import KernelRuntime
import SMBWire
import Testing
@testable import SMBServer

/// The server under the stepped runtime: one event at a time, identical for one seed.
@Suite("Stepped runtime determinism")
struct SteppedDeterminismTests {
    private func run(seed: UInt64) throws -> [TraceEvent] {
        let runtime = SteppedRuntime(seed: seed)
        let server = try SMBServer(configuration: TestData.configuration(signing: .required), runtime: runtime)
        try runtime.runMain {
            let (clientEnd, serverEnd) = PipeTransport.makePair(runtime: runtime)
            server.serve(connection: serverEnd)
            let client = ScriptedClient(clientEnd)
            _ = try client.negotiate(extended: false)
            try client.loginOldStyle(user: "alice", password: "Wonderland-42", ntlmv2: true)
            _ = try client.treeConnect("share")
            if let fid = try client.open("\\dir\\random-1m.bin").response?.fid {
                _ = try client.read(fid: fid, offset: 0, count: 65536)
                _ = try client.close(fid: fid)
            }
            clientEnd.close()
        }
        return runtime.trace.events
    }

    @Test func sameSeedSameEvents() throws {
        let first = try run(seed: 42)
        let second = try run(seed: 42)
        #expect(first.count > 20)
        #expect(first == second)
        let functions = first.filter { $0.threadName == "smbd" }.map(\.function)
        for name in ["receive_smb_talloc", "reply_negprot", "reply_sesssetup_and_X", "srv_calculate_sign_mac",
                     "srv_check_sign_mac", "reply_tcon_and_X", "reply_ntcreate_and_X", "reply_read_and_X", "srv_send_smb"] {
            #expect(functions.contains(name), "\(name)")
        }
        // The 64 KiB read reply is in the trace, signed, with its bytes.
        let readReply = first.last { $0.function == "srv_send_smb" && $0.message.hasPrefix("READ_ANDX") }
        #expect(readReply?.buffers.first?.bytes.count == 65536 + 60)
        // Another seed, another challenge: the traces differ.
        #expect(try run(seed: 43) != first)
    }
}
