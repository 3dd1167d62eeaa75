// libedit's readline-compatible API. Never <readline/readline.h>: GNU readline's
// headers may also be installed and would shadow libedit's.
#include <stdio.h>
#include <editline/readline.h>
