import Testing
import Stepper

/// `Scenario.assignments`: the `key=value` text trace documents record a scenario with.
@Suite struct ScenarioAssignmentsTests {
    static let scenarios: [Scenario] = [
        Scenario(),
        Scenario(auth: .ntlm, signing: .required, user: "bob", domain: "LAB", password: "p=w d", seed: .max,
                 file: "random-16m.bin", rsize: 16_384, readaheadPages: 256, policy: .random),
        Scenario(auth: .ntlmv2, signing: .on, password: "", seed: 0, readaheadPages: 0),
    ]

    @Test(arguments: scenarios)
    func applyingTheAssignmentsToTheDefaultsGivesTheScenarioBack(_ scenario: Scenario) throws {
        let text = scenario.assignments.map { "\($0.setting.rawValue)=\($0.value)" }
        #expect(try Scenario().applying(text) == scenario)
    }

    @Test func everySettingOnceInSettingOrderWithTheDefaultsSpelledOut() {
        let assignments = Scenario().assignments
        #expect(assignments.map(\.setting) == Scenario.Setting.allCases)
        let values = Dictionary(uniqueKeysWithValues: assignments.map { ($0.setting, $0.value) })
        #expect(values[.domain] == "")
        #expect(values[.readahead] == "default")
        #expect(values[.rsize] == "61440")
        #expect(values[.seed] == "1")
        #expect(Scenario(readaheadPages: 15).assignments.first { $0.setting == .readahead }?.value == "15")
    }
}
