/* The program's own SIGBUS handler receives a SIGBUS that is not a memory error: an access past the
 * end of a truncated file mapping (BUS_ADRERR). The runtime keeps the SIGBUS disposition to itself and
 * records the program's sigaction/signal calls; it must hand such a signal on, with its siginfo, and
 * the handler must be able to siglongjmp out of it, more than once.
 *
 * ./own_handler sigaction|signal|none
 * stdout: "caught=<n> code=<si_code> addr_ok=<0|1>" per fault (code -1: signal(), no siginfo), then
 *         "old_handler_ok=<0|1>" (sigaction reports what the program installed), "continued=1". */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf g_env;
static volatile sig_atomic_t g_code;
static void *volatile g_addr;

static void with_info(int sig, siginfo_t *info, void *context)
{
    (void)sig, (void)context;
    g_code = info->si_code;
    g_addr = info->si_addr;
    siglongjmp(g_env, 1);
}

static void plain(int sig)
{
    (void)sig;
    g_code = -1;
    g_addr = NULL;
    siglongjmp(g_env, 1);
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 3;
    setvbuf(stdout, NULL, _IONBF, 0);
    int old_ok = 1;
    if (strcmp(argv[1], "sigaction") == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = with_info;
        sa.sa_flags = SA_SIGINFO;
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGBUS, &sa, NULL) != 0)
            return perror("sigaction"), 2;
        struct sigaction now;
        sigaction(SIGBUS, NULL, &now);
        old_ok = (now.sa_flags & SA_SIGINFO) && now.sa_sigaction == with_info;
    } else if (strcmp(argv[1], "signal") == 0) {
        if (signal(SIGBUS, plain) == SIG_ERR)
            return perror("signal"), 2;
        old_ok = signal(SIGBUS, plain) == plain;
    } else if (strcmp(argv[1], "none") != 0) {
        return 3;
    }

    char path[] = "/tmp/own_handler_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return perror("mkstemp"), 2;
    unlink(path);
    if (ftruncate(fd, 3 * 4096) != 0)
        return perror("ftruncate"), 2;
    volatile char *map = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        return perror("mmap"), 2;
    map[0] = 'a';
    if (ftruncate(fd, 4096) != 0) /* pages 1 and 2 are now past the end of the file */
        return perror("ftruncate"), 2;

    for (int i = 0; i < 3; i++) {
        volatile char *target = map + 4096 + 100 * i + (i == 2 ? 4096 : 0);
        g_code = 0;
        if (sigsetjmp(g_env, 1) == 0) {
            target[0] = 'b'; /* SIGBUS BUS_ADRERR */
            printf("no fault at %d\n", i);
        } else {
            printf("caught=%d code=%d addr_ok=%d\n", i, (int)g_code, g_addr == (void *)target);
        }
    }
    printf("old_handler_ok=%d\n", old_ok);
    printf("first_page=%c\n", map[0]);
    printf("continued=1\n");
    return 0;
}
