import Foundation
import KernelRuntime
import Stepper
import TraceRender

extension TraceDocument {
    /// The document of a stepper session's run so far: its scenario (every setting, as the
    /// `key=value` text `reset` takes), its scheduling decisions and its events. `cifstep trace`
    /// and the REPL's `export` both write this, so one scenario gives one file whichever wrote it.
    init(session: StepperSession) {
        var settings = Self.settings(of: session.scenario)
        // The faults armed, each with the event it was armed after (`bad-signature:2@143`).
        if !session.faults.isEmpty { settings["faults"] = session.faults.map(\.recorded).joined(separator: ",") }
        self.init(scenario: settings, decisions: session.decisions, events: session.events,
                  recording: session.serverLink?.recording)
    }

    /// A scenario as the document's flat `scenario` object.
    static func settings(of scenario: Scenario) -> [String: String] {
        Dictionary(uniqueKeysWithValues: scenario.assignments.map { ($0.setting.rawValue, $0.value) })
    }
}

/// Writing trace documents to files, atomically (see ``OutputFile``), in any ``ExportFormat``.
enum TraceFile {
    /// The format `path`'s extension asks for (`-` and devices: JSON), or a usage error naming
    /// the extensions known.
    static func format(of path: String, flag: String) throws -> ExportFormat {
        if path == "-" || OutputFile.isStream(path) { return ExportFormat(path: path) ?? .json }
        guard let format = ExportFormat(path: path) else {
            throw CLIError.usage("\(flag) \(path): the extension names the format: one of \(ExportFormat.extensionList)")
        }
        return format
    }

    /// Encodes `document` as `format` into `out` in pieces and moves the file into place; on a
    /// failure the temporary file is removed and nothing appears under the target's name.
    /// - Returns: the bytes written.
    @discardableResult
    static func write(_ document: TraceDocument, as format: ExportFormat = .json, to out: OutputFile) throws -> Int {
        var written = 0
        do {
            try TraceExport.write(document, as: format) { chunk in
                try out.write(chunk)
                written += chunk.count
            }
            try out.commit()
        } catch {
            out.discard()
            throw error
        }
        return written
    }

    /// Writes `document` as JSON to `path` (`-`: stdout), whatever its name (`get --trace`,
    /// `serve --trace`), replacing an existing file only if `overwrite`.
    @discardableResult
    static func write(_ document: TraceDocument, to path: String, overwrite: Bool) throws -> Int {
        try write(document, as: .json, to: try OutputFile(path: path, overwrite: overwrite))
    }
}
