/// Aligns two sequences on equal keys with Myers' O((N+M)·D) shortest edit script: the longest
/// run of pairs in order, everything else on one side only.
enum SequenceAlignment {
    /// Past this many differences the alignment stops searching and pairs the rest in order
    /// where keys are equal (bounds time and memory on two unrelated runs: the search keeps
    /// about D² integers).
    static let maximumEdits = 1_500

    /// The pairs `(a index, b index)` in order; `nil` on one side where an element has no partner.
    static func align<K: Equatable>(_ a: [K], _ b: [K]) -> [(a: Int?, b: Int?)] {
        // Common prefix and suffix cost nothing to align.
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] {
            suffix += 1
        }
        var out: [(a: Int?, b: Int?)] = (0..<prefix).map { ($0, $0) }
        let midA = Array(a[prefix..<(a.count - suffix)]), midB = Array(b[prefix..<(b.count - suffix)])
        for (x, y) in middle(midA, midB) { out.append((x.map { $0 + prefix }, y.map { $0 + prefix })) }
        for k in 0..<suffix { out.append((a.count - suffix + k, b.count - suffix + k)) }
        return out
    }

    private static func middle<K: Equatable>(_ a: [K], _ b: [K]) -> [(Int?, Int?)] {
        let n = a.count, m = b.count
        if n == 0 { return (0..<m).map { (nil, $0) } }
        if m == 0 { return (0..<n).map { ($0, nil) } }
        let limit = min(n + m, maximumEdits)
        let offset = limit + 1
        var v = [Int](repeating: 0, count: 2 * limit + 3)
        var trace: [[Int]] = []
        var found = false
        search: for d in 0...limit {
            trace.append(Array(v[(offset - d - 1)...(offset + d + 1)]))
            for k in stride(from: -d, through: d, by: 2) {
                var x: Int
                if k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]) {
                    x = v[offset + k + 1]
                } else {
                    x = v[offset + k - 1] + 1
                }
                var y = x - k
                while x < n, y < m, a[x] == b[y] { x += 1; y += 1 }
                v[offset + k] = x
                if x >= n, y >= m { found = true; break search }
            }
        }
        guard found else { return inOrder(a, b) }
        // Walk back through the saved frontiers.
        var pairs: [(Int?, Int?)] = []
        var x = n, y = m
        for d in stride(from: trace.count - 1, through: 0, by: -1) {
            let saved = trace[d]   // v before round d, indices -d-1 ... d+1
            func at(_ k: Int) -> Int { saved[k + d + 1] }
            let k = x - y
            let previousK = (k == -d || (k != d && at(k - 1) < at(k + 1))) ? k + 1 : k - 1
            let previousX = d == 0 ? 0 : at(previousK)
            let previousY = previousX - previousK
            while x > previousX, y > previousY {
                x -= 1; y -= 1
                pairs.append((x, y))
            }
            if d > 0 {
                if x == previousX { y -= 1; pairs.append((nil, y)) } else { x -= 1; pairs.append((x, nil)) }
            }
        }
        return pairs.reversed()
    }

    /// The fallback: equal keys at equal positions paired, the rest one-sided.
    private static func inOrder<K: Equatable>(_ a: [K], _ b: [K]) -> [(Int?, Int?)] {
        var out: [(Int?, Int?)] = []
        for i in 0..<max(a.count, b.count) {
            if i < a.count, i < b.count, a[i] == b[i] { out.append((i, i)); continue }
            if i < a.count { out.append((i, nil)) }
            if i < b.count { out.append((nil, i)) }
        }
        return out
    }
}
