import Foundation
import KernelRuntime
import Stepper
import Testing

/// The stepper's client core stepping against Samba 4.17's smbd over TCP (`--server`): the file
/// byte-exact, going back without the server, and a saved recording replayed offline in another
/// process.
@Suite(.enabled(if: Peers.hasSamba || Peers.isCI)) struct StepperAgainstSambaTests {
    static func share(_ peer: String?) throws -> SMBURL {
        let address = try #require(peer, "no Samba peer (scripts/test starts it)")
        return try SMBURL(parsing: "//\(address)/share", pathRequired: false)
    }

    static func shape(_ events: [TraceEvent]) -> [String] {
        events.map { "\($0.sequence) \($0.threadName) \($0.function) \($0.phase) \($0.message) \($0.buffers.map(\.bytes))" }
    }

    struct Case: CustomStringConvertible, Sendable {
        var auth: Scenario.Auth
        var sign: Bool
        var description: String { auth.rawValue + (sign ? " + sign" : "") }
    }

    @Test(arguments: [Case(auth: .ntlm, sign: false), Case(auth: .ntlmv2, sign: false), Case(auth: .ntlmssp, sign: true)])
    func stepsAReadByteExactAndGoesBackWithoutTheServer(_ c: Case) throws {
        // Signed runs go to the lab whose smbd requires signing.
        let server = try Self.share(c.sign ? Peers.sambaSigned : Peers.samba)
        let scenario = Scenario(auth: c.auth, signing: c.sign ? .on : .off, user: Peers.user,
                                password: Peers.password, file: "random-1m.bin", server: server)
        let session = StepperSession(scenario: scenario)
        defer { session.close() }
        try #require(session.serverLink?.isLive == true)
        guard case .success = session.execute(.continue) else { Issue.record("continue failed"); return }
        #expect(session.outcome == .completed(bytesRead: 1 << 20), "\(String(describing: session.outcome))")
        #expect(Peers.sha256(Data(session.output)) == Peers.random1mSHA256)
        if c.sign {
            #expect(session.events.contains { $0.function == "cifs_verify_signature" && $0.phase == .exit })
            #expect(!session.events.contains { $0.function == "cifs_verify_signature" && $0.message.contains("EACCES") })
        }
        let live = Self.shape(session.events)

        // No more network: every socket closed. Going back and forth replays the log.
        session.serverLink?.close()
        guard case .success = session.execute(.goto(event: 500)) else { Issue.record("goto 500 failed"); return }
        #expect(Self.shape(session.events) == Array(live.prefix(500)))
        guard case .success = session.execute(.continue) else { Issue.record("continue failed"); return }
        #expect(Self.shape(session.events) == live)
        #expect(Peers.sha256(Data(session.output)) == Peers.random1mSHA256)
    }

    @Test func aSavedRecordingReplaysOfflineIdenticallyInAnotherProcess() throws {
        let address = try #require(Peers.samba, "no Samba peer (scripts/test starts it)")
        let dir = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let recorded = dir.appendingPathComponent("recorded.json").path
        let replayed = dir.appendingPathComponent("replayed.json").path
        let live = try Peers.run(Peers.cifstep, ["trace", "--server", "//\(address)/share/random-1m.bin",
                                                 "--user", Peers.user, "--auth", "ntlmv2", "-o", recorded],
                                 environment: ["CIFSTEP_PASSWORD": Peers.password])
        #expect(live.status == 0, "\(live.stderr)")
        #expect(live.stderr.contains("completed: 1048576 bytes read"), "\(live.stderr)")

        let offline = try Peers.run(Peers.cifstep, ["trace", "--replay", recorded, "-o", replayed])
        #expect(offline.status == 0, "\(offline.stderr)")
        let first = try #require(FileManager.default.contents(atPath: recorded))
        let second = try #require(FileManager.default.contents(atPath: replayed))
        #expect(first == second)
        // The recording holds the exchange: 1 MiB of READ_ANDX data came from the server.
        let json = try #require(try JSONSerialization.jsonObject(with: first) as? [String: Any])
        let recording = try #require(json["recording"] as? [String: Any])
        #expect(recording["server"] as? String == address)
    }

    @Test func anUnreachableServerIsReportedBeforeAnyStep() throws {
        let port = try Peers.freePort()
        let r = try Peers.run(Peers.cifstep, ["trace", "--server", "//127.0.0.1:\(port)/share/x", "--user", "u",
                                              "--password", "p", "-o", "-"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("cannot connect to 127.0.0.1:\(port)"))
        #expect(r.stderr.contains("connection refused"))
        #expect(r.text.isEmpty)
    }
}
