import SMBWire
import Testing
@testable import CifstepKit

@Suite struct AnnotatedHexDumpTests {
    /// Column of the annotations: offset (4) + 2 + 16 cells (49) + 1 + ASCII (16) + 2.
    static let indent = String(repeating: " ", count: 74)

    @Test func fieldsStandBesideTheLineTheyStartInWhenTheyFit() {
        let bytes: [UInt8] = [0xff, 0x53, 0x4d, 0x42, 0x72] + [UInt8](repeating: 0, count: 14)
        let spans = [FieldSpan(range: 0..<4, name: "proto", value: "ff534d42"),
                     FieldSpan(range: 4..<5, name: "cmd", value: "0x72"),
                     FieldSpan(range: 17..<19, name: "tail", value: "0")]
        let text = AnnotatedHexDump.render(bytes, spans: spans, color: false)
        #expect(text == """
            0000  ff 53 4d 42 72 00 00 00  00 00 00 00 00 00 00 00  .SMBr...........  [0..<4]    proto  ff534d42
            \(Self.indent)[4..<5]    cmd    0x72
            0010  00 00 00                                          ...               [17..<19]  tail   0
            """)
    }

    /// A projector shows 100 columns: fields that would not all fit beside go beneath each line,
    /// under its first byte, and one too long for even that is cut with an ellipsis.
    @Test func fieldsTooWideForTheWidthGoBeneathTheirLine() {
        let bytes: [UInt8] = [0xff, 0x53, 0x4d, 0x42, 0x72] + [UInt8](repeating: 0, count: 14)
        let spans = [FieldSpan(range: 0..<4, name: "header.Protocol", value: "ff534d42"),
                     FieldSpan(range: 4..<5, name: "header.Command", value: "0x72", meaning: "NEGOTIATE"),
                     FieldSpan(range: 17..<19, name: "tail", value: String(repeating: "ab", count: 60))]
        let text = AnnotatedHexDump.render(bytes, spans: spans, color: false)
        let cut = "      [17..<19]  tail             " + String(repeating: "ab", count: 60)
        #expect(text == """
            0000  ff 53 4d 42 72 00 00 00  00 00 00 00 00 00 00 00  .SMBr...........
                  [0..<4]    header.Protocol  ff534d42
                  [4..<5]    header.Command   0x72  (NEGOTIATE)
            0010  00 00 00                                          ...
            \(cut.prefix(99))…
            """)
        #expect(text.split(separator: "\n").allSatisfy { $0.count <= 100 })
        // A narrower width is honoured too.
        #expect(AnnotatedHexDump.render(bytes, spans: spans, color: false, width: 80).split(separator: "\n").allSatisfy { $0.count <= 80 })
    }

    @Test func bytesWithoutFieldsAreAPlainDump() {
        let key: [UInt8] = [0xe6, 0x10, 0xf5, 0x8d, 0xef, 0x04, 0x30, 0x12, 0x9d, 0xe8, 0xb1, 0x47, 0xcc, 0x4d, 0x95, 0x61, 0x41]
        #expect(AnnotatedHexDump.render(key, spans: [], color: false) == """
            0000  e6 10 f5 8d ef 04 30 12  9d e8 b1 47 cc 4d 95 61  ......0....G.M.a
            0010  41                                                A
            """)
        #expect(AnnotatedHexDump.render([], spans: [], color: false) == "(no bytes)")
        // Exactly half a line: the ASCII column stays where it is.
        #expect(AnnotatedHexDump.render(Array(0x61...0x68), spans: [], color: false)
            == "0000  61 62 63 64 65 66 67 68                           abcdefgh")
    }

    /// A 4-byte header then 200 bytes of data: the data's 12 whole lines (after the line it
    /// starts in) are more than a few, so only the first 3 and last 2 show.
    @Test func aLongFieldIsElidedSayingHowManyBytesAndHowToSeeThem() {
        let bytes = (0..<204).map { UInt8(0x30 + $0 % 64) }
        let spans = [FieldSpan(range: 0..<4, name: "hdr", value: "x"),
                     FieldSpan(range: 4..<204, name: "Data", value: "200 bytes")]
        let text = AnnotatedHexDump.render(bytes, spans: spans, color: false, hint: "'print --all x' shows every byte")
        #expect(text == """
            0000  30 31 32 33 34 35 36 37  38 39 3a 3b 3c 3d 3e 3f  0123456789:;<=>?  [0..<4]    hdr   x
            \(Self.indent)[4..<204]  Data  200 bytes
            0010  40 41 42 43 44 45 46 47  48 49 4a 4b 4c 4d 4e 4f  @ABCDEFGHIJKLMNO
            0020  50 51 52 53 54 55 56 57  58 59 5a 5b 5c 5d 5e 5f  PQRSTUVWXYZ[\\]^_
            0030  60 61 62 63 64 65 66 67  68 69 6a 6b 6c 6d 6e 6f  `abcdefghijklmno
                  … 112 bytes not shown; 'print --all x' shows every byte
            00b0  60 61 62 63 64 65 66 67  68 69 6a 6b 6c 6d 6e 6f  `abcdefghijklmno
            00c0  30 31 32 33 34 35 36 37  38 39 3a 3b              0123456789:;
            """)
        let full = AnnotatedHexDump.render(bytes, spans: spans, color: false, full: true)
        #expect(!full.contains("not shown"))
        #expect(full.split(separator: "\n").count == 14)  // 13 lines of bytes, one more field line
        // Exactly 8 lines inside one field still show whole.
        let eight = AnnotatedHexDump.render([UInt8](repeating: 0, count: 144), spans: [FieldSpan(range: 16..<144, name: "d", value: "")],
                                            color: false)
        #expect(!eight.contains("not shown") && eight.split(separator: "\n").count == 9)
    }

    @Test func linesWithTwoFieldsOrAFieldStartAreNeverElided() {
        // 256 bytes with a field starting every 48 bytes: no line lies in one field for more
        // than three lines in a row, so nothing is left out.
        let spans = stride(from: 0, to: 256, by: 48).map { FieldSpan(range: $0..<min($0 + 48, 256), name: "f\($0)", value: "") }
        let text = AnnotatedHexDump.render([UInt8](repeating: 0x41, count: 256), spans: spans, color: false)
        #expect(!text.contains("not shown"))
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("00") }.count == 16)
    }

    @Test func colourMarksFieldBytes() {
        let text = AnnotatedHexDump.render([1, 2], spans: [FieldSpan(range: 0..<1, name: "a", value: "1")], color: true)
        #expect(text.contains("\u{1b}[36m01\u{1b}[0m"))
        #expect(text.contains("\u{1b}[36m[0..<1]  a  1\u{1b}[0m"))
    }
}
