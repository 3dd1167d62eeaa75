import Foundation
import Stepper
import Testing

/// `list`'s sources (Sources/Stepper/Catalogue/FunctionSources.generated.swift, written by
/// scripts/function-sources) agree with the sources and the catalogue: every catalogued
/// function has one, its lines are the file's lines where it says, the marked line is the one
/// that traces the function, and the listing holds the whole function (doc comment to closing
/// brace).
@Suite("Embedded function sources match the sources")
struct FunctionSourcesTests {
    static let fix = "run scripts/function-sources"

    @Test func everyCataloguedFunctionHasItsSource() {
        let listed = FunctionSource.builtIn.map(\.function)
        #expect(listed == TracepointCatalogue.builtIn.entries.map(\.function), "\(Self.fix)")
    }

    @Test func eachListingIsTheFilesLinesWithTheTracedLineMarked() throws {
        for entry in TracepointCatalogue.builtIn.entries {
            guard let source = FunctionSource.of(entry.function) else {
                Issue.record("no source for \(entry.function); \(Self.fix)")
                continue
            }
            #expect("\(source.file):\(source.markedLine)" == entry.swift, "\(entry.function); \(Self.fix)")
            let url = CatalogueScanTests.packageRoot.appendingPathComponent(source.file)
            let file = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
                .map(String.init)
            let range = (source.firstLine - 1)..<(source.firstLine - 1 + source.lines.count)
            guard range.upperBound <= file.count else {
                Issue.record("\(entry.function): lines \(range) past the end of \(source.file); \(Self.fix)")
                continue
            }
            #expect(Array(file[range]) == source.lines, "\(entry.function) changed in \(source.file); \(Self.fix)")
            // The marked line opens the `traced(` call; the name is on it or on the next line.
            let index = source.markedLine - source.firstLine
            let marked = source.lines[index]
            let call = source.lines[index..<min(index + 2, source.lines.count)].joined(separator: " ")
            #expect(marked.contains("traced(") && call.contains("\"\(entry.function)\""),
                    "\(entry.function): marked line is \(marked)")
            // Whole: nothing of the doc comment left above, and it ends with the closing brace
            // at the declaration's indentation (unless cut for length, when it is 160 lines).
            #expect(source.firstLine == 1 || !file[source.firstLine - 2].trimmingCharacters(in: .whitespaces).hasPrefix("///"),
                    "\(entry.function): its doc comment starts above the listing; \(Self.fix)")
            guard source.lines.count < 160 else { continue }
            let declaration = try #require(source.lines.first { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("///")
                && !$0.trimmingCharacters(in: .whitespaces).hasPrefix("@") })
            let indent = declaration.prefix { $0 == " " }
            #expect(source.lines.last == indent + "}", "\(entry.function) does not end with its closing brace; \(Self.fix)")
        }
    }

    @Test func aThreeEightNameFindsTheSameSource() {
        #expect(FunctionSource.of("cifs_calc_signature")?.function == "cifs_calculate_signature")
        #expect(FunctionSource.of("no_such_function") == nil)
    }
}
