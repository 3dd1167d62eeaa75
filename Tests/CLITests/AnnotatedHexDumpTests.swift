import SMBWire
import Testing
@testable import CifstepKit

@Suite struct AnnotatedHexDumpTests {
    @Test func plainDumpListsBytesAndFields() {
        let bytes: [UInt8] = [0xff, 0x53, 0x4d, 0x42, 0x72] + [UInt8](repeating: 0, count: 14)
        let spans = [FieldSpan(range: 0..<4, name: "header.Protocol", value: "ff534d42"),
                     FieldSpan(range: 4..<5, name: "header.Command", value: "0x72", meaning: "NEGOTIATE")]
        let text = AnnotatedHexDump.render(bytes, spans: spans, color: false)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "0000  ff 53 4d 42 72 00 00 00  00 00 00 00 00 00 00 00  .SMBr...........")
        #expect(lines[1].hasPrefix("0010  00 00 00 "))
        #expect(lines[2] == "[0..<4]      header.Protocol  ff534d42")
        #expect(lines[3] == "[4..<5]      header.Command   0x72  (NEGOTIATE)")
        #expect(!text.contains("\u{1b}"))
    }

    @Test func colourMarksFieldBytes() {
        let text = AnnotatedHexDump.render([1, 2], spans: [FieldSpan(range: 0..<1, name: "a", value: "1")], color: true)
        #expect(text.contains("\u{1b}[36m01\u{1b}[0m"))
    }
}
