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
