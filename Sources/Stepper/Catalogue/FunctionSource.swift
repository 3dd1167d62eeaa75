/// The Swift source of one traced function, embedded at build time (`list` in the REPL): its
/// doc comment, declaration and body, with the line that traces it.
///
/// The text comes from `FunctionSources.generated.swift`, which `scripts/function-sources`
/// writes from the catalogue and the sources; a test fails when it falls behind them.
public struct FunctionSource: Equatable, Sendable {
    /// The traced name (the catalogue's `function`).
    public var function: String
    /// The Swift file, relative to the package root.
    public var file: String
    /// The file's line number (from 1) of the first line of ``lines``.
    public var firstLine: Int
    /// The line of the `traced("NAME"` call: where the function's events come from.
    public var markedLine: Int
    /// The lines, without their newlines.
    public var lines: [String]

    public init(function: String, file: String, firstLine: Int, markedLine: Int, lines: [String]) {
        self.function = function
        self.file = file
        self.firstLine = firstLine
        self.markedLine = markedLine
        self.lines = lines
    }

    init(function: String, file: String, firstLine: Int, markedLine: Int, text: String) {
        self.init(function: function, file: file, firstLine: firstLine, markedLine: markedLine,
                  lines: text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
    }

    /// Every traced function's source built into this binary, in catalogue order.
    public static let builtIn: [FunctionSource] = generated

    /// The source of the traced function `function` (or of the one whose 3.8 name it is).
    public static func of(_ function: String, in catalogue: TracepointCatalogue = .builtIn) -> FunctionSource? {
        let name = catalogue.entry(function)?.function
            ?? catalogue.entries.first(where: { $0.kernelName == function })?.function ?? function
        return builtIn.first { $0.function == name }
    }
}
