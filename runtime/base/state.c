/* state.c — the runtime's process-wide state, in one place: the start-up state (_mirror_state), the
 * options' storage (_mirror_flags; flags.c fills it), the repair counter (__mirror_repairs; the SIGBUS
 * handler counts, instrumented code reads), and the start-up environment.
 *
 * All of it lives in the section mirror_rt_state, which the protected domain leaves out: the runtime's
 * own stores are not mirrored (base.h). This file defines data and one reader; it calls nothing, so
 * every file of the runtime may use it.
 */
#include <string.h>

#include "base/base.h"

struct _mirror_state _mirror_state MIRROR_RT_STATE;

struct _mirror_flags _mirror_flags MIRROR_RT_STATE;

/* Instrumented code reads it around a large memcpy and copies again when it changed: a page lost while
 * the native copy ran comes back from the mirror without the bytes the copy wrote before the loss
 * (mirrorpass/instrument/mirror_pass.py). Exported; not protected. */
__attribute__((visibility("default"))) uint64_t __mirror_repairs MIRROR_RT_STATE;

/* getenv does not work yet when .preinit_array runs from the dynamic loader: libc's environ is set
 * later. The loader passes the environment to the entry, which keeps it in _mirror_state.envp. */
const char *_mirror_startup_getenv(const char *name)
{
    size_t len = strlen(name);
    for (char **entry = _mirror_state.envp; entry != NULL && *entry != NULL; entry++)
        if (strncmp(*entry, name, len) == 0 && (*entry)[len] == '=')
            return *entry + len + 1;
    return NULL;
}
