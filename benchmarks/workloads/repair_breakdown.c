/* repair_breakdown.c — where a page repair's time goes, phase by phase, on this CPU and kernel.
 *
 * The same steps as the runtime's repair of a native page (runtime/recovery/signal.c: repair_native, rebuild),
 * done by this program's own SIGBUS handler on its own pages, so that each step can be timed alone:
 *   lose      an empty memfd mapped over the page (what the injector does; not part of the repair)
 *   deliver   from the faulting read to the first instruction of the handler (fault + signal delivery)
 *   barrier   membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) (the repair counter's barrier)
 *   mmap      a fresh private anonymous page: with `spare`, one of a run mapped and faulted in beforehand
 *             (the runtime's first SPARE_PAGES repairs); with `fresh`, mmap(MAP_POPULATE) (the later ones)
 *   copy      4 KiB from the "mirror" into it (rep movsq, as the runtime)
 *   mremap    the fresh page moved over the lost one (MREMAP_MAYMOVE | MREMAP_FIXED)
 *   return    from the handler's last step to the re-executed read having completed (sigreturn)
 * The sum is the fault-to-resume time that benchmarks/recovery_latency.c measures through the real
 * runtime. Prints "phase median_us p10_us p90_us" per phase and "total ...".
 *
 *   repair_breakdown spare|fresh [ROUNDS]
 */
#define _GNU_SOURCE
#include <linux/membarrier.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { PAGE = 4096, PAGES = 512, MAX_ROUNDS = 100000 };
enum { DELIVER, BARRIER, MMAP, COPY, MREMAP, RETURN, PHASES };
static const char *const phase_names[PHASES] = {"deliver", "barrier", "mmap", "copy", "mremap", "return"};

static double *samples[PHASES + 1];
static unsigned char *heap, *mirror;
static volatile int round_index;
static double fault_start, handler_end;
static unsigned char *spares; /* `spare`: one pre-faulted page per round, taken from the top */
static int spares_left;

static double now_us(void) /* clock_gettime is async-signal-safe (POSIX) */
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static void copy_page(void *dst, const void *src)
{
    size_t words = PAGE / 8;
    __asm__ volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(words) : : "memory");
}

/* The repair, timed step by step. Only async-signal-safe calls (syscalls, clock_gettime). */
static void on_sigbus(int sig, siginfo_t *info, void *context)
{
    (void)sig, (void)context;
    int r = round_index;
    double t0 = now_us();
    samples[DELIVER][r] = t0 - fault_start;
    uintptr_t page = (uintptr_t)info->si_addr & ~(uintptr_t)(PAGE - 1);
    syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
    double t1 = now_us();
    void *fresh = spares ? spares + (size_t)(--spares_left) * PAGE
                         : mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    double t2 = now_us();
    if (fresh == MAP_FAILED)
        _exit(3);
    copy_page(fresh, mirror + (page - (uintptr_t)heap));
    double t3 = now_us();
    if (mremap(fresh, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)page) != (void *)page)
        _exit(4);
    double t4 = now_us();
    samples[BARRIER][r] = t1 - t0;
    samples[MMAP][r] = t2 - t1;
    samples[COPY][r] = t3 - t2;
    samples[MREMAP][r] = t4 - t3;
    handler_end = now_us();
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void print_phase(const char *name, double *values, int rounds)
{
    qsort(values, (size_t)rounds, sizeof *values, by_value);
    printf("%s %.2f %.2f %.2f\n", name, values[rounds / 2], values[rounds / 10], values[rounds * 9 / 10]);
}

int main(int argc, char **argv)
{
    int spare = argc > 1 && strcmp(argv[1], "spare") == 0;
    int rounds = argc > 2 ? atoi(argv[2]) : 2000;
    if (argc < 2 || (!spare && strcmp(argv[1], "fresh") != 0) || rounds < 10 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "usage: repair_breakdown spare|fresh [ROUNDS: 10..%d]\n", MAX_ROUNDS);
        return 2;
    }
    if (spare) {
        spares = mmap(NULL, (size_t)rounds * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                      -1, 0);
        if (spares == MAP_FAILED) {
            perror("repair_breakdown: spares");
            return 1;
        }
        spares_left = rounds;
    }
    for (int p = 0; p <= PHASES; p++)
        samples[p] = calloc((size_t)rounds, sizeof(double));
    heap = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mirror = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int memfd = memfd_create("repair_breakdown-lost", MFD_CLOEXEC);
    if (heap == MAP_FAILED || mirror == MAP_FAILED || memfd < 0) {
        perror("repair_breakdown: set-up");
        return 1;
    }
    memset(heap, 0x5A, PAGES * PAGE);
    memset(mirror, 0x5A, PAGES * PAGE);
    if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) != 0) {
        perror("repair_breakdown: membarrier");
        return 1;
    }
    struct sigaction sa = {.sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, NULL);
    for (int r = 0; r < rounds; r++) {
        volatile unsigned char *page = heap + (size_t)(r % PAGES) * PAGE;
        /* Lose the page: an empty file mapped over it; the next access raises SIGBUS (BUS_ADRERR). */
        if (mmap((void *)page, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, memfd, 0) != (void *)page) {
            perror("repair_breakdown: mmap over the page");
            return 1;
        }
        round_index = r;
        fault_start = now_us();
        unsigned char c = page[100];
        double end = now_us();
        if (c != 0x5A) {
            fprintf(stderr, "repair_breakdown: round %d: the page came back wrong\n", r);
            return 1;
        }
        samples[RETURN][r] = end - handler_end;
        samples[PHASES][r] = end - fault_start;
    }
    for (int p = 0; p < PHASES; p++)
        print_phase(phase_names[p], samples[p], rounds);
    print_phase("total", samples[PHASES], rounds);
    return 0;
}
