import Stepper

/// What one REPL line asks for: a stepper ``Command``, or something the REPL does itself
/// (help, quit, showing recorded events, listing sources).
enum REPLLine: Equatable {
    case command(Command)
    /// Several commands whose reports show one after another (`info session`).
    case commands([Command])
    /// `next N`: `next` run up to N times, stopping early at a stop.
    case repeated(Command, times: Int)
    /// `help` (nil) or `help COMMAND`.
    case help(String?)
    case apropos(String)
    case quit
    /// The buffers and state changes of event N (default: the last); `full`: every byte.
    case show(Int?, full: Bool)
    /// The value at a state path; `full`: a buffer's every byte (`print --all`, `print/x`).
    case print(path: String, full: Bool)
    /// The last `count` events matching `filter` (a function, a thread or a phase; all without).
    case events(filter: String?, count: Int)
    /// The source of `function` (the current one for nil); `more`: the lines after the last shown.
    case list(function: String?, more: Bool)
    /// `x/N[xbc] TARGET[+OFFSET]`.
    case examine(Examine)
    /// The scenario's settings, labelled against 3.8.
    case scenario
    /// A condition that must hold (an error in a script when it does not).
    case expect(String)
    /// Write the run so far as a trace document to `path`, replacing a file only if `force`.
    case export(path: String, force: Bool)
    /// `lesson list|start NAME|next|hint|stop`: the words after `lesson`.
    case lesson([String])
    /// A name kept for a later version.
    case reserved(String)
    /// A blank line.
    case nothing
    /// The line was not understood; the message says how to write it.
    case usage(String)
}

/// `x`'s arguments.
struct Examine: Equatable {
    enum Format: Character, Equatable {
        case hex = "x"
        case characters = "c"
    }

    var count: Int
    var format: Format
    var target: String
    var offset: Int
}

/// Turns REPL lines into ``REPLLine``s with gdb's grammar: the first word is a command name, one
/// of gdb's abbreviations (`b` break, `c` continue, `s` step, `n` next, `p` print, `bt`, `i`
/// info) or a unique prefix of a name (``REPLCommandSpec/all``); a misspelt one gets the closest
/// names. Arguments are split on blanks, except conditions and `why`/`x` targets, kept as typed.
enum REPLParser {
    /// Bytes `x` shows when no count is given (a signature's worth).
    static let defaultExamineCount = 8
    /// Events `events` shows when no count is given.
    static let defaultEventCount = 10
    /// The most bytes one `x` shows, and the furthest offset it starts at: more than any
    /// message or key holds (a READ_ANDX reply is at most 128 KiB), and far from overflow.
    static let largestExamine = 1 << 24

    /// Every full command name, for completion.
    static var names: [String] { REPLCommandSpec.all.map(\.name) }

    /// The command a typed first word means, or why it means none.
    static func resolve(_ word: String) -> Result<REPLCommandSpec, ParseFailure> {
        let all = REPLCommandSpec.all
        if let exact = all.first(where: { $0.name == word || $0.aliases.contains(word) }) { return .success(exact) }
        let candidates = all.filter { $0.name.hasPrefix(word) }
        if candidates.count == 1 { return .success(candidates[0]) }
        if candidates.count > 1 {
            return .failure(.init("ambiguous command '\(escaped(word))': " + candidates.map(\.name).joined(separator: ", ")))
        }
        let closest = EditDistance.closest(to: word, among: all.map(\.name) + all.flatMap(\.aliases).filter { $0.count > 2 }, limit: 1)
        let hint = closest.first.map { "; the closest is '\($0)'" } ?? ""
        return .failure(.init("unknown command '\(escaped(word))'\(hint) ('help' lists them)"))
    }

    /// A message for input the parser refused.
    struct ParseFailure: Error, Equatable {
        var message: String
        init(_ message: String) { self.message = message }
    }

    static func parse(_ line: String) -> REPLLine {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let typed = words.first else { return .nothing }
        // `x/8xb`, `p/x`: a modifier after the command word.
        let slash = typed.firstIndex(of: "/")
        let word = slash.map { String(typed[..<$0]) } ?? typed
        let modifier = slash.map { String(typed[typed.index(after: $0)...]) }
        if word.isEmpty { return .usage("unknown command '\(escaped(typed))' ('help' lists them)") }
        let spec: REPLCommandSpec
        switch resolve(word) {
        case let .success(found): spec = found
        case let .failure(failure): return .usage(failure.message)
        }
        if let modifier, !["x", "print", "show"].contains(spec.name) {
            return .usage("\(spec.name) takes no /\(escaped(modifier)); usage: \(spec.usage)")
        }
        return parse(spec, modifier: modifier, args: Array(words.dropFirst()), line: line)
    }

    private static func usage(_ spec: REPLCommandSpec, _ extra: String = "") -> REPLLine {
        .usage("usage: \(spec.usage)" + extra)
    }

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    private static func parse(_ spec: REPLCommandSpec, modifier: String?, args: [String], line: String) -> REPLLine {
        switch spec.name {
        case "quit":
            return .quit
        case "help":
            guard let topic = args.first else { return .help(nil) }
            return .help(topic)
        case "apropos":
            guard !args.isEmpty else { return usage(spec) }
            return .apropos(args.joined(separator: " "))
        case "step":
            if args.first == "thread" {
                guard args.count >= 2, let id = Int(args[1]) else { return .usage("usage: step thread N [COUNT]") }
                return count(Array(args.dropFirst(2)), default: 1, spec) { .command(.stepThread(id: id, count: $0)) }
            }
            return count(args, default: 1, spec) { .command(.step(count: $0)) }
        case "next":
            return count(args, default: 1, spec) { $0 == 1 ? .command(.next) : .repeated(.next, times: $0) }
        case "finish":
            return args.isEmpty ? .command(.finish) : usage(spec)
        case "continue":
            return args.isEmpty ? .command(.continue) : usage(spec, " (no arguments)")
        case "reverse-step":
            return count(args, default: 1, spec) { .command(.reverseStep(count: $0)) }
        case "reverse-continue":
            return args.isEmpty ? .command(.reverseContinue) : usage(spec)
        case "goto":
            guard args.count == 1, let n = Int(args[0]), n >= 0 else { return usage(spec, " (an event number ≥ 0)") }
            return .command(.goto(event: n))
        case "run":
            return .command(.reset(settings: args))
        case "break", "tbreak":
            guard let function = args.first else { return usage(spec) }
            var condition: String?
            if args.count > 1 {
                guard args[1] == "if", args.count > 2 else { return usage(spec) }
                condition = conditionText(of: line)
            }
            return .command(spec.name == "break" ? .breakpoint(function: function, condition: condition)
                : .temporaryBreakpoint(function: function, condition: condition))
        case "watch":
            guard args.count == 1 else { return usage(spec, " (e.g. watch server.sequenceNumber)") }
            return .command(.watch(path: args[0]))
        case "delete":
            guard let target = args.first else { return .command(.delete(.all)) }
            guard args.count == 1 else { return usage(spec) }
            return .command(.delete(Int(target).map(DeleteTarget.number) ?? .function(target)))
        case "info":
            return info(args)
        case "backtrace":
            guard let n = args.first else { return .command(.backtrace()) }
            guard args.count == 1, let id = Int(n) else { return usage(spec) }
            return .command(.backtrace(thread: id))
        case "thread":
            guard args.count == 1, let id = Int(args[0]) else { return usage(spec) }
            return .command(.selectThread(id: id))
        case "threads":
            return .command(.threads)
        case "print":
            if let modifier, modifier != "x" { return .usage("print takes /x (every byte) only; usage: print[/x] PATH") }
            let full = modifier == "x" || args.first == "--all"
            let rest = args.first == "--all" ? Array(args.dropFirst()) : args
            guard rest.count == 1 else { return .usage("usage: print [--all] PATH (e.g. print server.sequenceNumber)") }
            return .print(path: rest[0], full: full)
        case "x":
            return examine(modifier: modifier, args: args)
        case "why":
            guard !args.isEmpty else { return .usage("usage: why $N | PATH | NAME (e.g. why signature, why server.sessionKey)") }
            return .command(.why(target: unquoted(args.joined(separator: " "))))
        case "check", "expect":
            guard !args.isEmpty else { return usage(spec, " (e.g. \(spec.name) ra.size == 30)") }
            let condition = conditionText(of: line)
            return spec.name == "check" ? .command(.evaluate(condition: condition)) : .expect(condition)
        case "show":
            let full = modifier == "x" || args.first == "--all"
            if let modifier, modifier != "x" { return .usage("usage: show [--all] [N]") }
            let rest = args.first == "--all" ? Array(args.dropFirst()) : args
            guard let n = rest.first else { return .show(nil, full: full) }
            guard rest.count == 1, let number = Int(n) else { return .usage("usage: show [--all] [N] (N: an event number)") }
            return .show(number, full: full)
        case "events":
            var rest = args
            var number = defaultEventCount
            if let last = rest.last, let n = Int(last) {
                guard n > 0 else { return .usage("events: expected a positive number, got '\(escaped(last))'") }
                number = n
                rest.removeLast()
            }
            guard rest.count <= 1 else { return usage(spec) }
            return .events(filter: rest.first, count: number)
        case "list":
            guard args.count <= 1 else { return usage(spec) }
            return .list(function: args.first, more: false)
        case "set":
            return set(args)
        case "inject":
            guard !args.isEmpty else {
                return .usage("usage: inject FAULT[:N]; FAULT is one of " + StepperFault.names.joined(separator: ", "))
            }
            do {
                return .command(.fault(try StepperFault(parsing: args.joined(separator: " "))))
            } catch {
                return .usage("inject: " + escaped("\(error)"))
            }
        case "flow":
            guard let auth = args.first, Scenario.Auth(rawValue: auth) != nil else {
                return .usage("usage: flow ntlm|ntlmv2|ntlmssp [sign] [FILE]")
            }
            let rest = args.dropFirst()
            var settings = ["auth=\(auth)", "signing=\(rest.contains("sign") ? "on" : "off")"]
            if let file = rest.first(where: { $0 != "sign" }) { settings.append("file=\(file)") }
            return .command(.reset(settings: settings))
        case "seed":
            guard args.count == 1, UInt64(args[0]) != nil else { return usage(spec) }
            return .command(.reset(settings: ["seed=\(args[0])"]))
        case "export":
            let force = args.first == "--force" || args.first == "-f"
            let rest = force ? Array(args.dropFirst()) : args
            guard rest.count == 1 else { return usage(spec) }
            return .export(path: rest[0], force: force)
        case "lesson":
            return .lesson(args)
        default:
            return .reserved(spec.name)
        }
    }

    private static func info(_ args: [String]) -> REPLLine {
        let topics = REPLCommandSpec.infoTopics
        let all = "info " + topics.map(\.name).joined(separator: "|")
        guard let word = args.first else { return .usage("usage: \(all)") }
        let exact = topics.first { $0.name == word || $0.aliases.contains(word) }
        let prefixed = topics.filter { $0.name.hasPrefix(word) }
        guard let topic = exact ?? (prefixed.count == 1 ? prefixed[0] : nil) else {
            if prefixed.count > 1 {
                return .usage("ambiguous info topic '\(escaped(word))': " + prefixed.map(\.name).joined(separator: ", "))
            }
            let closest = EditDistance.closest(to: word, among: topics.map(\.name), limit: 1)
            return .usage("unknown info topic '\(escaped(word))'" + (closest.first.map { "; the closest is '\($0)'" } ?? "")
                + "; usage: \(all)")
        }
        let rest = Array(args.dropFirst())
        switch topic.name {
        case "breakpoints": return .command(.infoBreakpoints)
        case "threads": return .command(.threads)
        case "mids": return .command(.infoState(prefix: "mid["))
        case "pages": return .commands([.infoState(prefix: "page["), .infoState(prefix: "mapping.")])
        case "session": return .commands([.infoState(prefix: "ses."), .infoState(prefix: "tcon.")])
        case "server": return .command(.infoState(prefix: "server."))
        case "functions": return .command(.infoFunctions(matching: rest.first))
        case "state": return .command(.infoState(prefix: rest.first))
        case "scenario": return .scenario
        default: return .command(.infoFaults)
        }
    }

    /// `set KEY VALUE` (or `set KEY=VALUE`): a scenario setting, which starts the run over.
    private static func set(_ args: [String]) -> REPLLine {
        var pieces = args
        if pieces.count == 1, let equals = pieces[0].firstIndex(of: "=") {
            pieces = [String(pieces[0][..<equals]), String(pieces[0][pieces[0].index(after: equals)...])]
        }
        let keys = REPLCommandSpec.settings.map(\.name)
        guard pieces.count >= 1 else { return .usage("usage: set KEY VALUE; KEY is one of " + keys.joined(separator: ", ")) }
        guard let setting = REPLCommandSpec.settings.first(where: { $0.name == pieces[0] }) else {
            let closest = EditDistance.closest(to: pieces[0], among: keys, limit: 1)
            return .usage("unknown setting '\(escaped(pieces[0]))'" + (closest.first.map { "; the closest is '\($0)'" } ?? "")
                + "; set KEY VALUE with KEY one of " + keys.joined(separator: ", "))
        }
        let value = pieces.dropFirst().joined(separator: " ")
        guard pieces.count >= 2 || setting.key == "domain" else {
            return .usage("usage: set \(setting.name) VALUE" + (setting.values.isEmpty ? "" : " (e.g. " + setting.values.joined(separator: ", ") + ")"))
        }
        if setting.name == "size" {
            return .command(.reset(settings: ["file=random-\(value.lowercased()).bin"]))
        }
        return .command(.reset(settings: ["\(setting.key)=\(value)"]))
    }

    /// `x/N[xbc] TARGET[+OFFSET]`.
    private static func examine(modifier: String?, args: [String]) -> REPLLine {
        let form = "usage: x/N[xbc] WHAT[+OFFSET] (e.g. x/8xb signature, x/16c last.received+32)"
        var count = defaultExamineCount
        var format = Examine.Format.hex
        if let modifier {
            let digits = modifier.prefix { $0.isASCII && $0.isNumber }
            if !digits.isEmpty {
                guard let n = Int(digits), n > 0, n <= largestExamine else {
                    return .usage("x: expected a count 1 ... \(largestExamine); " + form)
                }
                count = n
            }
            for letter in modifier.dropFirst(digits.count) {
                switch letter {
                case "x", "b": break
                case "c": format = .characters
                case "h", "w", "g":
                    return .usage("x: only byte units here (b), not '\(letter)'; " + form)
                default:
                    return .usage("x: unknown format '\(escaped(String(letter)))'; " + form)
                }
            }
        }
        guard !args.isEmpty else { return .usage(form) }
        var target = unquoted(args.joined(separator: " "))
        var offset = 0
        if let plus = target.lastIndex(of: "+") {
            let number = String(target[target.index(after: plus)...]).trimmingCharacters(in: " ")
            let parsed = number.hasPrefix("0x") ? Int(number.dropFirst(2), radix: 16) : Int(number)
            guard let parsed, parsed >= 0, parsed <= largestExamine else {
                return .usage("x: expected a byte offset 0 ... \(largestExamine) after '+', got '\(escaped(number))'")
            }
            offset = parsed
            target = String(target[..<plus]).trimmingCharacters(in: " ")
        }
        return .examine(Examine(count: count, format: format, target: target, offset: offset))
    }

    /// `make(N)` for a positive count in `args` (or `value` without one).
    private static func count(_ args: [String], default value: Int, _ spec: REPLCommandSpec,
                              _ make: (Int) -> REPLLine) -> REPLLine {
        guard let first = args.first else { return make(value) }
        guard args.count == 1 else { return usage(spec) }
        guard let n = Int(first), n > 0 else { return .usage("expected a positive number, got '\(escaped(first))'; usage: \(spec.usage)") }
        return make(n)
    }

    private static func unquoted(_ text: String) -> String {
        let quotes: Set<Character> = ["\"", "'"]
        return String(text.drop(while: quotes.contains).reversed().drop(while: quotes.contains).reversed())
    }

    /// The condition of a `break … if`, `check` or `expect` line, spaces inside kept as typed.
    private static func conditionText(of line: String) -> String {
        guard let offset = conditionOffset(in: line) else { return "" }
        // Leading blanks are behind the offset already; drop the trailing ones. (Done here
        // rather than with CifstepKit's String helpers so this file compiles on its own: the
        // fuzz harness Fuzz/FuzzREPL builds it without the rest of CifstepKit.)
        var condition = line.dropFirst(offset)
        while let last = condition.last, last == " " || last == "\t" { condition = condition.dropLast() }
        return String(condition)
    }

    /// Where the condition of a `break … if`, `check` or `expect` line starts (0-based), so an
    /// error column can point into the line as typed.
    static func conditionOffset(in line: String) -> Int? {
        let chars = Array(line)
        var i = 0
        func skipBlanks() { while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 } }
        func skipWord() { while i < chars.count, chars[i] != " " && chars[i] != "\t" { i += 1 } }
        skipBlanks()
        let first = i
        skipWord()
        let word = String(chars[first..<i])
        if let spec = try? resolve(word).get(), spec.name == "check" || spec.name == "expect" {
            skipBlanks()
            return i
        }
        // The condition starts after the first blank-separated word `if` (blanks: spaces or tabs).
        while i < chars.count {
            skipBlanks()
            let start = i
            skipWord()
            if start > first, String(chars[start..<i]) == "if" {
                skipBlanks()
                return i
            }
        }
        return nil
    }

    /// `text` with control characters shown as escapes (`\x1b`, `\t`), so junk input never
    /// reaches the terminal raw.
    static func escaped(_ text: String) -> String {
        TextFit.escapingControls(text)
    }
}
