import CIFSClient
import KernelRuntime
import SMBWire
import Testing

/// Seeded corruption of the READ_ANDX replies the async path receives: cifs_readv_receive must
/// end with the right bytes, wrong bytes flagged by a signature failure (signed), or a
/// ``CIFSError`` — never a trap, a hang or pages left locked.
@Suite("Readahead: mutated READ_ANDX replies")
struct ReadaheadMutationTests {
    static let content = Harness.pattern(150_000, seed: 77)

    @Test("300 seeded corruptions of one async READ_ANDX reply each, then the connection closes",
          .timeLimit(.minutes(3)))
    func seededCorruption() throws {
        var outcomes: [String: Int] = [:]
        for seed in 0..<300 {
            var random = SplitMix64(seed: UInt64(seed) &* 104_729)
            // NEGOTIATE, SESSION_SETUP, TREE_CONNECT, NT_CREATE, TRANS2, then 10 READ_ANDX of 4 pages.
            let target = 6 + random.below(10)
            let signed = seed % 2 == 1
            let runtime = FreeRunRuntime(seed: UInt64(seed))
            var config = FakeSMBServer.Configuration()
            config.files = ["\\data.bin": Self.content]
            config.signing = signed ? .enabled : .off
            let mutation = Harness.Box(random)
            let fake = FakeSMBServer(runtime: runtime, config: config) { index, request, reply in
                guard index == target, request.command == .readAndX else { return [.reply(reply)] }
                return [.raw(MutatedReplyTests.mutate(reply, &mutation.value)), .close]
            }
            var options = Harness.options(auth: .ntlm, sign: signed, rsize: 16 * 1024)
            options.reconnectDelay = 1_000
            options.readaheadPages = 16
            do {
                let run = try ReadaheadHarness.read(runtime, options: options, path: "data.bin", connect: fake.connect)
                if run.bytes == Self.content {
                    outcomes["ok", default: 0] += 1
                } else {
                    #expect(run.bytes.count == Self.content.count, "seed \(seed): \(run.bytes.count) bytes")
                    if signed {
                        #expect(run.statistics.signatureFailures > 0, "seed \(seed): wrong bytes unnoticed")
                    }
                    outcomes["wrong bytes", default: 0] += 1
                }
            } catch let error as CIFSError {
                outcomes["CIFSError", default: 0] += 1
                _ = error.description
            }
        }
        #expect(outcomes["ok", default: 0] > 100)
        print("mutated async replies:", outcomes.sorted { $0.key < $1.key })
    }
}
