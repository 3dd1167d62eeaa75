/// Turns the name a client sends (`\dir\file.txt`) into components under the share root, and
/// refuses anything that could leave it.
///
/// Separators are `\` and `/`. Leading backslashes are normal (names are relative to the share
/// root); `.` and empty components are dropped. Refused with ACCESS_DENIED: a `..` component
/// anywhere, and absolute names — one starting with `/` (a Unix path) or with a drive (`C:`).
/// Wildcards, `:` (streams) and NUL are OBJECT_NAME_INVALID.
enum SharePath {
    /// Characters no component may hold: wildcards, the stream separator `:`, NUL, and the
    /// characters Windows reserves.
    private static let invalidCharacters: Set<Character> = ["*", "?", "<", ">", "\"", "|", ":", "\u{0}"]

    static func components(of name: String) throws(ShareError) -> [String] {
        if name.hasPrefix("/") { throw .accessDenied }
        let scalars = Array(name.unicodeScalars)
        if scalars.count >= 2, scalars[1] == ":", scalars[0].properties.isAlphabetic {
            throw .accessDenied
        }
        var result: [String] = []
        for part in name.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\\" || $0 == "/" }) {
            let component = String(part)
            if component == "." { continue }
            if component == ".." { throw .accessDenied }
            if component.contains(where: { invalidCharacters.contains($0) }) { throw .nameInvalid }
            result.append(component)
        }
        return result
    }
}
