import Foundation
import Testing

/// `cifstep get` against a server that misbehaves on reads (``MisbehavingProxy`` in front of
/// `cifstep serve`): it never reports success with a wrong file, and never waits for ever.
@Suite struct GetMisbehavingServerTests {
    /// `serve` sharing a 1 MiB + 12,345-byte random file, behind the proxy in `mode`.
    final class Setup {
        let root: URL
        let file: Data
        let server: ServeProcess
        let proxy: MisbehavingProxy

        init(_ mode: MisbehavingProxy.Mode) throws {
            root = try Peers.temporaryDirectory()
            let share = root.appendingPathComponent("share")
            try FileManager.default.createDirectory(at: share, withIntermediateDirectories: true)
            var generator = SystemRandomNumberGenerator()
            file = Data((0..<(1 << 20) + 12_345).map { _ in UInt8.random(in: 0...255, using: &generator) })
            try file.write(to: share.appendingPathComponent("big.bin"))
            server = try ServeProcess(["--share", "data=\(share.path)", "--user", "alice:Wonderland-42"])
            proxy = try MisbehavingProxy(backendPort: server.port, mode: mode)
        }

        var output: URL { root.appendingPathComponent("out.bin") }

        func get(_ extra: [String] = []) throws -> Peers.Result {
            try Peers.run(Peers.cifstep, ["get", "//127.0.0.1:\(proxy.port)/data/big.bin", "-o", output.path,
                                          "--user", "alice", "--password", "Wonderland-42"] + extra)
        }

        deinit {
            proxy.close()
            _ = server.stop()
            try? FileManager.default.removeItem(at: root)
        }
    }

    @Test func aServerThatStopsShortFailsTheCopyAndWritesNothing() throws {
        let setup = try Setup(.zeroReads)
        let r = try setup.get()
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("short read: the server returned no data at offset"), "\(r.stderr)")
        #expect(r.stderr.contains("of a \(setup.file.count)-byte file"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: setup.output.path))
        // Nor under any other name.
        #expect(try FileManager.default.contentsOfDirectory(atPath: setup.root.path) == ["share"])
    }

    @Test func halfRepliesAreReadOnAtTheRightOffsetAndTheFileIsExact() throws {
        let setup = try Setup(.halfReads)
        let r = try setup.get(["--readahead", "64"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.contents(atPath: setup.output.path) == setup.file)
        // Short replies are not a reason to reconnect: each is a whole, well-formed frame (the
        // first asks for 128 KiB, so its reply's NBSS length needs more than 17 bits).
        #expect(setup.proxy.connectionsAccepted == 1)
    }

    @Test(arguments: [MisbehavingProxy.Mode.silentReads, .stallReads, .wrongMidReads, .keepAliveReads])
    func aServerThatNeverAnswersTimesOutAndWritesNothing(_ mode: MisbehavingProxy.Mode) throws {
        let setup = try Setup(mode)
        let started = Date()
        let r = try setup.get(["--timeout", "1"])
        let seconds = Date().timeIntervalSince(started)
        print("get against \(mode): failed after \(String(format: "%.2f", seconds)) s")
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("the server did not answer within 1 s"), "\(r.stderr)")
        // It names what it waited for: a page being read, or the reply to a READ_ANDX.
        #expect(r.stderr.contains("READ_ANDX"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: setup.output.path))
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }
}
