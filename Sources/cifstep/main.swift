import CifstepKit
#if canImport(Glibc)
import Glibc
#endif

exit(CifstepMain.run(Array(CommandLine.arguments.dropFirst())))
