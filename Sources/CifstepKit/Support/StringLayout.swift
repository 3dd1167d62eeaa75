// Small string helpers of the REPL's text layout, in a file of their own so the fuzz target of
// the REPL's parser (Fuzz/FuzzREPL) can compile them without the rest of CifstepKit.

extension String {
    /// The string without trailing spaces (an annotation with an empty value ends in padding).
    func trimmingTrailingBlanks() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }

    /// Padded with spaces to `width` characters (unchanged when already as wide).
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    /// Without the leading and trailing characters that are in `set`.
    func trimmingCharacters(in set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s = s.dropFirst() }
        while let l = s.last, chars.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
