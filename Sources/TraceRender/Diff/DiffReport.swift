import Foundation

/// A ``TraceDiff`` as text for people (`cifstep diff`), or as JSON.
///
/// ```
/// cifstep diff
///   A  ntlm    sec=ntlm, signing on, hello.txt, seed 1 (579 events, 16 messages)
///   B  ntlmv2  sec=ntlmv2, signing on, hello.txt, seed 1 (564 events, 16 messages)
///   settings: auth ntlm | ntlmv2
///
/// In short
///   …
/// On the wire
///   same            NEGOTIATE request mid 1                 #15 | #15
///   differs         SESSION_SETUP_ANDX request mid 2        #93 | #77
///                     SessionSetupAndXRequest.UnicodePasswordLen  24 (0x0018) | 70 (0x0046)
/// ```
public enum DiffReport {
    /// How many differing events the text lists (the JSON has them all).
    public static let listedEvents = 60
    /// How many differing fields a row lists.
    public static let listedFields = 8

    public static func text(_ diff: TraceDiff) -> String {
        var out: [String] = ["cifstep diff"]
        let width = max(diff.a.label.count, diff.b.label.count)
        for (tag, side) in [("A", diff.a), ("B", diff.b)] {
            out.append("  \(tag)  " + pad(side.label, width) + "  \(side.title) (\(side.events) events, \(side.messages) messages)")
        }
        if diff.settings.isEmpty {
            out.append("  settings: the same")
        } else {
            out.append("  settings: " + diff.settings.map { "\($0.name) \($0.a ?? "∅") | \($0.b ?? "∅")" }.joined(separator: ", "))
        }
        out.append("")
        out.append("In short")
        for line in summary(diff) { out.append("  " + line) }
        out.append("")
        out.append("On the wire (A | B: the events that carried each message)")
        let titleWidth = min(44, diff.messages.map(\.title.count).max() ?? 0)
        for row in diff.messages {
            out.append("  " + pad(row.verdict.rawValue, 15) + " " + pad(row.title, titleWidth) + "  "
                + event(row.eventA) + " | " + event(row.eventB))
            if row.verdict == .differs || row.verdict == .signatureOnly { out += fieldLines(row.fields, indent: 20) }
        }
        out.append("")
        out.append("Computed values that differ (by thread and name; the first differing occurrence, A then B)")
        let both = diff.values.filter { $0.differing > 0 }
        if both.isEmpty { out.append("  none") }
        for row in both {
            let counts = row.countA == row.countB ? "\(row.differing) of \(row.countA) differ"
                : "\(row.countA) in A, \(row.countB) in B, \(row.differing) differ"
            out.append("  \(row.thread) · \(row.name): \(counts)")
            out.append("      A " + event(row.eventA) + " " + clip(row.firstA ?? "—", 110))
            out.append("      B " + event(row.eventB) + " " + clip(row.firstB ?? "—", 110))
        }
        for (label, keep) in [("only in A", { (r: TraceDiff.ValueRow) in r.countB == 0 }),
                              ("only in B", { (r: TraceDiff.ValueRow) in r.countA == 0 }),
                              ("computed more often in one run", { (r: TraceDiff.ValueRow) in
                                  r.differing == 0 && r.countA > 0 && r.countB > 0 })] {
            let rows = diff.values.filter(keep)
            guard !rows.isEmpty else { continue }
            out.append("  \(label): " + rows.map { r in
                "\(r.thread) \(r.name)" + (label.hasPrefix("only") ? "" : " (\(r.countA) | \(r.countB))")
            }.joined(separator: ", "))
        }
        out.append("")
        out.append("Events (aligned by function and phase in each thread's order)")
        out.append("  \(diff.alignedEvents) aligned, \(diff.alikeEvents) alike; \(diff.onlyInA) only in A, \(diff.onlyInB) only in B")
        out += oneSided(diff.events, .onlyInA, "only in A")
        out += oneSided(diff.events, .onlyInB, "only in B")
        let differing = diff.events.filter { $0.verdict == .differs || $0.verdict == .signatureOnly }
        for row in differing.prefix(listedEvents) {
            out.append("  " + event(row.eventA) + " | " + event(row.eventB) + "  \(row.thread) \(row.function) \(row.phase)"
                + (row.verdict == .signatureOnly ? " (signature only)" : ""))
            for buffer in row.buffers {
                out.append("      buffer \(buffer.name):")
                out += fieldLines(buffer.fields, indent: 8)
            }
            for change in row.state {
                out.append("      \(change.name): " + clip(change.a ?? "—", 60) + " | " + clip(change.b ?? "—", 60))
            }
        }
        if differing.count > listedEvents {
            out.append("  … \(differing.count - listedEvents) more differing events (--json lists them all)")
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// The conclusions a reader wants first: what is equal, where it starts to differ, and what
    /// differs after the session is set up.
    public static func summary(_ diff: TraceDiff) -> [String] {
        var lines: [String] = []
        let rows = diff.messages
        func commandOf(_ title: String) -> String { String(title.prefix { $0 != " " }) }
        var commands: [String] = []
        for row in rows where !commands.contains(commandOf(row.title)) { commands.append(commandOf(row.title)) }
        // Up to the end of the session setup: one line per command.
        let setupEnd = rows.lastIndex { commandOf($0.title) == "SESSION_SETUP_ANDX" }
        let early = setupEnd.map { Array(rows[...$0]) } ?? rows
        var earlyCommands: [String] = []
        for row in early where !earlyCommands.contains(commandOf(row.title)) { earlyCommands.append(commandOf(row.title)) }
        for command in earlyCommands {
            let of = early.filter { commandOf($0.title) == command }
            if of.allSatisfy({ $0.verdict == .same }) {
                lines.append("\(command): the same in both runs.")
                continue
            }
            for row in of where row.verdict != .same {
                switch row.verdict {
                case .differs, .signatureOnly:
                    let names = row.fields.map(\.name)
                    lines.append("\(row.title) differs in " + names.prefix(listedFields).joined(separator: ", ")
                        + (names.count > listedFields ? " and \(names.count - listedFields) more" : "") + ".")
                case .onlyInA: lines.append("\(row.title) only in A.")
                case .onlyInB: lines.append("\(row.title) only in B.")
                case .same: break
                }
            }
        }
        var names: [String] = []
        for row in diff.values where row.differing > 0 && !names.contains(row.name) { names.append(row.name) }
        if !names.isEmpty {
            lines.append("Computed in both runs, with other bytes: " + names.prefix(12).joined(separator: ", ")
                + (names.count > 12 ? " and \(names.count - 12) more" : "") + ".")
        }
        let onlyA = diff.values.filter { $0.countB == 0 }.count, onlyB = diff.values.filter { $0.countA == 0 }.count
        if onlyA + onlyB > 0 {
            lines.append("Computed in one run only: \(onlyA) values in A, \(onlyB) in B (the steps of each login).")
        }
        if let setupEnd {
            let later = rows[(setupEnd + 1)...]
            let count = { (v: TraceDiff.Verdict) in later.filter { $0.verdict == v }.count }
            var parts: [String] = []
            if count(.signatureOnly) > 0 { parts.append("\(count(.signatureOnly)) differ only in their signatures") }
            if count(.same) > 0 { parts.append("\(count(.same)) are the same") }
            if count(.differs) > 0 { parts.append("\(count(.differs)) differ otherwise") }
            let oneSided = count(.onlyInA) + count(.onlyInB)
            if oneSided > 0 { parts.append("\(oneSided) are in one run only") }
            lines.append("After the session setup, of \(later.count) messages: "
                + (parts.isEmpty ? "none" : parts.joined(separator: ", ")) + ".")
        }
        return lines
    }

    /// The diff as JSON (sorted keys, so one pair of traces gives one file).
    public static func json(_ diff: TraceDiff) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do {
            return [UInt8](try encoder.encode(diff)) + [0x0a]
        } catch {
            // Strings, integers, arrays and optionals always encode: failing is a bug here.
            preconditionFailure("a trace diff did not encode: \(error)")
        }
    }

    private static func oneSided(_ rows: [TraceDiff.EventRow], _ verdict: TraceDiff.Verdict, _ label: String) -> [String] {
        var counts: [(String, Int)] = []
        for row in rows where row.verdict == verdict {
            let name = "\(row.thread) \(row.function)"
            if let i = counts.firstIndex(where: { $0.0 == name }) { counts[i].1 += 1 } else { counts.append((name, 1)) }
        }
        guard !counts.isEmpty else { return [] }
        return ["  \(label): " + counts.map { $0.1 > 1 ? "\($0.0) ×\($0.1)" : $0.0 }.joined(separator: ", ")]
    }

    private static func fieldLines(_ fields: [TraceDiff.Change], indent: Int) -> [String] {
        let width = min(48, fields.map(\.name.count).max() ?? 0)
        var lines = fields.prefix(listedFields).map {
            String(repeating: " ", count: indent) + pad($0.name, width) + "  " + ($0.a ?? "—") + " | " + ($0.b ?? "—")
        }
        if fields.count > listedFields {
            lines.append(String(repeating: " ", count: indent) + "… \(fields.count - listedFields) more fields")
        }
        return lines
    }

    /// `text` cut to `limit` characters, with `…` when cut.
    private static func clip(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    private static func event(_ n: Int?) -> String { n.map { "#\($0)" } ?? "—" }

    private static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
}
