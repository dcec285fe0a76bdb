/* inject_target=any loses both copies of one page: the injector never picks a mirror page whose native
 * page it has lost (pick_target checks the native page against the lost-page table), but it does pick
 * a native page whose MIRROR it has lost and nobody has touched since (pick_protected_page only asks
 * whether the native page itself is in the table). The mirror of a read-mostly page (the RELRO page
 * with the GOT, a page written once) stays lost until something writes or audits it, so a later pick
 * of the native page makes the loss unrecoverable: the next touch kills the program with SIGBUS
 * ("cannot restore, its mirror is lost too"). Two independent memory errors would hardly ever hit the
 * two copies of one page; the injector does it routinely on programs with few resident pages, so
 * `any` campaigns (tests/realworld SQLite, tests/e2e/test_injection.py) fail now and then.
 *
 * Fixed; tests/runtime/test_recovery.py runs this as a regression test.
 * Build: .venv/bin/mirror-cc -O2 any_loses_both_copies.c -Iruntime/include -o any_both
 * Run (before the fix): MIRROR_OPTIONS=inject_count=40:inject_interval_ms=1:inject_target=any:verbosity=1 ./any_both; echo $?
 *        -> "injected ... at 0x<M>" for a mirror page, later "injected ... at 0x<M - MIRROR_DELTA>",
 *           then "lost page ...: cannot restore, its mirror is lost too" and 135 (SIGBUS)
 * Expected: the injector loses at most one copy of a page at a time; "sum=..." and exit 0. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { N = 16 * 4096 / sizeof(long) }; /* 16 pages */
static long g_data[N];

int main(void)
{
    long *data = malloc(N * sizeof *data);
    for (int i = 0; i < N; i++)
        g_data[i] = data[i] = i * 7;
    struct timespec pause = {0, 500 * 1000 * 1000}; /* the injector runs; nothing is touched */
    nanosleep(&pause, NULL);
    long sum = 0;
    for (int i = 0; i < N; i++)
        sum += data[i] + g_data[i];
    printf("sum=%ld\n", sum);
    return 0;
}
