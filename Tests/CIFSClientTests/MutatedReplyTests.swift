import CIFSClient
import KernelRuntime
import SMBWire
import Testing

/// Seeded corruption of real replies: whatever the peer sends, the client ends with the right
/// bytes, wrong bytes flagged by a signature failure, or a ``CIFSError`` — never a trap, a hang
/// or another error type.
@Suite("Mutated replies")
struct MutatedReplyTests {
    static let content = Harness.pattern(70_000)

    /// The framed reply with one seeded corruption.
    static func mutate(_ reply: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        var framed = (try? NBSSFrame.encode(reply)) ?? reply
        switch random.below(5) {
        case 0:  // flip a few bytes anywhere, framing included
            for _ in 0...random.below(4) { framed[random.below(framed.count)] ^= UInt8(1 + random.below(255)) }
        case 1:  // cut the message short, keeping the header's length
            framed = Array(framed.prefix(4 + random.below(framed.count - 4)))
        case 2:  // cut it short and fix the NBSS length
            let body = Array(reply.prefix(random.below(reply.count)))
            framed = (try? NBSSFrame.encode(body)) ?? body
        case 3:  // append garbage inside the frame
            let extra = (0..<(1 + random.below(600))).map { _ in UInt8(random.below(256)) }
            framed = (try? NBSSFrame.encode(reply + extra)) ?? framed
        default:  // corrupt a header field: WordCount, ByteCount, status, flags, MID
            let offsets = [4 + 4, 4 + 9, 4 + 10, 4 + 30, 4 + 32, 4 + 33, 4 + 34]
            let at = offsets[random.below(offsets.count)]
            if at < framed.count { framed[at] = UInt8(random.below(256)) }
        }
        return framed
    }

    @Test("400 seeded corruptions of one reply each, signed and unsigned", .timeLimit(.minutes(2)))
    func seededCorruption() throws {
        var outcomes: [String: Int] = [:]
        for seed in 0..<400 {
            var random = SplitMix64(seed: UInt64(seed) &* 7919)
            let target = 1 + random.below(12)  // which request's reply to corrupt
            let signed = seed % 2 == 0
            let runtime = FreeRunRuntime(seed: UInt64(seed))
            var config = FakeSMBServer.Configuration()
            config.files = ["\\data.bin": Self.content]
            config.signing = signed ? .enabled : .off
            let mutation = Harness.Box(random)
            let fake = FakeSMBServer(runtime: runtime, config: config) { index, _, reply in
                guard index == target else { return [.reply(reply)] }
                return [.raw(Self.mutate(reply, &mutation.value)), .close]
            }
            var options = Harness.options(auth: .ntlm, sign: signed, rsize: 16 * 1024)
            options.reconnectDelay = 1_000
            do {
                let (data, mount) = try Harness.fetch(runtime, options: options, path: "data.bin", connect: fake.connect)
                if data == Self.content {
                    outcomes["ok", default: 0] += 1
                } else {
                    // Without signing nothing can tell; with it the corruption must have been noticed.
                    if signed {
                        #expect(mount.statistics.signatureFailures > 0,
                                "seed \(seed): wrong bytes unnoticed, target \(target), \(data.count) bytes, commands \(fake.commands.map(\.name)), stats \(mount.statistics)")
                    }
                    outcomes["wrong bytes", default: 0] += 1
                }
            } catch let error as CIFSError {
                outcomes["CIFSError", default: 0] += 1
                _ = error.description
            }
        }
        #expect(outcomes["ok", default: 0] > 100)
        print("mutated replies:", outcomes.sorted { $0.key < $1.key })
    }
}
