/// Turns the name a client sends (`\dir\file.txt`) into components under the share root, and
/// refuses anything that could leave it.
///
/// Separators are `\` and `/`. Leading backslashes are normal (names are relative to the share
/// root); `.` and empty components are dropped. Refused with ACCESS_DENIED: a `..` component
/// anywhere, and absolute names — one starting with `/` (a Unix path) or with a drive (`C:`).
/// Wildcards, `:` (streams) and NUL are OBJECT_NAME_INVALID.
enum SharePath {
    /// Scalars no component may hold: wildcards, the stream separator `:`, NUL, and the
    /// characters Windows reserves.
    private static let invalidScalars: Set<Unicode.Scalar> = ["*", "?", "<", ">", "\"", "|", ":", "\u{0}"]

    /// Works on Unicode scalars, not Characters: in Swift a separator followed by a combining
    /// mark (`/\u{301}`) is one Character, unequal to `/`, so splitting on Characters would
    /// leave a separator the file system still sees inside a component (`..\u{2F}\u{301}x` would
    /// pass as one harmless name and open `../\u{301}x`).
    static func components(of name: String) throws(ShareError) -> [String] {
        let scalars = Array(name.unicodeScalars)
        if scalars.first == "/" { throw .accessDenied }
        if scalars.count >= 2, scalars[1] == ":", scalars[0].properties.isAlphabetic {
            throw .accessDenied
        }
        var result: [String] = []
        for part in scalars.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\\" || $0 == "/" }) {
            if part.allSatisfy({ $0 == "." }) {
                if part.count == 1 { continue }
                if part.count == 2 { throw .accessDenied }
            }
            if part.contains(where: { invalidScalars.contains($0) }) { throw .nameInvalid }
            var component = String.UnicodeScalarView()
            component.append(contentsOf: part)
            result.append(String(component))
        }
        return result
    }
}
