import Crypto
import Foundation
import Testing

/// The stepper's traces for fixed scenarios, recorded before the client core's read path was
/// reworked for speed (issue 14, commit 003f0a6) and compared byte for byte since: the page
/// cache may change its representation, never what the stepper shows (every lock, unlock and
/// wake-up, in the same order, with the same bytes).
///
/// Each scenario is run by the real `cifstep trace` in its own process; the JSON document is
/// hashed (SHA-256) and its event count compared. When one differs, the message gives the command
/// that reproduces the file, to diff against one made by the recording commit
/// (`git worktree add /tmp/rec 003f0a6` and the same command there; `cifstep diff A.json B.json`
/// names the first event that differs).
@Suite("Recorded traces")
struct RecordedTraceTests {
    struct Recorded: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        var events: Int
        var sha256: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let recorded: [Recorded] = [
        // The default scenario: NTLMSSP, 3.8's rsize and readahead, the teaching policy.
        Recorded(arguments: ["--file", "random-256k.bin"], events: 1651,
                 sha256: "ae12d967b302107234b5e89c31e8590f8d9d583d1ecec28d3b0cfd68723df358"),
        // Signed, with the seeded-random scheduler: cifsd, cifsiod and the reader interleave.
        Recorded(arguments: ["--file", "random-256k.bin", "--sign", "--policy", "random", "--seed", "7"], events: 1827,
                 sha256: "393dda8f1ca42987e8f575ed4558bc2fddabfa7ffbad38d37d2fd71403ae2be6"),
        // A failed async read: its pages unlocked not uptodate, the reader's synchronous readpage.
        Recorded(arguments: ["--auth", "ntlm", "--sign", "--file", "random-256k.bin", "--fault", "read-error:2"],
                 events: 2682, sha256: "db4fb5fad5c584c5f4e8239f6c8a7bf5386915b979dbf8efd8c9491eb17b8ef8"),
        // A short reply (pages left for readpage) and a bad signature (logged, data used).
        Recorded(arguments: ["--auth", "ntlmv2", "--file", "random-256k.bin", "--fault", "short-read:1",
                             "--fault", "bad-signature:6", "--sign"],
                 events: 2499, sha256: "5713d0a58929b5e2fc742cf5ee9b890b1b83f48a4517221a66be780d0ff272bd"),
        // Many READ_ANDX in flight, eviction of consumed pages (a 1 MiB file through a 64-page window).
        Recorded(arguments: ["--file", "random-1m.bin", "--rsize", "16384", "--readahead", "64", "--seed", "3"],
                 events: 7271, sha256: "a300054bef6914ad852bbb3efc3a9d14a233af81d5a5c6b7992dba9aeb6238d9"),
        // A reconnect in the middle of the reads: mids failed with -EAGAIN, pages unlocked, sent again.
        Recorded(arguments: ["--file", "random-256k.bin", "--fault", "disconnect:7"], events: 3278,
                 sha256: "579b2d77368360488e5991520bb08f6483ac9d0c038a5d5b2f35e16c0ac218e3"),
        // A dropped reply: the run ends in a deadlock with the reader parked on a page lock.
        Recorded(arguments: ["--file", "random-256k.bin", "--fault", "drop-reply:7", "--keep-failed"], events: 573,
                 sha256: "7feaf0f2fd3aae5f5438eb8246be732f2a1741a0f7d6d4719ab61fbd303b9c79"),
    ]

    @Test("the same trace as recorded before the read path's rework", arguments: recorded)
    func sameTraceAsRecorded(_ recorded: Recorded) throws {
        try withTemporaryDirectory { dir in
            let file = dir.appendingPathComponent("trace.json").path
            let result = try CLIRunner.run(["trace"] + recorded.arguments + ["-o", file])
            let command = "cifstep trace " + recorded.arguments.joined(separator: " ") + " -o FILE.json"
            let bytes = try #require(FileManager.default.contents(atPath: file), "\(command) wrote nothing: \(result.stderr)")
            let document = try JSONSerialization.jsonObject(with: bytes) as? [String: Any]
            let events = document?["events"] as? [Any]
            #expect(events?.count == recorded.events, "\(command): \(result.stderr)")
            let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            #expect(digest == recorded.sha256, "\(command) differs from the recorded trace")
        }
    }
}
