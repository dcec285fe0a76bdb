/* Repairs take the runtime's spare pages first (recovery/signal.c, SPARE_PAGES: 16 pages faulted in at
 * start-up), then map a page each. A forked child starts with its parent's spares (copy-on-write).
 * This program forks first; the child and then the parent each lose and get back 40 pages of distinct
 * contents (spares and fresh pages both), check every byte, write to each repaired page and check the
 * write stays private to the process, then print "child ok" / "parent ok".
 * Build: .venv/bin/mirror-cc -O2 spares_then_fresh.c -Iruntime/include -o spares; ./spares */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "mirror.h"

enum { PAGES = 40, PAGE = 4096 };

static int lose_and_check(unsigned char *pages, unsigned seed, const char *who)
{
    for (int i = 0; i < PAGES; i++)
        memset(pages + (size_t)i * PAGE, (int)(seed + i) & 0xff, PAGE);
    for (int i = 0; i < PAGES; i++) {
        volatile unsigned char *page = pages + (size_t)i * PAGE;
        if (mirror_inject_error((void *)page) != 0)
            return perror("mirror_inject_error"), 1;
        for (int b = 0; b < PAGE; b++)
            if (page[b] != ((seed + i) & 0xff)) {
                printf("%s: page %d byte %d came back 0x%02x\n", who, i, b, page[b]);
                return 1;
            }
        page[7] = 0xEE; /* the repaired page is writable */
    }
    for (int i = 0; i < PAGES; i++)
        if (pages[(size_t)i * PAGE + 7] != 0xEE || pages[(size_t)i * PAGE + 8] != ((seed + i) & 0xff))
            return printf("%s: page %d lost a write\n", who, i), 1;
    printf("%s ok\n", who);
    fflush(stdout);
    return 0;
}

int main(void)
{
    unsigned char *pages = aligned_alloc(PAGE, (size_t)PAGES * PAGE);
    memset(pages, 0, (size_t)PAGES * PAGE);
    pid_t child = fork();
    if (child < 0)
        return perror("fork"), 1;
    if (child == 0)
        exit(lose_and_check(pages, 1, "child")); /* exit: the child's audit and statistics run too */
    int status;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return printf("child failed (status 0x%x)\n", status), 1;
    for (int i = 0; i < PAGES; i++) /* the child's losses and writes stayed in the child */
        if (pages[(size_t)i * PAGE + 7] != 0)
            return printf("parent: page %d shows the child's write\n", i), 1;
    return lose_and_check(pages, 101, "parent");
}
