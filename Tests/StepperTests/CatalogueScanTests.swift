import Foundation
import Stepper
import Testing

/// The tracepoint catalogue (`Sources/Stepper/Catalogue/*.json`, embedded in the binary) and the
/// sources agree both ways: every `traced("NAME"` in the client core, the runtime and the server
/// has an entry, every entry points at the line that traces it, names are unique, and nothing
/// records events through a bare `.tracepoint(` call.
@Suite("Tracepoint catalogue matches the sources")
struct CatalogueScanTests {
    /// The package root, found from this file's path (`<root>/Tests/StepperTests/…`).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let scanned = ["Sources/CIFSClient", "Sources/KernelRuntime", "Sources/SMBServer"]
    /// Where `.tracepoint(` may appear: the runtime's own tracing implementation.
    static let traceImplementation = "Sources/KernelRuntime/Trace/"
    static let catalogueFiles = [
        "client": "Sources/Stepper/Catalogue/client-tracepoints.json",
        "server": "Sources/Stepper/Catalogue/server-tracepoints.json",
    ]
    static let sides = ["client": ["client", "mm", "runtime"], "server": ["server"]]
    static let fix = "run scripts/tracepoint-catalogue --update (and write an entry for any name it reports missing)"

    /// What the scan found: traced names with their `path:line` sites (the line of `traced(`),
    /// and the sites of bare `.tracepoint(` calls.
    struct Scan {
        var traced: [String: [String]] = [:]
        var bare: [String] = []
    }

    static let scan: Scan = {
        var scan = Scan()
        for file in swiftFiles() {
            guard let text = try? String(contentsOf: packageRoot.appendingPathComponent(file), encoding: .utf8) else {
                scan.bare.append("\(file): unreadable")
                continue
            }
            let bytes = Array(text.utf8)
            let comments = commentLines(bytes)
            for (name, line) in tracedCalls(bytes) where !comments.contains(line) {
                scan.traced[name, default: []].append("\(file):\(line)")
            }
            if !file.hasPrefix(traceImplementation) {
                for line in occurrences(of: Array(".tracepoint(".utf8), in: bytes) where !comments.contains(line) {
                    scan.bare.append("\(file):\(line)")
                }
            }
        }
        return scan
    }()

    /// The `.swift` files under the scanned directories, relative to the root, sorted.
    static func swiftFiles() -> [String] {
        var files: [String] = []
        for directory in scanned {
            let url = packageRoot.appendingPathComponent(directory)
            guard let walker = FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil) else { continue }
            for case let file as URL in walker where file.pathExtension == "swift" {
                files.append(String(file.standardizedFileURL.path.dropFirst(packageRoot.standardizedFileURL.path.count + 1)))
            }
        }
        return files.sorted()
    }

    /// Line numbers (from 1) of `//` comment lines.
    static func commentLines(_ bytes: [UInt8]) -> Set<Int> {
        var result: Set<Int> = []
        for (number, line) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let code = line.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            if code.starts(with: Array("//".utf8)) { result.insert(number + 1) }
        }
        return result
    }

    /// The line (from 1) of each occurrence of `needle`.
    static func occurrences(of needle: [UInt8], in bytes: [UInt8]) -> [Int] {
        var lines: [Int] = []
        var line = 1
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") { line += 1 }
            if bytes[index] == needle[0], index + needle.count <= bytes.count,
               Array(bytes[index..<(index + needle.count)]) == needle {
                lines.append(line)
            }
            index += 1
        }
        return lines
    }

    /// `(NAME, line)` of each `traced(` followed (after any whitespace) by a string literal.
    static func tracedCalls(_ bytes: [UInt8]) -> [(String, Int)] {
        let keyword = Array("traced(".utf8)
        var calls: [(String, Int)] = []
        var line = 1
        var index = 0
        func isIdentifier(_ byte: UInt8) -> Bool {
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
        }
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") { line += 1 }
            guard index + keyword.count <= bytes.count, Array(bytes[index..<(index + keyword.count)]) == keyword,
                  index == 0 || !isIdentifier(bytes[index - 1]) else {
                index += 1
                continue
            }
            var cursor = index + keyword.count
            while cursor < bytes.count, [UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t")].contains(bytes[cursor]) {
                cursor += 1
            }
            if cursor < bytes.count, bytes[cursor] == UInt8(ascii: "\"") {
                let start = cursor + 1
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\") { end += 1 }
                if end < bytes.count, bytes[end] == UInt8(ascii: "\""), end > start {
                    calls.append((String(decoding: bytes[start..<end], as: UTF8.self), line))
                }
            }
            index += keyword.count
        }
        return calls
    }

    /// Both catalogue files, decoded from disk (a decoding failure fails the test).
    static func fileEntries() throws -> [String: [TracepointCatalogue.Entry]] {
        var result: [String: [TracepointCatalogue.Entry]] = [:]
        for (key, file) in catalogueFiles {
            let data = try Data(contentsOf: packageRoot.appendingPathComponent(file))
            result[key] = try JSONDecoder().decode([TracepointCatalogue.Entry].self, from: data)
        }
        return result
    }

    @Test("the catalogue files decode, and the binary embeds exactly them")
    func filesDecodeAndAreEmbedded() throws {
        let files = try Self.fileEntries()
        let onDisk = (files["client"] ?? []) + (files["server"] ?? [])
        #expect(TracepointCatalogue.builtIn.entries == onDisk, "rebuild: the embedded catalogue differs from the files")
        #expect(!(files["client"] ?? []).isEmpty)
    }

    @Test("every traced function has an entry")
    func everyTracedNameIsCatalogued() throws {
        let names = Set(TracepointCatalogue.builtIn.entries.map(\.function))
        let missing = Self.scan.traced.keys.filter { !names.contains($0) }.sorted()
        #expect(missing.isEmpty, "traced but not catalogued: \(missing.map { "\($0) at \(Self.scan.traced[$0]?.first ?? "")" }); \(Self.fix)")
    }

    @Test("every entry is traced at exactly the line it names")
    func everyEntryPointsAtItsTrace() throws {
        for (key, entries) in try Self.fileEntries().sorted(by: { $0.key < $1.key }) {
            for entry in entries {
                let sites = Self.scan.traced[entry.function] ?? []
                #expect(sites == [entry.swift],
                        "\(entry.function): catalogue says \(entry.swift), traced at \(sites); \(Self.fix)")
                if let site = sites.first {
                    let belongs = site.hasPrefix("Sources/SMBServer/") ? "server" : "client"
                    #expect(belongs == key, "\(entry.function) is traced at \(site) but catalogued in \(Self.catalogueFiles[key] ?? key)")
                }
            }
        }
    }

    @Test("names are unique: one traced site per name, one entry per name")
    func namesAreUnique() {
        let repeated = Self.scan.traced.filter { $0.value.count > 1 }.sorted { $0.key < $1.key }
        #expect(repeated.isEmpty, "traced at several places (one Swift function must own each name): \(repeated)")
        var seen: Set<String> = []
        for entry in TracepointCatalogue.builtIn.entries {
            #expect(seen.insert(entry.function).inserted, "\(entry.function) catalogued twice")
        }
    }

    @Test("no bare .tracepoint( calls in the client, the runtime or the server")
    func noBareTracepoints() {
        #expect(Self.scan.bare.isEmpty,
                "record events through runtime.traced(\"name\") { call in … } and call.event/call.note: \(Self.scan.bare)")
    }

    @Test("entries are well formed and in the stable order (side, file, line)")
    func entriesAreWellFormedAndOrdered() throws {
        for (key, entries) in try Self.fileEntries().sorted(by: { $0.key < $1.key }) {
            let sides = Self.sides[key] ?? []
            for entry in entries {
                #expect(sides.contains(entry.side), "\(entry.function): side \(entry.side) in the \(key) catalogue")
                #expect(!entry.kernelFile.isEmpty && !entry.summary.isEmpty, "\(entry.function): empty field")
                #expect(entry.kernelName != entry.function, "\(entry.function): kernelName only when it differs")
            }
            func order(_ entry: TracepointCatalogue.Entry) -> (Int, String, Int) {
                let parts = entry.swift.split(separator: ":")
                return (sides.firstIndex(of: entry.side) ?? sides.count, String(parts.first ?? ""),
                        Int(parts.last ?? "") ?? 0)
            }
            let ordered = entries.sorted { order($0) < order($1) }
            #expect(entries.map(\.function) == ordered.map(\.function), "\(Self.catalogueFiles[key] ?? key) out of order; \(Self.fix)")
        }
    }
}
