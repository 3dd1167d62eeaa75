/// An executable lesson: a Markdown handout whose `cifstep` code blocks the stepper runs.
///
/// A lesson reads on its own, on a forge or in an editor: prose, and fenced blocks whose info
/// string is `cifstep`. Inside those blocks each line is one of:
///
/// - a REPL command (`break cifs_sign_smb`, `continue`, `print server.sequenceNumber`), run in order;
/// - `expect CONDITION` — a checkpoint on live state, in the stepper's condition grammar
///   (`expect server.sequenceNumber == 4`);
/// - `predict PATH` or `predict PATH = ANSWER` — the student is asked for the value at `PATH`
///   before it is shown; the answer a lesson states is checked by `lesson check`;
/// - `hint TEXT` — shown when the student asks (`lesson hint`), for the next prediction or
///   checkpoint;
/// - `# a comment`, or a blank line — ignored.
///
/// The lesson is split into ``LessonStep``s: the prose up to a `cifstep` block, and that block.
public struct Lesson: Equatable, Sendable {
    /// The file it came from, as given (for `file:line` in reports).
    public var file: String
    /// The first level-1 heading (`# Title`), without the `#`.
    public var title: String
    /// The steps, in order.
    public var steps: [LessonStep]

    public init(file: String, title: String, steps: [LessonStep]) {
        self.file = file
        self.title = title
        self.steps = steps
    }

    /// Every action of every step, in order.
    public var actions: [LessonAction] { steps.flatMap(\.actions) }
}

/// Prose, then what the stepper does: one `cifstep` block (the prose after the last block is a
/// step with no actions).
public struct LessonStep: Equatable, Sendable {
    /// The Markdown lines before the block, as written (fences of other blocks included).
    public var prose: [String]
    /// The block's lines, in order.
    public var actions: [LessonAction]

    public init(prose: [String], actions: [LessonAction]) {
        self.prose = prose
        self.actions = actions
    }
}

/// One line of a `cifstep` block, with its 1-based line number in the file.
public struct LessonAction: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// A REPL command line.
        case command(String)
        /// A checkpoint: the condition must hold.
        case expect(String)
        /// Ask for the value at `path`; `answer` is the lesson's own, if it states one.
        case predict(path: String, answer: String?)
        /// Help for the next prediction or checkpoint.
        case hint(String)
    }

    public var kind: Kind
    public var line: Int

    public init(_ kind: Kind, line: Int) {
        self.kind = kind
        self.line = line
    }
}

/// Why a lesson file could not be read: the line and what is wrong there.
public struct LessonFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 1-based line number (0 when the problem is the whole file).
    public var line: Int
    public var message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { line > 0 ? "line \(line): \(message)" : message }
}
