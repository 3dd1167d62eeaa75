import CIFSClient
import Foundation
import KernelRuntime
import SMBServer
import Testing
@testable import Stepper

@Suite struct ScenarioTests {
    @Test func defaultsAreLinux38s() throws {
        let s = Scenario()
        #expect(s.rsize == 61_440)
        #expect(s.effectiveReadaheadPages == 15)
        #expect(s.mountOptions.rsize == 61_440)
        #expect(s.mountOptions.readaheadPages == 15)
        #expect(s.mountOptions.sign == false)
        #expect(s.policy == .teaching)
        let labels = Dictionary(uniqueKeysWithValues: s.settings.map { ($0.setting, $0) })
        #expect(labels[.readahead]?.value == "15 pages")
        #expect(labels[.readahead]?.note == "3.8's rule: rsize / 4096")
        // The readahead follows rsize unless set.
        #expect(try s.applying(["rsize=16384"]).effectiveReadaheadPages == 4)
    }

    @Test func settingsParseAndLabelDeparturesFrom38() throws {
        let s = try Scenario().applying(["readahead=256", "signing=required", "auth=ntlm", "user=bob", "domain=LAB",
                                         "password=pw", "seed=42", "file=random-16m.bin", "rsize=16384", "policy=random"])
        #expect(s == Scenario(auth: .ntlm, signing: .required, user: "bob", domain: "LAB", password: "pw", seed: 42,
                              file: "random-16m.bin", rsize: 16384, readaheadPages: 256, policy: .random))
        let readahead = try #require(s.settings.first { $0.setting == .readahead })
        #expect(readahead.note == "not 3.8's default (3.8: rsize / 4096 = 4 pages)")
        #expect(s.settings.first { $0.setting == .rsize }?.note == "not 3.8's default (3.8: 61440)")
        #expect(try s.applying(["readahead=default"]).readaheadPages == nil)
        #expect(try s.applying(["domain="]).domain == nil)
        // Server requires signing: the client does not ask, the server insists.
        #expect(s.mountOptions.sign == false)
        #expect(try Scenario().applying(["signing=on"]).mountOptions.sign)
    }

    @Test func badSettingsSayWhy() {
        func message(_ assignment: String) -> String {
            do {
                _ = try Scenario().applying([assignment])
                return "accepted"
            } catch {
                return error.message
            }
        }
        #expect(message("rsize=0") == "rsize: expected 1 ... \(CIFSMount.maxRsize) bytes, got '0'")
        #expect(message("readahead=lots") == "readahead: expected 0 ... 65536 pages (or default), got 'lots'")
        #expect(message("auth=kerberos") == "auth: expected ntlm, ntlmv2 or ntlmssp, got 'kerberos'")
        #expect(message("signing=maybe") == "signing: expected off, on or required, got 'maybe'")
        #expect(message("seed=-1").hasPrefix("seed: expected a number"))
        #expect(message("user=") == "user: the user name must not be empty")
        #expect(message("readahed=3").hasPrefix("unknown setting 'readahed' (did you mean readahead"))
        #expect(message("readahead") .hasPrefix("expected key=value, got 'readahead'"))
        #expect(message("file=random-300m.bin").contains("generated files go up to"))
        #expect(message("policy=fifo") == "policy: expected teaching or random, got 'fifo'")
    }

    @Test func scenariosAreCodableWithDefaultsForMissingKeys() throws {
        let s = try Scenario().applying(["readahead=64", "file=random-1m.bin", "seed=9"])
        let data = try JSONEncoder().encode(s)
        #expect(try JSONDecoder().decode(Scenario.self, from: data) == s)
        let partial = try JSONDecoder().decode(Scenario.self, from: Data(#"{"auth":"ntlmv2","seed":3}"#.utf8))
        #expect(partial == Scenario(auth: .ntlmv2, seed: 3))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Scenario.self, from: Data(#"{"rsize":0}"#.utf8))
        }
    }

    @Test func generatedFilesComeFromOneStream() {
        #expect(DemoFiles.kind(of: "random-16m.bin") == .generated(size: 16 << 20))
        #expect(DemoFiles.kind(of: "random-100000.bin") == .generated(size: 100_000))
        #expect(DemoFiles.kind(of: "random-3k.bin") == .generated(size: 3072))
        #expect(DemoFiles.kind(of: "random-257m.bin") == .tooLarge(size: 257 << 20))
        #expect(DemoFiles.kind(of: "random-x.bin") == .missing)
        #expect(DemoFiles.kind(of: "hello.txt") == .standard)
        // The generator's bytes are SeededGenerator's stream, and shorter files are prefixes.
        var generator = SeededGenerator(seed: DemoFiles.generatorSeed)
        #expect(DemoFiles.generated(size: 1001) == generator.bytes(1001))
        #expect(Array(DemoFiles.generated(size: 4096).prefix(1001)) == DemoFiles.generated(size: 1001))
        #expect(DemoFiles.standard["random-256k.bin"] == DemoFiles.generated(size: 256 * 1024))
        #expect(DemoFiles.share(for: "random-5k.bin")["random-5k.bin"]?.count == 5120)
        #expect(DemoFiles.share(for: "nope.txt").count == 2)
    }

    @Test func aMissingFileReportsTheOpenErrorNotADeadlock() throws {
        let session = StepperSession(scenario: Scenario(file: "no-such-file.txt"), catalogue: Synthetic.catalogue([]))
        defer { session.close() }
        let result = try session.must(.continue)
        guard case let .end(.programFailed(failure))? = result.stop else {
            Issue.record("expected the reader's failure, got \(String(describing: result.stop))")
            return
        }
        #expect(failure.thread == "reader")
        #expect(failure.error.contains("STATUS_OBJECT_NAME_NOT_FOUND"))
        #expect(failure.errno == -2)
        // Every thread ended: the reader unmounted, so cifsd and the server left too.
        #expect(session.threads.allSatisfy { $0.status == .finished || $0.status == .failed(failure.error) })
        #expect(session.events.contains { $0.threadName == "reader" && $0.function == "cifs_umount" })
    }

    @Test func aWrongPasswordIsTheLoginsError() throws {
        // The server's user database comes from the scenario: a client with another password
        // cannot be simulated by the scenario alone, so change the server's copy.
        let scenario = Scenario()
        let session = StepperSession(scenario: scenario, catalogue: Synthetic.catalogue([])) { s in
            StepperProgram.cifsRead(s, files: DemoFiles.standard) { $0.users = [s.user: "another password"] }
        }
        defer { session.close() }
        guard case let .end(.programFailed(failure))? = try session.must(.continue).stop else {
            Issue.record("expected a login failure")
            return
        }
        #expect(failure.error.contains("STATUS_LOGON_FAILURE"))
        #expect(failure.errno == -13)
    }

    @Test func aServerThatCannotStartSaysWhy() throws {
        let session = StepperSession(scenario: Scenario(), catalogue: Synthetic.catalogue([])) { s in
            StepperProgram.cifsRead(s, files: DemoFiles.standard) { $0.shares = ["bad/name": .memory([:])] }
        }
        defer { session.close() }
        guard case let .couldNotStart(reason)? = session.outcome else {
            Issue.record("expected the run not to start, got \(String(describing: session.outcome))")
            return
        }
        #expect(reason.contains("the server did not start"))
        #expect(reason.contains("invalid share name \"bad/name\""))
        #expect(try session.must(.step()).stop == .end(.couldNotStart(reason)))
        #expect(session.threads.isEmpty)
    }

    @Test func resetStartsOverWithNewSettingsAndKeepsBreakpoints() throws {
        // cifs_sign_smb runs for every request (and returns at once unsigned, as in 3.8); only a
        // signed run computes signatures.
        let session = StepperSession(scenario: Scenario(), catalogue: Synthetic.catalogue(["cifs_calculate_signature"]))
        defer { session.close() }
        _ = try session.must(.breakpoint(function: "cifs_calculate_signature"))
        #expect(try session.must(.continue).stop == .end(.completed(bytesRead: DemoFiles.hello.count)))
        let reset = try session.must(.reset(settings: ["signing=on", "auth=ntlmv2"]))
        #expect(reset.report == .scenario(Scenario(auth: .ntlmv2, signing: .on)))
        #expect(reset.stop == .start && session.position == 0)
        guard case .breakpoint = try session.must(.continue).stop else {
            Issue.record("the breakpoint did not survive the reset")
            return
        }
        #expect(session.execute(.reset(settings: ["rsize=x"])) == .failure(.badSetting(
            Scenario.SettingError(input: "rsize=x", message: "rsize: expected 1 ... \(CIFSMount.maxRsize) bytes, got 'x'"))))
        #expect(session.scenario == Scenario(auth: .ntlmv2, signing: .on))
    }

    @Test func aGenerated16MiBFileReadsCorrectly() throws {
        let size = 16 << 20
        let session = StepperSession(scenario: Scenario(file: "random-16m.bin"), catalogue: Synthetic.catalogue([]))
        defer { session.close() }
        let result = try session.must(.continue)
        #expect(result.stop == .end(.completed(bytesRead: size)))
        #expect(session.output == DemoFiles.generated(size: size))
    }
}
