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
}
