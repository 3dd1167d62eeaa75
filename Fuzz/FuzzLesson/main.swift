import FuzzDriver
import LessonFormat

/// The lesson parser: any bytes read as a lesson file's text (as `cifstep lesson` reads one:
/// UTF-8 with invalid sequences replaced).
FuzzDriver.main([
    FuzzTarget("lesson", "LessonParser.parse: a lesson file's Markdown") { input in
        let text = String(decoding: input, as: UTF8.self)
        let lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
        // Windows line endings read like Unix ones: the same text with CRLF parses the same.
        if !input.contains(UInt8(ascii: "\r")) {
            var crlf: [UInt8] = []
            for byte in input { if byte == UInt8(ascii: "\n") { crlf.append(UInt8(ascii: "\r")) }; crlf.append(byte) }
            let unix = Result { () throws(LessonFormatErrors) in try LessonParser.parse(text, file: "fuzz.md") }
            let windows = Result { () throws(LessonFormatErrors) in
                try LessonParser.parse(String(decoding: crlf, as: UTF8.self), file: "fuzz.md")
            }
            FuzzCheck.require(unix == windows, "CRLF line endings change the parse")
        }
        do throws(LessonFormatErrors) {
            let lesson = try LessonParser.parse(text, file: "fuzz.md")
            FuzzCheck.require(!lesson.actions.isEmpty, "a lesson parsed with nothing to run")
            for action in lesson.actions {
                FuzzCheck.require(action.line >= 1 && action.line <= lines,
                                  "action on line \(action.line) of a \(lines)-line file")
                if case let .command(command) = action.kind {
                    FuzzCheck.require(command.utf8.count <= LessonParser.maximumCommandLength,
                                      "a \(command.utf8.count)-byte command line passed the cap")
                    FuzzCheck.require(!command.unicodeScalars.contains { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7F },
                                      "a control character in a command line")
                }
            }
        } catch {
            FuzzCheck.require(!error.errors.isEmpty, "a lesson refused with no error")
            for e in error.errors {
                FuzzCheck.require(e.line >= 0 && e.line <= lines, "an error on line \(e.line) of a \(lines)-line file")
                _ = e.description
            }
        }
    },
])
