/* Annotated mode (-fmirror-mode=annotated): only MIRROR_PROTECT functions mirror their writes and only
 * mirror_malloc memory is protected.
 *
 * ./selective protected   loses the page of the mirror_calloc'd accounts: rebuilt, balances intact
 * ./selective malloc      loses a page of a malloc'd buffer: outside the domain, reported, SIGBUS
 * ./selective global      loses the page of a global array: outside the domain too
 * ./selective libc        getline, asprintf, strdup and realpath with libc's free: the routed wrappers
 *                         leave libc's allocations to libc in this mode
 * ./selective free        mirror_malloc memory given to realloc, malloc_usable_size and free: they take
 *                         it back (they once went to libc, which aborted on a pointer it never made)
 * stdout: "page=0x..." before a loss (write(2)), then what the program saw. */
#define _GNU_SOURCE
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mirror.h"
#include "recovery/recovery_test.h"

struct account {
    long balance;
    long operations;
};

static long global_pad[4096 / sizeof(long)] __attribute__((aligned(4096)));

MIRROR_PROTECT static void post(struct account *a, long amount)
{
    a->balance += amount;
    a->operations += 1;
}

static void say_page(const void *p)
{
    char line[64];
    int n = snprintf(line, sizeof line, "page=%#lx\n", (unsigned long)page_of(p));
    write(1, line, (size_t)n);
}

static int libc_case(void)
{
    FILE *f = fmemopen("first line\nsecond\n", 18, "r");
    char *line = NULL;
    size_t capacity = 0;
    ssize_t got = getline(&line, &capacity, f);
    fclose(f);
    char *text = NULL;
    int n = asprintf(&text, "%s-%d", "asprintf", 42);
    char *copy = strdup("duplicate");
    char *path = realpath("/", NULL);
    printf("getline=%zd asprintf=%d:%s strdup=%s realpath=%s\n", got, n, text, copy, path);
    free(line), free(text), free(copy), free(path); /* libc's free: each came from libc's malloc */
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *mode = argc > 1 ? argv[1] : "protected";
    if (strcmp(mode, "libc") == 0)
        return libc_case();
    if (strcmp(mode, "free") == 0) {
        char *kept = mirror_malloc(100);
        strcpy(kept, "kept");
        kept = realloc(kept, 20000);
        printf("realloc=%s usable=%d\n", kept, malloc_usable_size(kept) >= 20000);
        free(kept);
        return 0;
    }
    struct account *accounts = mirror_calloc(512, sizeof *accounts); /* 8 KiB: two pages */
    long *plain = realloc(malloc(16), 64 * 1024); /* realloc keeps libc's block libc's */
    for (int i = 0; i < 10000; i++)
        post(&accounts[i % 512], i);
    memset(plain, 1, 64 * 1024);
    global_pad[0] = 5;
    void *victim = strcmp(mode, "malloc") == 0 ? (void *)(plain + 4096) : strcmp(mode, "global") == 0 ? (void *)global_pad : (void *)&accounts[300];
    say_page(victim);
    if (mirror_inject_error(victim) != 0) {
        perror("mirror_inject_error");
        return 2;
    }
    long total = 0, operations = 0;
    for (int i = 0; i < 512; i++)
        total += accounts[i].balance, operations += accounts[i].operations;
    printf("total=%ld operations=%ld plain=%ld global=%ld\n", total, operations, plain[4096], global_pad[0]);
    printf("diff=%zu\n", mirror_diff(accounts, 512 * sizeof *accounts));
    mirror_free(accounts);
    free(plain);
    return 0;
}
