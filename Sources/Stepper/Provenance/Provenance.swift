import KernelRuntime

/// Where one traced buffer was recorded: the buffer and the event that carries it.
public struct LocatedBuffer: Equatable, Sendable {
    public var buffer: TraceBuffer
    /// The sequence number of the event.
    public var event: Int
    public var function: String
    public var phase: TracePhase
    public var threadName: String
}

/// One node of a `why` walk: a buffer, how it was computed, and its inputs' nodes.
///
/// Built from the recorded derivations only (nothing is recomputed or guessed): each input
/// names an earlier buffer of the run by id, and the walk follows them back to the roots — a
/// scenario setting, the random generator, or bytes of a message on the wire.
public struct ProvenanceNode: Equatable, Sendable {
    /// What the buffer is to the node above (`key`, `message`…); `nil` for the node asked about.
    public var role: String?
    public var located: LocatedBuffer
    /// The part of the buffer the node above used, when not all of it, and the decoded field
    /// at exactly that span if there is one (`NegotiateResponse.Challenge`).
    public var range: Range<Int>?
    public var field: String?
    /// How the buffer was computed; `nil` when the code said nothing (a message as received).
    public var derivation: Derivation?
    /// The inputs, in the order the derivation names them.
    public var inputs: [ProvenanceNode]
    /// The buffer was already walked higher up in the same answer (its inputs are not repeated).
    public var shownAbove: Bool
    /// An input named a buffer this run has not recorded (a defect the tests look for).
    public var missingInputs: [TraceBufferID]
}

/// Every traced buffer of a run by id, and the walk back from one of them.
public struct ProvenanceIndex: Sendable {
    /// How deep a walk goes before it stops (a derivation chain of a login is about 12 deep).
    public static let maximumDepth = 40

    private var byID: [TraceBufferID: LocatedBuffer] = [:]
    /// Buffers by name, in recording order (for `why NAME`).
    private var byName: [String: [LocatedBuffer]] = [:]

    /// Indexes `events` (a buffer recorded twice is indexed where it first appears).
    public init(events: [TraceEvent]) {
        for event in events {
            for buffer in event.buffers {
                let located = LocatedBuffer(
                    buffer: buffer, event: event.sequence, function: event.function, phase: event.phase,
                    threadName: event.threadName)
                if let id = buffer.id, byID[id] == nil { byID[id] = located }
                byName[buffer.name.lowercased(), default: []].append(located)
            }
        }
    }

    /// The buffer with `id`, if the run recorded it.
    public func buffer(_ id: TraceBufferID) -> LocatedBuffer? { byID[id] }

    /// The last buffer named `name` (any case) recorded at or before event `position`.
    public func latest(named name: String, atOrBefore position: Int) -> LocatedBuffer? {
        byName[name.lowercased()]?.last { $0.event <= position }
    }

    /// The last buffer with an id holding exactly `bytes`, recorded at or before `position`.
    public func latest(holding bytes: [UInt8], atOrBefore position: Int) -> LocatedBuffer? {
        var found: LocatedBuffer?
        for located in byID.values where located.event <= position && located.buffer.bytes == bytes {
            if let best = found, (best.event, best.buffer.id ?? .unrecorded) > (located.event, located.buffer.id ?? .unrecorded) {
                continue
            }
            found = located
        }
        return found
    }

    /// The walk back from `located`: its derivation's inputs, theirs, and so on to the roots.
    public func walk(from located: LocatedBuffer) -> ProvenanceNode {
        var shown: Set<TraceBufferID> = []
        return node(located, role: nil, range: nil, depth: 0, shown: &shown)
    }

    private func node(
        _ located: LocatedBuffer, role: String?, range: Range<Int>?, depth: Int, shown: inout Set<TraceBufferID>
    ) -> ProvenanceNode {
        let field = range.flatMap { r in located.buffer.spans.first { $0.range == r }?.name }
        var result = ProvenanceNode(
            role: role, located: located, range: range, field: field, derivation: located.buffer.derivation,
            inputs: [], shownAbove: false, missingInputs: [])
        if let id = located.buffer.id {
            guard shown.insert(id).inserted else {
                result.shownAbove = true
                return result
            }
        }
        guard depth < Self.maximumDepth, let derivation = located.buffer.derivation else { return result }
        for input in derivation.inputs {
            guard let source = byID[input.buffer] else {
                result.missingInputs.append(input.buffer)
                continue
            }
            result.inputs.append(node(source, role: input.role, range: input.range, depth: depth + 1, shown: &shown))
        }
        return result
    }
}
