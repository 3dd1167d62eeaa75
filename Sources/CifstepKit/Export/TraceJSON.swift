import Foundation
import KernelRuntime

/// Writes a run's trace events as JSON: `{"format": "cifstep-trace", "version": 1, "events": [...]}`.
///
/// Keys are sorted, so one seed gives byte-identical files.
enum TraceJSON {
    struct Document: Codable {
        var format = "cifstep-trace"
        var version = 1
        var events: [TraceEvent]
    }

    static func encode(_ events: [TraceEvent]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(Document(events: events))
    }

    /// Writes to `path` through a temporary file, so a failure leaves no half-written trace.
    static func write(_ events: [TraceEvent], to path: String) throws {
        let data = try encode(events)
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CLIError.failure("cannot write trace to \(path): \(error.localizedDescription)")
        }
    }
}
