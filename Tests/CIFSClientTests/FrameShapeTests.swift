import CIFSClient
import KernelRuntime
import SMBServer
import SMBWire
import Testing

/// Every traced function of the client core is a frame: an `enter`, the events of its body, an
/// `exit` — on every thread, on the normal path and on the failure paths (a reconnect, a server
/// error, a bad signature).
@Suite("Client frames: enter and exit pair, every event inside its function's frame")
struct FrameShapeTests {
    static let clientThreads: Set<String> = ["reader", "cifsd", "cifsiod", "main"]

    @Test("a signed 256 KiB page-cache read, stepped")
    func signedPageCacheRead() throws {
        let run = try ReadaheadDeterminismTests.run(seed: 77)
        #expect(run.bytes == ReadaheadDeterminismTests.content)
        #expect(FrameCheck.violations(run.events, threads: Self.clientThreads) == [])
        #expect(FrameCheck.midLifetimeProblems(run.events) == [])
        // The nested signature frame sits inside both the signer and the verifier: its parent is
        // the innermost open frame of its thread when it is entered.
        var stacks: [Int: [String]] = [:]
        var parents: Set<String> = []
        var signatures = 0
        for event in run.events where Self.clientThreads.contains(event.threadName) {
            switch event.phase {
            case .enter:
                if event.function == "cifs_calculate_signature" {
                    signatures += 1
                    parents.insert(stacks[event.threadID, default: []].last ?? "none")
                }
                stacks[event.threadID, default: []].append(event.function)
            case .exit:
                if event.function == "cifs_calculate_signature" {
                    #expect(event.buffers.first { $0.name == "signature" }?.bytes.count == 8)
                }
                stacks[event.threadID, default: []].removeLast()
            default: break
            }
        }
        #expect(signatures > 10)
        #expect(parents == ["cifs_sign_smb", "cifs_verify_signature"])
    }

    @Test("a dropped connection: cifs_reconnect, -EAGAIN, reopen and readpage, stepped")
    func reconnect() throws {
        let content = Harness.pattern(500_000, seed: 24)
        let run = try ReadaheadHarness.readFromPipeServer(
            SteppedRuntime(seed: 18), content: content, rsize: 61_440, readaheadPages: 128,
            faults: FaultPlan(closeConnectionAtRequest: [10]))
        #expect(run.bytes == content)
        #expect(run.events.contains { $0.function == "cifs_reconnect" && $0.phase == .enter })
        #expect(FrameCheck.violations(run.events, threads: Self.clientThreads) == [])
        // The mids cifs_reconnect failed with -EAGAIN are freed by their callback or SendReceive.
        #expect(FrameCheck.midLifetimeProblems(run.events) == [])
        #expect(run.events.contains { $0.function == "DeleteMidQEntry" && $0.message.contains("(retryNeeded)") })
    }

    @Test("a server error on a READ_ANDX: cifs_readv_discard and the readpage fallback, stepped")
    func serverError() throws {
        let content = Harness.pattern(400_000, seed: 21)
        let run = try ReadaheadHarness.readFromPipeServer(
            SteppedRuntime(seed: 17), content: content, rsize: 61_440, readaheadPages: 128,
            faults: FaultPlan(failRead: [3: .accessDenied]))
        #expect(run.bytes == content)
        #expect(run.events.contains { $0.function == "cifs_readv_discard" })
        #expect(FrameCheck.violations(run.events, threads: Self.clientThreads) == [])
        #expect(FrameCheck.midLifetimeProblems(run.events) == [])
        // The discard and the failed read's completion name their READ_ANDX.
        let discards = run.events.filter { $0.function == "cifs_readv_discard" }
        #expect(discards.allSatisfy { $0.mid != nil && $0.mid == discards.first?.mid })
        let failed = run.events.first { $0.function == "DeleteMidQEntry" && $0.message.contains("(responseMalformed)") }
        #expect(failed?.mid == discards.first?.mid)
    }

    @Test("old-style NTLM with signing and a corrupted reply signature, free-run with a recorder")
    func corruptedSignature() throws {
        let runtime = FreeRunRuntime(seed: 3, recorder: TraceRecorder())
        var config = FakeSMBServer.Configuration()
        config.signing = .enabled
        config.files = ["\\data.bin": Harness.pattern(100_000, seed: 9)]
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
        #expect(data == Harness.pattern(100_000, seed: 9))
        #expect(mount.statistics.signatureFailures == 1)
        let events = runtime.recorder?.events ?? []
        #expect(FrameCheck.violations(events, threads: Self.clientThreads) == [])
    }
}
