import CIFSClient
import KernelRuntime
import SMBWire
import Testing

@Suite("A reply that fails signature verification")
struct SignatureFailureTests {
    @Test("the read still returns the data; signatureFailures == 1 and -EACCES is traced")
    func corruptedSignature() throws {
        let runtime = FreeRunRuntime(seed: 31, recorder: TraceRecorder())
        let content = Harness.pattern(100_000)
        var config = FakeSMBServer.Configuration()
        config.files = ["\\data.bin": content]
        config.signing = .enabled
        let fired = Harness.Box(false)
        let fake = FakeSMBServer(runtime: runtime, config: config) { _, request, reply in
            guard request.command == .readAndX, !fired.value else { return [.reply(reply)] }
            fired.value = true
            var corrupted = reply
            corrupted[14] ^= 0x01
            return [.reply(corrupted)]
        }
        let (data, mount) = try Harness.fetch(runtime, options: Harness.options(auth: .ntlm, sign: true),
                                              path: "data.bin", connect: fake.connect)
        #expect(data == content)
        let stats = mount.statistics
        #expect(stats.signatureFailures == 1)
        // TREE_CONNECT, NT_CREATE, TRANS2, 2 READs (one corrupted), CLOSE, TDIS, LOGOFF.
        #expect(stats.signaturesVerified == 7)
        let failures = Harness.events(runtime.recorder, "cifs_verify_signature").filter { $0.message.contains("-13") }
        #expect(failures.count == 1)
        #expect(failures.first?.message.contains("EACCES") == true)
        #expect(failures.first?.phase == .exit)
        #expect(failures.first?.diff == [StateDiff(path: "server.signatureFailures", old: "0", new: "1")])
        #expect(runtime.withLock { mount.server.signatureFailures } == 1)
    }
}
