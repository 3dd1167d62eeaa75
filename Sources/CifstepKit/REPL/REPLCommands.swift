/// The REPL's commands as gdb users know them: names, gdb's abbreviations, help and what TAB
/// completes after each. ``REPLParser`` resolves a typed word against this table (an exact name
/// or abbreviation, else a unique prefix of a name) and `help`, `apropos` and completion read it.
struct REPLCommandSpec {
    /// How the help groups commands.
    enum Group: String, CaseIterable {
        case running = "Running"
        case stops = "Breakpoints and watches"
        case looking = "Looking at the run"
        case scenario = "The scenario"
        case session = "Session"
    }

    /// What TAB offers for a command's arguments.
    enum Completion {
        case none
        case functions
        case paths
        case settings
        case faults
        case commands
        case infoTopics
        /// `lesson`'s subcommands, then lesson names after `start`.
        case lessons
    }

    let name: String
    /// gdb's own abbreviations and other accepted spellings (matched exactly, before prefixes).
    let aliases: [String]
    let arguments: String
    let summary: String
    /// `help NAME` says this after the summary (examples, what it mirrors in gdb).
    let details: [String]
    let group: Group
    let completion: Completion
    /// Enter on an empty line runs it again (gdb: step, next, x, list).
    let repeats: Bool
    /// A name kept for a later version; typing it says so.
    let reserved: Bool

    init(_ name: String, _ aliases: [String] = [], _ arguments: String = "", _ summary: String, group: Group,
         completion: Completion = .none, repeats: Bool = false, reserved: Bool = false, details: [String] = []) {
        self.name = name
        self.aliases = aliases
        self.arguments = arguments
        self.summary = summary
        self.details = details
        self.group = group
        self.completion = completion
        self.repeats = repeats
        self.reserved = reserved
    }

    /// `step [N]`, `x/N[xbc] WHAT`.
    var usage: String { arguments.isEmpty ? name : name + (arguments.hasPrefix("/") ? "" : " ") + arguments }

    /// The line `help` gives it: names (gdb's short abbreviations too), arguments, summary.
    var helpLine: String {
        let names = ([name] + aliases.filter { $0.count <= 2 }).joined(separator: ", ")
        let head = arguments.isEmpty ? names : names + (arguments.hasPrefix("/") ? "" : " ") + arguments
        return "  " + head.padding(to: 30) + " " + summary
    }
}

extension REPLCommandSpec {
    /// `info` topics, with their own abbreviations.
    static let infoTopics: [(name: String, aliases: [String], summary: String)] = [
        ("breakpoints", ["b", "break", "watchpoints"], "the breakpoints and watches"),
        ("threads", [], "the simulated kernel threads, what each is in and waits on"),
        ("mids", [], "the requests in flight (mid[N].*)"),
        ("pages", [], "the page cache (page[N].*, mapping.nrpages)"),
        ("session", [], "the SMB session and tree connection (ses.*, tcon.*)"),
        ("server", [], "the connection to the server (server.*)"),
        ("functions", [], "the traced functions, or those whose name contains WORD"),
        ("state", [], "every state value, or those under a prefix (info state ra)"),
        ("scenario", ["settings"], "the scenario's settings, labelled against 3.8"),
        ("faults", [], "the faults armed in this run"),
    ]

    /// Every command, in the order `help` lists them.
    static let all: [REPLCommandSpec] = [
        // Running
        .init("step", ["s"], "[N]", "run N events (default 1), whichever threads run", group: .running,
              repeats: true, details: ["step thread N [COUNT] runs thread N alone, the others frozen (scheduler-locking)."]),
        .init("next", ["n"], "[N]", "run to this thread's next event at the same or an outer frame", group: .running,
              repeats: true, details: ["Steps over nested calls; other threads may run meanwhile."]),
        .init("finish", ["fin"], "", "run until the current thread's function returns", group: .running),
        .init("continue", ["c", "cont"], "", "run to the next breakpoint or watch, or the end", group: .running,
              details: ["Ctrl-C stops a long continue between two events."]),
        .init("reverse-step", ["rs", "back"], "[N]", "go back N events (a replay of the run from the start)", group: .running),
        .init("reverse-continue", ["rc"], "", "go back to the previous breakpoint or watch stop", group: .running),
        .init("goto", [], "N", "go to event N (0: before the first)", group: .running),
        .init("run", ["r", "reset"], "[KEY=VALUE…]", "start over, e.g. run readahead=256 signing=on", group: .running,
              details: ["Breakpoints and watches stay. 'info scenario' lists the keys."]),
        // Breakpoints and watches
        .init("break", ["b", "br"], "FUNC [if COND]", "stop where a kernel function is called", group: .stops,
              completion: .functions,
              details: ["e.g. break cifs_sign_smb, break cifs_readv_callback if mid == 5",
                        "FUNC is a traced name ('info functions' lists them) or its Linux 3.8 name."]),
        .init("tbreak", ["tb"], "FUNC [if COND]", "a breakpoint deleted when it first stops", group: .stops,
              completion: .functions),
        .init("watch", [], "PATH", "stop when a state value changes, e.g. watch server.sequenceNumber",
              group: .stops, completion: .paths),
        .init("delete", ["d"], "[N|FUNC]", "remove one breakpoint or watch, or all", group: .stops, completion: .functions),
        // Looking
        .init("info", ["i"], "TOPIC", "breakpoints, threads, mids, pages, session, server, functions, …",
              group: .looking, completion: .infoTopics),
        .init("backtrace", ["bt", "where"], "[THREAD]", "the calls in progress on the current thread (or THREAD)",
              group: .looking),
        .init("thread", [], "N", "make thread N current (for next, finish, bt)",
              group: .looking),
        .init("print", ["p", "inspect"], "PATH", "a state value now, e.g. p server.sequenceNumber (p/x: every byte)",
              group: .looking, completion: .paths,
              details: ["'print rdata[0]' or 'print threads' shows every field; bytes show as annotated hex."]),
        .init("x", [], "/N[xbc] WHAT", "N bytes of a path, $N or buffer name, e.g. x/8xb signature", group: .looking,
              completion: .paths, repeats: true,
              details: ["x: hex (default), b: bytes, c: characters; 16 bytes a row, fields annotated.",
                        "WHAT+OFFSET starts at a byte: x/16xb last.sent+32. Enter shows the next N."]),
        .init("why", [], "$N|PATH|NAME", "where bytes came from, back to the password: why signature",
              group: .looking, completion: .paths),
        .init("check", [], "COND", "whether a condition holds now, e.g. check ra.size == 30",
              group: .looking, completion: .paths),
        .init("expect", [], "COND", "like check, but an error when it does not hold (for scripts)",
              group: .looking, completion: .paths),
        .init("show", [], "[--all] [N]", "event N's buffers and state changes (default: the last)", group: .looking),
        .init("events", [], "[FILTER] [N]", "the last N events (10), or those of a function, thread or phase",
              group: .looking, completion: .functions,
              details: ["e.g. events 40, events cifs_sign_smb, events cifsd 20, events send"]),
        .init("list", ["l"], "[FUNC]", "the Swift source of the current function, its traced line marked",
              group: .looking, completion: .functions, repeats: true),
        .init("threads", [], "", "the threads (as info threads)", group: .looking),
        // Scenario
        .init("set", [], "KEY VALUE", "change the scenario and start over: set auth ntlm, set sign on",
              group: .scenario, completion: .settings,
              details: ["KEY: auth sign user domain password seed file size rsize readahead policy",
                        "'set size 16m' reads random-16m.bin."]),
        .init("inject", ["fault"], "FAULT[:N]", "make the Nth from now go wrong, e.g. inject bad-signature",
              group: .scenario, completion: .faults),
        .init("flow", [], "AUTH [sign] [FILE]", "start over: AUTH is ntlm, ntlmv2 or ntlmssp", group: .scenario),
        .init("seed", [], "N", "start over with another seed", group: .scenario),
        // Session
        .init("help", ["h", "?"], "[COMMAND]", "the commands, or one command in detail", group: .session,
              completion: .commands),
        .init("apropos", [], "WORD", "commands and traced functions that mention WORD", group: .session),
        .init("export", [], "[--force] FILE", "write the run so far: .json, .md, .html, .pcapng or .pcap",
              group: .session, details: ["The extension names the format: a JSON trace, a Markdown handout, one HTML page,",
                                         "or a capture for Wireshark (pcapng with a comment per packet)."]),
        .init("lesson", [], "list|start NAME|next|hint|stop", "guided lessons: predict, then see", group: .session,
              completion: .lessons,
              details: ["lesson list: the lessons; lesson start 4 (or a name, or FILE.md) begins one;",
                        "lesson next runs its next step; when it asks you to predict a value, type your answer;",
                        "lesson hint helps; lesson stop leaves it (the run stays as it is)."]),
        .init("diff", [], "A B | A.json B.json", "two runs side by side: diff ntlm ntlmv2, diff sign off on",
              group: .session),
        .init("quit", ["q", "exit"], "", "leave (Ctrl-D too)", group: .session),
    ]

    /// The spec named `name` (a full name).
    static func named(_ name: String) -> REPLCommandSpec? {
        all.first { $0.name == name }
    }

    /// The settings `set` takes, each with the scenario key it sets (`sign` → `signing`).
    static let settings: [(name: String, key: String, values: [String])] = [
        ("auth", "auth", ["ntlm", "ntlmv2", "ntlmssp"]),
        ("sign", "signing", ["off", "on", "required"]),
        ("signing", "signing", ["off", "on", "required"]),
        ("user", "user", []),
        ("domain", "domain", []),
        ("password", "password", []),
        ("seed", "seed", []),
        ("file", "file", ["hello.txt", "random-256k.bin", "random-16m.bin"]),
        ("size", "file", ["256k", "1m", "16m"]),
        ("rsize", "rsize", ["4096", "16384", "61440"]),
        ("readahead", "readahead", ["default", "0", "15", "256"]),
        ("policy", "policy", ["teaching", "random"]),
    ]
}
