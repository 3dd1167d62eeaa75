import Foundation
import Testing

/// State diffs are made in one place: `StateChanges` (old value read from the object, new value
/// written to it). Anywhere else in `Sources/`, a `StateDiff(` could carry a typed "old value"
/// the object never held, so this test rejects it.
@Suite("StateDiff is built only by StateChanges")
struct StateDiffGuardTests {
    /// The package root, found from this file's path (`<root>/Tests/StepperTests/…`).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The files allowed to build one: the builder, and the type's own definition (its
    /// Codable and memberwise code).
    static let allowed: Set<String> = [
        "Sources/KernelRuntime/Trace/StateChanges.swift",
        "Sources/KernelRuntime/Trace/TraceEvent.swift",
    ]

    /// `path:line: text` of every `StateDiff(` or `StateDiff.init(` outside a comment in
    /// `Sources/`, outside the allowed files.
    static func offenders() throws -> [String] {
        let sources = packageRoot.appendingPathComponent("Sources")
        guard let walker = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil) else {
            return ["cannot list \(sources.path)"]
        }
        var found: [String] = []
        var files: [URL] = []
        for case let url as URL in walker where url.pathExtension == "swift" { files.append(url) }
        for url in files.sorted(by: { $0.path < $1.path }) {
            let relative = String(url.path.dropFirst(packageRoot.path.count + 1))
            guard !allowed.contains(relative) else { continue }
            let text = try String(contentsOf: url, encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = line.trimmingCharacters(in: .whitespaces)
                if code.hasPrefix("//") { continue }
                if line.contains("StateDiff(") || line.contains("StateDiff.init(") {
                    found.append("\(relative):\(number + 1): \(code)")
                }
            }
        }
        return found
    }

    @Test("no StateDiff( in Sources/ outside StateChanges.swift and TraceEvent.swift")
    func onlyStateChangesBuildsDiffs() throws {
        #expect(FileManager.default.fileExists(atPath: Self.packageRoot.appendingPathComponent("Package.swift").path))
        let offenders = try Self.offenders()
        #expect(offenders.isEmpty, """
            StateDiff built outside StateChanges — set the field with `changes.set(object, \\.field, value, \
            path:)` (or `created`/`removed`) and pass `changes.diffs`:
            \(offenders.joined(separator: "\n"))
            """)
    }

    @Test("the allowed files exist where the guard expects them")
    func allowedFilesExist() {
        for file in Self.allowed {
            #expect(FileManager.default.fileExists(atPath: Self.packageRoot.appendingPathComponent(file).path), "\(file)")
        }
    }
}
