/// Suggestions for a misspelt name: the known names nearest by edit distance.
public enum EditDistance {
    /// How many suggestions an error lists.
    public static let suggestionCount = 5

    /// Levenshtein distance (insertions, deletions, substitutions each cost 1), over characters.
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// The `limit` names of `candidates` nearest to `name`: by distance, then a name that
    /// contains the other (a prefix typed), then alphabetically — never in hash order.
    public static func closest(to name: String, among candidates: [String], limit: Int = suggestionCount) -> [String] {
        let lowered = name.lowercased()
        var seen: Set<String> = []
        let unique = candidates.filter { seen.insert($0).inserted }
        let scored = unique.map { candidate -> (String, Int, Bool) in
            let other = candidate.lowercased()
            let contains = !lowered.isEmpty && (other.contains(lowered) || lowered.contains(other))
            return (candidate, distance(lowered, other), contains)
        }
        return scored.sorted { x, y in
            if x.2 != y.2 { return x.2 }
            if x.1 != y.1 { return x.1 < y.1 }
            return x.0 < y.0
        }
        .prefix(limit)
        .map(\.0)
    }
}
