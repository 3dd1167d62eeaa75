import Foundation
import KernelRuntime

/// Why bytes could not be read as a ``TraceDocument``.
public enum TraceDocumentError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not JSON, or not a JSON object.
    case notJSON(String)
    /// A JSON object whose `format` is not `cifstep-trace` (`nil`: no `format` key).
    case notATrace(format: String?)
    /// A cifstep trace of a version this code does not read (`nil`: no usable `version` key).
    case unsupportedVersion(Int?)
    /// The right format and version, but a value that does not fit the schema (`where` names it).
    case malformed(String)

    public var description: String {
        switch self {
        case let .notJSON(why):
            return "not a cifstep trace: \(why)"
        case let .notATrace(format):
            return "not a cifstep trace: " + (format.map { "its format is '\($0)', not '\(TraceDocument.format)'" }
                                               ?? "it has no \"format\": \"\(TraceDocument.format)\"")
        case let .unsupportedVersion(version):
            let found = version.map { "version \($0)" } ?? "no version number"
            return "a cifstep trace of \(found); this cifstep reads version \(TraceDocument.version) only"
        case let .malformed(why):
            return "a malformed cifstep trace: \(why)"
        }
    }
}

extension TraceDocument {
    /// Reads a document that ``encoded()`` (or any writer following docs/trace-schema.json)
    /// wrote. `format` and `version` are checked before anything else, so a file of another
    /// kind or version gets an error that says so rather than a complaint about some field.
    public init(decoding data: Data) throws(TraceDocumentError) {
        do {
            self = try JSONDecoder().decode(Coded.self, from: data).document
        } catch let error as TraceDocumentError {
            throw error
        } catch {
            throw Self.describe(error)
        }
    }

    /// The document as `Decodable`: `format` and `version` first, read leniently (any type, or
    /// absent) so that a wrong one is reported as such.
    private struct Coded: Decodable {
        var document: TraceDocument

        private enum CodingKeys: String, CodingKey { case format, version, scenario, decisions, events, recording }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let format = try? c.decodeIfPresent(String.self, forKey: .format)
            guard format == TraceDocument.format else { throw TraceDocumentError.notATrace(format: format) }
            let version = try? c.decodeIfPresent(Int.self, forKey: .version)
            guard version == TraceDocument.version else { throw TraceDocumentError.unsupportedVersion(version) }
            document = TraceDocument(
                scenario: try c.decodeIfPresent([String: String].self, forKey: .scenario),
                decisions: try c.decodeIfPresent([SchedulingDecision].self, forKey: .decisions),
                events: try c.decode([TraceEvent].self, forKey: .events),
                recording: try c.decodeIfPresent(NetworkRecording.self, forKey: .recording))
        }
    }

    private static func describe(_ error: any Error) -> TraceDocumentError {
        guard let decoding = error as? DecodingError else { return .notJSON(String(describing: error)) }
        func at(_ path: [any CodingKey]) -> String {
            let text = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? "the document" : String(text.drop(while: { $0 == "." }))
        }
        switch decoding {
        case let .dataCorrupted(context) where context.codingPath.isEmpty:
            return .notJSON(context.underlyingError.map { String(describing: $0) } ?? context.debugDescription)
        case let .typeMismatch(_, context) where context.codingPath.isEmpty:
            return .notJSON("the top level is not an object")
        case let .dataCorrupted(context), let .typeMismatch(_, context), let .valueNotFound(_, context):
            return .malformed("\(at(context.codingPath)): \(context.debugDescription)")
        case let .keyNotFound(key, context):
            return .malformed("\(at(context.codingPath + [key])) is missing")
        @unknown default:
            return .malformed(String(describing: decoding))
        }
    }
}
