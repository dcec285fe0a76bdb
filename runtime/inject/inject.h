/* inject/inject.h — losing pages on purpose (inject.c: mirror_inject_error and the injector thread) and
 * the log of what was lost (inject_log.c; also linked into the native injector, native.c, with
 * base/resident.c).
 * May use: recovery/ and everything below it. Used by: libc/, process/.
 */
#ifndef MIRROR_INJECT_H
#define MIRROR_INJECT_H

#include "recovery/recovery.h"

#pragma GCC visibility push(hidden)

/* ---- The injection log (inject_log.c; also linked into the native injector) ----------------------------- */

/* Append "0x<page> <name>" to the log at path before the page is lost; returns the open log (or -1, also
 * when path is NULL) and its length before the line in *before. Then _mirror_inject_log_end says whether
 * the page was lost: if not, the line is taken back. */
int _mirror_inject_log_begin(const char *path, uintptr_t page, const char *name, long *before);
void _mirror_inject_log_end(int fd, long before, bool lost);

#pragma GCC visibility pop

#endif
