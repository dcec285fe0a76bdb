/* needs_runtime.c — linked by mirror-cc into every shared library it links (not part of the runtime).
 *
 * An instrumented library's stores go through the mirror, which only the runtime maps (and, in segment
 * addressing, points the GS base at); the runtime lives in executables linked by mirror-cc. A program
 * built without it (plain clang or gcc, any C++ program) that loads such a library would crash at the
 * library's first store, a bare SIGSEGV. This constructor runs first among the library's and says
 * what is wrong instead, then exits as the dynamic loader does when a program cannot start (127).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
#include <unistd.h>

/* Defined by the runtime (process/init_linux.c) and exported from every mirror-cc executable. */
extern const char __mirror_runtime[] __attribute__((weak));

static void say(const char *text)
{
    if (write(STDERR_FILENO, text, strlen(text)) < 0)
        return; /* nowhere to say it: exit all the same */
}

__attribute__((constructor(101), visibility("hidden"))) void __mirror_library_needs_runtime(void)
{
    if (__mirror_runtime)
        return;
    Dl_info self;
    const char *name = dladdr((void *)__mirror_library_needs_runtime, &self) && self.dli_fname ? self.dli_fname
                                                                                             : "a library";
    say("mirrorpass: ");
    say(name);
    say(" was built by mirror-cc and needs the mirrorpass runtime, which only programs linked by mirror-cc "
        "have; this program was not (link it with mirror-cc, or load the library's uninstrumented build)\n");
    _exit(127);
}
