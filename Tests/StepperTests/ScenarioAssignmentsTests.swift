import Testing
import Stepper

/// `Scenario.assignments`: the `key=value` text trace documents record a scenario with.
@Suite struct ScenarioAssignmentsTests {
    static let scenarios: [Scenario] = [
        Scenario(),
        Scenario(auth: .ntlm, signing: .required, user: "bob", domain: "LAB", password: "p=w d", seed: .max,
                 file: "random-16m.bin", rsize: 16_384, readaheadPages: 256, policy: .random),
        Scenario(auth: .ntlmv2, signing: .on, password: "", seed: 0, readaheadPages: 0),
        Scenario(user: "bob", file: "dir\\big.bin", server: SMBURL(host: "::1", port: 4450, share: "data", path: "")),
    ]

    @Test(arguments: scenarios)
    func applyingTheAssignmentsToTheDefaultsGivesTheScenarioBack(_ scenario: Scenario) throws {
        let text = scenario.assignments.map { "\($0.setting.rawValue)=\($0.value)" }
        #expect(try Scenario().applying(text) == scenario)
    }

    @Test func everySettingOnceInSettingOrderWithTheDefaultsSpelledOut() {
        let assignments = Scenario().assignments
        // `server` only when there is one: a run against the embedded server records what it
        // always recorded.
        #expect(assignments.map(\.setting) == Scenario.Setting.allCases.filter { $0 != .server })
        let remote = Scenario(server: SMBURL(host: "h", share: "s", path: "")).assignments
        #expect(remote.map(\.setting) == Scenario.Setting.allCases)
        #expect(remote.last?.value == "//h:445/s")
        let values = Dictionary(uniqueKeysWithValues: assignments.map { ($0.setting, $0.value) })
        #expect(values[.domain] == "")
        #expect(values[.readahead] == "default")
        #expect(values[.rsize] == "61440")
        #expect(values[.seed] == "1")
        #expect(Scenario(readaheadPages: 15).assignments.first { $0.setting == .readahead }?.value == "15")
    }
}
