/// DOS-style name matching for directory searches (MS-FSA 2.1.4.4, simplified): `*` matches
/// any run of characters, `?` one character; `<`, `>` and `"` (the DOS_STAR, DOS_QM and
/// DOS_DOT forms clients send) are treated as `*`, `?` and `.`. `*.*` matches every name, as
/// on Windows. Comparison ignores case.
enum WildcardPattern {
    static func matches(_ name: String, _ pattern: String) -> Bool {
        if pattern.isEmpty || pattern == "*" || pattern == "*.*" || pattern == "<.*" { return true }
        let p = Array(pattern.lowercased().map { c -> Character in
            switch c {
            case "<": return "*"
            case ">": return "?"
            case "\"": return "."
            default: return c
            }
        })
        let n = Array(name.lowercased())
        // Iterative glob matching with one backtrack point (linear in practice).
        var (pi, ni) = (0, 0)
        var star: Int?
        var resume = 0
        while ni < n.count {
            if pi < p.count && (p[pi] == "?" || p[pi] == n[ni]) {
                pi += 1
                ni += 1
            } else if pi < p.count && p[pi] == "*" {
                star = pi
                resume = ni
                pi += 1
            } else if let s = star {
                pi = s + 1
                resume += 1
                ni = resume
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
