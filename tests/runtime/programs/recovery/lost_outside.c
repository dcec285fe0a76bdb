/* A page lost outside the protected domain cannot come back: the machine stack, libc's own data.
 *
 * ./lost_outside stack|libc
 * stdout: "page=0x..." (the page about to be lost, written before the loss), then nothing more: the
 * next touch of the page must end the process by SIGBUS after the runtime's one-line report. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mirror.h"
#include "recovery/recovery_test.h"

static void say_page(uintptr_t page)
{
    char line[64];
    int n = snprintf(line, sizeof line, "page=%#lx\n", (unsigned long)page);
    write(1, line, (size_t)n); /* not stdio: stdout's FILE may be the very page that is lost */
}

static int stack_case(void)
{
    /* The middle of a large local array: no call frame lives there (callees' frames are below the
     * array, main's saved registers above it). */
    volatile char buffer[64 * 1024];
    for (size_t i = 0; i < sizeof buffer; i += 512)
        buffer[i] = (char)i;
    volatile char *target = buffer + 32 * 1024;
    say_page(page_of((const void *)target));
    if (mirror_inject_error((void *)target) != 0)
        return perror("mirror_inject_error"), 2;
    return target[0]; /* SIGBUS: the report, then death */
}

static int libc_case(void)
{
    setvbuf(stdout, NULL, _IOFBF, 4096);
    uintptr_t page = page_of(stdout); /* libc's FILE object, in libc's .data */
    say_page(page);
    if (mirror_inject_error((void *)page) != 0)
        return perror("mirror_inject_error"), 2;
    printf("after the loss\n"); /* libc reads stdout's FILE: SIGBUS inside libc */
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "stack") == 0)
        return stack_case();
    if (argc == 2 && strcmp(argv[1], "libc") == 0)
        return libc_case();
    return 3;
}
