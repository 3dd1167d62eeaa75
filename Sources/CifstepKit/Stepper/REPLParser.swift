import Stepper

/// What one REPL line asks for: a stepper ``Command``, or something the REPL does itself
/// (help, quit, showing recorded events).
enum REPLLine: Equatable {
    case command(Command)
    case help
    case quit
    /// The buffers and state changes of event N (default: the last); `full`: every byte.
    case show(Int?, full: Bool)
    /// The value at a state path; `full`: a buffer's every byte (`print --all`, `print/x`).
    case print(path: String, full: Bool)
    /// The last N events.
    case list(Int)
    /// The scenario's settings, labelled against 3.8.
    case scenario
    /// Write the run so far as a trace document to `path`, replacing a file only if `force`.
    case export(path: String, force: Bool)
    /// A blank line.
    case nothing
    /// The line was not understood; the message says how to write it.
    case usage(String)
}

/// Turns REPL lines into ``REPLLine``s: words split on blanks, the first picks the command.
/// (The full gdb grammar, prefixes and completion come later.)
enum REPLParser {
    /// Every command: name, arguments, what it does — for `help` and tab completion.
    static let commands: [(name: String, args: String, help: String)] = [
        ("step", "[N]", "run N events (default 1), whichever threads run"),
        ("step thread", "N [COUNT]", "run only thread N, the others frozen; stops if it blocks"),
        ("next", "", "run to this thread's next event at the same or a shallower frame (n)"),
        ("finish", "", "run until this thread's current function returns"),
        ("continue", "", "run to the next breakpoint or watch, or the end (c)"),
        ("back", "[N]", "go back N events by replaying the run (also reverse-step)"),
        ("reverse-continue", "", "go back to the previous breakpoint or watch stop (rc)"),
        ("goto", "N", "go to event N"),
        ("break", "FUNCTION [if COND]", "stop where a kernel function is called, e.g. break cifs_sign_smb"),
        ("watch", "PATH", "stop when a state value changes, e.g. watch server.sequenceNumber"),
        ("delete", "[N|FUNCTION]", "remove one breakpoint or watch, or all"),
        ("info breakpoints", "", "the breakpoints and watches"),
        ("show", "[--all] [N]", "event N's buffers and state changes (default: the last; --all: uncut)"),
        ("list", "[N]", "the last N events (default 10)"),
        ("threads", "", "the simulated kernel threads and what they wait for"),
        ("thread", "N", "make thread N the current thread (for next, finish, bt)"),
        ("bt", "[N]", "the calls in progress on the current thread (or thread N)"),
        ("print", "[--all] PATH", "a state value now, e.g. print last.sent (p; --all or p/x: every byte)"),
        ("why", "$N|PATH|NAME", "where bytes came from, back to the password: why signature, why $12"),
        ("fault", "NAME [N]", "make the Nth from now go wrong (info faults; names: fault alone)"),
        ("info faults", "", "the faults armed in this run"),
        ("check", "COND", "whether a condition holds now, e.g. check page[0].flags has uptodate"),
        ("info state", "[PREFIX]", "every state value, or those under a prefix (info state ra)"),
        ("info scenario", "", "the scenario's settings"),
        ("reset", "[KEY=VALUE…]", "start over, e.g. reset readahead=256 signing=on (see info scenario)"),
        ("flow", "AUTH [sign] [FILE]", "start over: AUTH is ntlm, ntlmv2 or ntlmssp"),
        ("seed", "N", "start over with another seed"),
        ("export", "[--force] FILE.json", "write the run so far as a JSON trace (as cifstep trace does)"),
        ("help", "", "this list"),
        ("quit", "", "leave"),
    ]

    /// What `help` says about state paths after the commands (`info state` lists them all).
    static let pathHelp: [String] = [
        "State paths (print, watch, check, break … if; 'info state' lists every one):",
        "  server.*  ses.*  tcon.*  file.*  inode.i_size  mapping.nrpages  ra.*  cifsiod.pending",
        "  ses.authKey (freed by cifs_setup_session)  server.sessionKey  server.sequenceNumber",
        "  mid[N].state  mid[N].sequenceNumber (a freed mid says when it went)  page[N].flags",
        "  rdata[K].state/offset/bytesAsked/bytes/firstPage/pageCount/mid/result (K from 0)",
        "  threads (threads[N].name/state/waitsOn/function)  last.sent  last.received",
        "  mid: the current event's MID, e.g. break cifs_readv_callback if mid == 5",
        "'print rdata[0]' or 'print threads' shows every field; bytes show as annotated hex dumps.",
    ]

    /// First words, for tab completion.
    static var words: [String] {
        var seen: Set<String> = []
        return commands.compactMap { $0.name.split(separator: " ").first.map(String.init) }
            .filter { seen.insert($0).inserted }
    }

    static func parse(_ line: String) -> REPLLine {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let first = words.first else { return .nothing }
        let args = Array(words.dropFirst())
        switch first {
        case "quit", "exit", "q":
            return .quit
        case "help", "?":
            return .help
        case "step", "s":
            if args.first == "thread" {
                guard args.count >= 2, let id = Int(args[1]) else { return .usage("usage: step thread N [COUNT]") }
                return count(Array(args.dropFirst(2)), default: 1) { .command(.stepThread(id: id, count: $0)) }
            }
            return count(args, default: 1) { .command(.step(count: $0)) }
        case "next", "n":
            return .command(.next)
        case "finish", "fin":
            return .command(.finish)
        case "continue", "c":
            return .command(.continue)
        case "back", "b", "reverse-step", "rs":
            return count(args, default: 1) { .command(.reverseStep(count: $0)) }
        case "reverse-continue", "rc":
            return .command(.reverseContinue)
        case "goto":
            guard args.count == 1, let n = Int(args[0]), n >= 0 else { return .usage("usage: goto N") }
            return .command(.goto(event: n))
        case "break", "br":
            guard let function = args.first else { return .usage("usage: break FUNCTION [if CONDITION]") }
            guard args.count > 1 else { return .command(.breakpoint(function: function)) }
            guard args[1] == "if", args.count > 2 else { return .usage("usage: break FUNCTION [if CONDITION]") }
            return .command(.breakpoint(function: function, condition: condition(of: line)))
        case "watch":
            guard args.count == 1 else { return .usage("usage: watch PATH (e.g. watch server.sequenceNumber)") }
            return .command(.watch(path: args[0]))
        case "delete", "d":
            guard let target = args.first else { return .command(.delete(.all)) }
            return .command(.delete(Int(target).map(DeleteTarget.number) ?? .function(target)))
        case "show", "show/x":
            let full = first == "show/x" || args.first == "--all"
            let rest = args.first == "--all" ? Array(args.dropFirst()) : args
            guard let n = rest.first else { return .show(nil, full: full) }
            guard rest.count == 1, let number = Int(n) else { return .usage("usage: show [--all] [N]") }
            return .show(number, full: full)
        case "list", "l":
            return count(args, default: 10) { .list($0) }
        case "threads":
            return .command(.threads)
        case "thread":
            guard args.count == 1, let id = Int(args[0]) else { return .usage("usage: thread N") }
            return .command(.selectThread(id: id))
        case "bt", "backtrace", "where":
            guard let n = args.first else { return .command(.backtrace()) }
            guard let id = Int(n) else { return .usage("usage: bt [THREAD]") }
            return .command(.backtrace(thread: id))
        case "print", "p", "print/x", "p/x":
            let full = first.hasSuffix("/x") || args.first == "--all"
            let rest = args.first == "--all" ? Array(args.dropFirst()) : args
            guard rest.count == 1 else { return .usage("usage: print [--all] PATH (e.g. print server.sequenceNumber)") }
            return .print(path: rest[0], full: full)
        case "fault":
            guard !args.isEmpty else {
                return .usage("usage: fault NAME [N]; NAME is one of\n  " + StepperFault.names.joined(separator: ", "))
            }
            do {
                return .command(.fault(try StepperFault(parsing: args.joined(separator: " "))))
            } catch {
                return .usage("fault: \(error)")
            }
        case "why":
            guard !args.isEmpty else { return .usage("usage: why $N | PATH | NAME (e.g. why signature, why server.sessionKey)") }
            let quotes: Set<Character> = ["\"", "'"]
            let target = String(args.joined(separator: " ").drop(while: quotes.contains).reversed()
                .drop(while: quotes.contains).reversed())
            return .command(.why(target: target))
        case "check":
            guard !args.isEmpty else { return .usage("usage: check CONDITION (e.g. check ra.size == 30)") }
            return .command(.evaluate(condition: condition(of: line)))
        case "info", "i":
            switch args.first {
            case "state": return .command(.infoState(prefix: args.dropFirst().first))
            case "breakpoints", "break", "b", "watchpoints": return .command(.infoBreakpoints)
            case "threads": return .command(.threads)
            case "scenario": return .scenario
            case "faults": return .command(.infoFaults)
            default: return .usage("usage: info state [PREFIX] | info breakpoints | info threads | info scenario | info faults")
            }
        case "reset", "run":
            return .command(.reset(settings: args))
        case "flow":
            guard let auth = args.first, Scenario.Auth(rawValue: auth) != nil else {
                return .usage("usage: flow ntlm|ntlmv2|ntlmssp [sign] [FILE]")
            }
            let rest = args.dropFirst()
            var settings = ["auth=\(auth)", "signing=\(rest.contains("sign") ? "on" : "off")"]
            if let file = rest.first(where: { $0 != "sign" }) { settings.append("file=\(file)") }
            return .command(.reset(settings: settings))
        case "seed":
            guard args.count == 1, UInt64(args[0]) != nil else { return .usage("usage: seed N") }
            return .command(.reset(settings: ["seed=\(args[0])"]))
        case "export":
            let force = args.first == "--force" || args.first == "-f"
            let rest = force ? Array(args.dropFirst()) : args
            guard rest.count == 1 else { return .usage("usage: export [--force] FILE.json") }
            return .export(path: rest[0], force: force)
        default:
            return .usage("unknown command '\(first)'; 'help' lists them")
        }
    }

    /// `make(N)` for a positive count in `args` (or `value` without one).
    private static func count(_ args: [String], default value: Int, _ make: (Int) -> REPLLine) -> REPLLine {
        guard let first = args.first else { return make(value) }
        guard let n = Int(first), n > 0 else { return .usage("expected a positive number, got '\(first)'") }
        return make(n)
    }

    /// The condition of a `break … if` or `check` line, spaces inside kept as typed.
    private static func condition(of line: String) -> String {
        guard let offset = conditionOffset(in: line) else { return "" }
        // Leading blanks are behind the offset already; drop the trailing ones. (Done here
        // rather than with CifstepKit's String helpers so this file compiles on its own: the
        // fuzz harness Fuzz/FuzzREPL builds it without the rest of CifstepKit.)
        var condition = line.dropFirst(offset)
        while let last = condition.last, last == " " || last == "\t" { condition = condition.dropLast() }
        return String(condition)
    }

    /// Where the condition of a `break … if` or `check` line starts (0-based), so an error
    /// column can point into the line as typed.
    static func conditionOffset(in line: String) -> Int? {
        let chars = Array(line)
        var i = 0
        func skipBlanks() { while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 } }
        func skipWord() { while i < chars.count, chars[i] != " " && chars[i] != "\t" { i += 1 } }
        skipBlanks()
        let first = i
        skipWord()
        if String(chars[first..<i]) == "check" {
            skipBlanks()
            return i
        }
        // The condition starts after the first blank-separated word `if` (blanks: spaces or tabs).
        while i < chars.count {
            skipBlanks()
            let word = i
            skipWord()
            if word > first, String(chars[word..<i]) == "if" {
                skipBlanks()
                return i
            }
        }
        return nil
    }
}
