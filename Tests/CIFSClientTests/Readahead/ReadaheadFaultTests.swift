import CIFSClient
import KernelRuntime
import SMBServer
import SMBWire
import Testing

/// What happens when an async read does not make its pages uptodate: a server error, a short
/// signed reply, a reconnect. The reader falls back to `cifs_readpage` and still gets every byte.
@Suite("Readahead: failures take the readpage fallback")
struct ReadaheadFaultTests {
    @Test("the server fails the 3rd READ_ANDX: its 15 pages come from readpage, the bytes are right",
          arguments: ["free-run", "stepped"])
    func serverErrorOnNthRead(mode: String) throws {
        let runtime: any KernelRuntime = mode == "stepped" ? SteppedRuntime(seed: 17) : FreeRunRuntime(seed: 17)
        let size = 400_000
        let content = Harness.pattern(size, seed: 21)
        let run = try ReadaheadHarness.readFromPipeServer(
            runtime, content: content, rsize: 61_440, readaheadPages: 128,
            faults: FaultPlan(failRead: [3: .accessDenied]))
        #expect(run.bytes == content)
        let stats = run.statistics
        #expect(stats.asyncReadFailures == 1)
        // The failed read covered 15 pages; each is read on its own, synchronously.
        #expect(stats.readpageFallbacks == 15)
        #expect(stats.readsIssued == stats.asyncReads + 15)
        #expect(run.server?.reads == stats.readsIssued)
        if mode == "stepped" {
            let functions = run.events.map(\.function)
            for name in ["cifs_readv_discard", "cifs_readpage", "CIFSSMBRead"] {
                #expect(functions.contains(name), "no \(name) event")
            }
            let discard = run.events.first { $0.function == "cifs_readv_discard" }
            #expect(discard?.message.contains("ACCESS_DENIED") == true)
        }
    }

    @Test("every read of a window fails: all of its pages come from readpage")
    func everyReadFails() throws {
        let content = Harness.pattern(100_000, seed: 22)
        let failures = Dictionary(uniqueKeysWithValues: (1...4).map { ($0, NTStatus.fileLockConflict) })
        let run = try ReadaheadHarness.readFromPipeServer(
            FreeRunRuntime(seed: 2), content: content, rsize: 8 * 4096, readaheadPages: 32,
            faults: FaultPlan(failRead: failures))
        #expect(run.bytes == content)
        #expect(run.statistics.asyncReadFailures == 4)
        #expect(run.statistics.readpageFallbacks == 25)  // 100,000 bytes = 25 pages
    }

    @Test("signed replies capped at 131,011 bytes with rsize 256 KiB: the page cut short and the ones after it come from readpage")
    func shortSignedReplies() throws {
        let size = 600_000
        let content = Harness.pattern(size, seed: 23)
        let run = try ReadaheadHarness.readFromPipeServer(
            FreeRunRuntime(seed: 5), content: content, sign: true, signing: .required, rsize: 64 * 4096,
            readaheadPages: 256)
        #expect(run.bytes == content)
        let stats = run.statistics
        #expect(stats.signatureFailures == 0)
        // Every async reply and every sync reply verified: all but NEGOTIATE and the two session setups.
        #expect(stats.signaturesVerified == stats.requestsSent - 3)
        #expect(stats.readpageFallbacks > 0)
        #expect(stats.asyncReadFailures == 0)
    }

    @Test("a corrupted signature on an async READ_ANDX reply: -EACCES recorded on cifsd, the data used (as in 3.8)")
    func corruptedSignature() throws {
        let runtime = FreeRunRuntime(seed: 19, recorder: TraceRecorder())
        let content = Harness.pattern(200_000, seed: 25)
        // Reply 8: the second READ_ANDX (after NEGOTIATE, two SESSION_SETUPs, TREE_CONNECT, NT_CREATE, TRANS2).
        let run = try ReadaheadHarness.readFromPipeServer(
            runtime, content: content, sign: true, signing: .required, rsize: 61_440, readaheadPages: 64,
            faults: FaultPlan(corruptSignature: [8]))
        #expect(run.bytes == content)
        #expect(run.statistics.signatureFailures == 1)
        #expect(run.statistics.signaturesVerified == run.statistics.requestsSent - 4)
        let failures = run.events.filter { $0.function == "cifs_verify_signature" && $0.message.contains("-13") }
        #expect(failures.count == 1)
        #expect(failures.first?.threadName == "cifsd")
        #expect(failures.first?.message.contains("READ_ANDX") == true)
        #expect(run.statistics.readpageFallbacks == 0)
    }

    @Test("the connection drops at the 4th READ_ANDX: in-flight reads get -EAGAIN, readpage reconnects and reopens",
          arguments: ["free-run", "stepped"])
    func connectionDropped(mode: String) throws {
        let runtime: any KernelRuntime = mode == "stepped" ? SteppedRuntime(seed: 18) : FreeRunRuntime(seed: 18)
        let content = Harness.pattern(500_000, seed: 24)
        // NEGOTIATE, two SESSION_SETUPs, TREE_CONNECT, NT_CREATE, TRANS2, then the reads.
        let run = try ReadaheadHarness.readFromPipeServer(
            runtime, content: content, rsize: 61_440, readaheadPages: 128,
            faults: FaultPlan(closeConnectionAtRequest: [10]))
        #expect(run.bytes == content)
        let stats = run.statistics
        #expect(stats.reconnects == 1)
        #expect(stats.asyncReadFailures >= 1)
        #expect(stats.readpageFallbacks >= 15)
        if mode == "stepped" {
            let callbacks = run.events.filter { $0.function == "cifs_readv_callback" && $0.message.contains("-EAGAIN") }
            #expect(!callbacks.isEmpty)
            #expect(run.events.contains { $0.function == "cifs_reopen_file" })
        }
    }
}
