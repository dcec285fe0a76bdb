/* inject_log.c — the injection log (inject_log=FILE): one line "0x<page> <what it belonged to>" per lost
 * page. Shared by the runtime's injector (inject.c) and the native one (native.c).
 *
 * The line is written before the page is lost: the program may touch the page and die at once, before
 * the injecting thread runs again. If the loss then fails the line is taken back (truncated away; a log
 * that cannot seek, a terminal, keeps it). Not async-signal-safe: injector threads only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "inject/inject.h"

int _mirror_inject_log_begin(const char *path, uintptr_t page, const char *name, long *before)
{
    *before = -1;
    if (!path)
        return -1;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    *before = lseek(fd, 0, SEEK_END);
    char line[512];
    int len = snprintf(line, sizeof line, "0x%lx %s\n", (unsigned long)page, name && name[0] ? name : "anonymous memory");
    if (len > (int)sizeof line - 1)
        len = (int)sizeof line - 1, line[len - 1] = '\n';
    if (write(fd, line, (size_t)len) != len) {
        close(fd);
        return -1;
    }
    return fd;
}

void _mirror_inject_log_end(int fd, long before, bool lost)
{
    if (fd < 0)
        return;
    if (!lost && before >= 0 && ftruncate(fd, before) != 0)
        (void)0; /* kept: the reader sees one line too many, as with a terminal */
    close(fd);
}
