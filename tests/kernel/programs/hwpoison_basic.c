/* hwpoison_basic: poison one page of a heap buffer and one of a global array with
 * madvise(MADV_HWPOISON), install no handler of its own, read both back and say whether the data is intact.
 *
 * The kernel path (CONFIG_MEMORY_FAILURE, root for CAP_SYS_ADMIN): the poisoned page is unmapped, and the
 * next touch gets SIGBUS (BUS_MCEERR_AR). Without a handler that kills the process: signal 7. A mirrored
 * build whose runtime repairs the page instead goes on and prints "intact" twice.
 *
 * `hwpoison_basic blocked` first does what QEMU does: asks for early kill (PR_MCE_KILL_EARLY), blocks
 * SIGBUS and opens a signalfd for it (util/main-loop.c). Blocked, the kernel's BUS_MCEERR_AO would wait
 * in the signalfd and the touch's BUS_MCEERR_AR be forced through with the default action; the mirrored
 * runtime keeps SIGBUS deliverable and repairs the pages all the same ("signalfd: 0 pending").
 *
 * Exit: 0 both intact, 1 data differs, 3 madvise failed (nothing was tested), 4 allocation failed.
 * Every line is written unbuffered, so the output shows exactly where a SIGBUS struck. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#ifndef MADV_HWPOISON
#define MADV_HWPOISON 100
#endif

#define PAGE 4096UL
#define PAGES 4
#define WORDS (PAGES * PAGE / sizeof(uint64_t))

static uint64_t global_buf[WORDS] __attribute__((aligned(4096)));

static uint64_t pattern(uint64_t tag, uint64_t i) { return 0xC0FFEE0000000000ULL ^ (tag << 32) ^ (i * 0x9E3779B1ULL); }

static void fill(uint64_t *buf, uint64_t tag)
{
    for (size_t i = 0; i < WORDS; i++)
        buf[i] = pattern(tag, i);
}

/* Volatile reads: the compiler must not answer from the values it just stored. */
static size_t count_bad(const volatile uint64_t *buf, uint64_t tag)
{
    size_t bad = 0;
    for (size_t i = 0; i < WORDS; i++)
        if (buf[i] != pattern(tag, i))
            bad++;
    return bad;
}

static int poison(const char *what, void *page)
{
    errno = 0;
    int rc = madvise(page, PAGE, MADV_HWPOISON);
    int err = errno;
    printf("madvise %s page %p: rc=%d errno=%d (%s)\n", what, page, rc, err, rc == 0 ? "ok" : strerror(err));
    return rc;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int sigfd = -1;
    if (argc > 1 && strcmp(argv[1], "blocked") == 0) {
        sigset_t bus;
        sigemptyset(&bus);
        sigaddset(&bus, SIGBUS);
        prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0);
        pthread_sigmask(SIG_BLOCK, &bus, NULL);
        sigfd = signalfd(-1, &bus, SFD_NONBLOCK);
        printf("SIGBUS blocked, signalfd %s\n", sigfd >= 0 ? "open" : "failed");
    }

    /* Heap: a few pages from malloc, filled whole; poison the second whole page inside it. */
    unsigned char *raw = malloc((PAGES + 1) * PAGE);
    if (raw == NULL) {
        printf("malloc failed\n");
        return 4;
    }
    uint64_t *heap = (uint64_t *)(((uintptr_t)raw + PAGE - 1) & ~(PAGE - 1));
    fill(heap, 1);
    fill(global_buf, 2);
    printf("filled heap %p and global %p (%lu pages each)\n", (void *)heap, (void *)global_buf, (unsigned long)PAGES);

    int failed = 0;
    failed |= poison("heap", (unsigned char *)heap + PAGE) != 0;
    failed |= poison("global", (unsigned char *)global_buf + 2 * PAGE) != 0;
    if (failed) {
        printf("RESULT madvise-failed\n");
        return 3;
    }

    printf("touching heap\n");
    size_t bad_heap = count_bad(heap, 1);
    printf("heap: %s (%zu bad words)\n", bad_heap ? "CORRUPT" : "intact", bad_heap);
    printf("touching global\n");
    size_t bad_global = count_bad(global_buf, 2);
    printf("global: %s (%zu bad words)\n", bad_global ? "CORRUPT" : "intact", bad_global);

    /* The repaired pages must stay usable: write and read them again. */
    fill(heap, 3);
    fill(global_buf, 4);
    size_t bad_again = count_bad(heap, 3) + count_bad(global_buf, 4);
    printf("rewrite: %s\n", bad_again ? "CORRUPT" : "ok");

    if (sigfd >= 0) {
        struct signalfd_siginfo info;
        int pending = 0;
        while (read(sigfd, &info, sizeof info) == (ssize_t)sizeof info)
            pending++;
        printf("signalfd: %d pending\n", pending);
    }
    int ok = !bad_heap && !bad_global && !bad_again;
    printf("RESULT %s\n", ok ? "intact" : "corrupt");
    free(raw);
    return ok ? 0 : 1;
}
