import Stepper
import Testing
@testable import CifstepKit

@Suite struct REPLParserTests {
    @Test(arguments: ["break cifs_sign_smb if server.sequenceNumber > 3",
                      "break cifs_sign_smb\tif server.sequenceNumber > 3",
                      "  break\tcifs_sign_smb \t if\tserver.sequenceNumber > 3"])
    func theConditionAfterIfSurvivesSpacesAndTabs(line: String) {
        guard case let .command(command) = REPLParser.parse(line) else {
            Issue.record("\(line) did not parse as a command")
            return
        }
        #expect(command == .breakpoint(function: "cifs_sign_smb", condition: "server.sequenceNumber > 3"))
    }

    @Test func whyTakesAnIdAPathOrANameWithSpacesOrQuotes() {
        #expect(REPLParser.parse("why $12") == .command(.why(target: "$12")))
        #expect(REPLParser.parse("why server.sessionKey") == .command(.why(target: "server.sessionKey")))
        #expect(REPLParser.parse("why MAC key") == .command(.why(target: "MAC key")))
        #expect(REPLParser.parse("why \"MAC key\"") == .command(.why(target: "MAC key")))
        guard case .usage = REPLParser.parse("why") else {
            Issue.record("a bare why must print its usage")
            return
        }
    }
}
