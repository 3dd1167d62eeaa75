import KernelRuntime
import SMBWire
import Testing
@testable import Stepper

/// The buffers signing records are annotated from their own bytes: the field that shows the
/// sequence number says so.
@Suite struct SigningAnnotationTests {
    @Test func theSequenceNumberInTheSignatureFieldIsWhatItsAnnotationSays() throws {
        let session = StepperSession(scenario: Scenario(signing: .on))
        defer { session.close() }
        _ = try session.must(.continue)
        let buffers = session.events.flatMap(\.buffers).filter {
            $0.name.hasPrefix("request with sequence ") || $0.name.hasPrefix("reply with sequence ")
        }
        #expect(buffers.count >= 4)
        for buffer in buffers {
            let span = try #require(buffer.spans.first { $0.range == SMBHeader.signatureRange }, "\(buffer.name)")
            let field = Array(buffer.bytes[SMBHeader.signatureRange])
            let sequence = UInt32(field[0]) | UInt32(field[1]) << 8 | UInt32(field[2]) << 16 | UInt32(field[3]) << 24
            #expect(buffer.name.hasSuffix(" \(sequence)"))
            #expect(span.value.lowercased().replacingOccurrences(of: " ", with: "").contains(Hex.encode(field)),
                    "\(buffer.name): \(span)")
        }
    }
}

/// The server's frames for one request carry its MID, so a condition on `mid` stops there too.
@Suite struct ServerMidTests {
    @Test func theServersFramesForARequestCarryItsMid() throws {
        let session = StepperSession(scenario: Scenario(file: "random-256k.bin"))
        defer { session.close() }
        _ = try session.must(.continue)
        let client = Set(session.events.filter { $0.function == "smb_send" }.compactMap(\.mid))
        for function in ["process_smb", "srv_send_smb"] {
            let events = session.events.filter { $0.function == function }
            #expect(!events.isEmpty)
            #expect(events.allSatisfy { $0.mid != nil }, "\(function)")
            #expect(Set(events.compactMap(\.mid)) == client, "\(function)")
        }
        // And a breakpoint with a MID condition stops at the server's reply to that request.
        let again = StepperSession(scenario: Scenario())
        defer { again.close() }
        _ = try again.must(.breakpoint(function: "srv_send_smb", condition: "mid == 4"))
        let stop = try again.must(.continue)
        #expect(again.events.last?.function == "srv_send_smb" && again.events.last?.mid == 4, "\(String(describing: stop.stop))")
    }
}
