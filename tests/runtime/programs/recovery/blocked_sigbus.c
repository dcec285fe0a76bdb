/* A page is lost while the thread touching it has SIGBUS blocked, the way QEMU runs: its main thread
 * blocks SIGBUS and reads it through a signalfd, its threads start with every signal blocked, and
 * handlers run with a full sa_mask. Without mirrorpass keeping SIGBUS deliverable, the kernel forces the
 * synchronous SIGBUS through with the default action and the process dies.
 *
 * ./blocked_sigbus pthread_sigmask | sigprocmask | handler | thread | signalfd
 * stdout: "blocked_view=<0|1>" (the program's own mask says SIGBUS is blocked), then
 *         "intact=<0|1>" once the lost page was read back, and for signalfd "signalfd_read=<n>". */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "mirror.h"

static unsigned char *page;

static int lose_and_read(void)
{
    if (mirror_inject_error(page) != 0)
        return perror("mirror_inject_error"), 0;
    int intact = 1;
    for (int i = 0; i < 4096; i++)
        intact &= page[i] == (unsigned char)(i * 7);
    return intact;
}

static int blocked_now(void)
{
    sigset_t now;
    pthread_sigmask(SIG_BLOCK, NULL, &now);
    return sigismember(&now, SIGBUS);
}

static volatile sig_atomic_t handler_intact = -1;

static void on_usr1(int sig)
{
    (void)sig;
    handler_intact = lose_and_read();
}

static void *thread_main(void *arg)
{
    (void)arg;
    printf("blocked_view=%d\n", blocked_now());
    printf("intact=%d\n", lose_and_read());
    return NULL;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *mode = argc > 1 ? argv[1] : "pthread_sigmask";
    page = aligned_alloc(4096, 4096);
    for (int i = 0; i < 4096; i++)
        page[i] = (unsigned char)(i * 7);
    sigset_t bus, all, old;
    sigemptyset(&bus);
    sigaddset(&bus, SIGBUS);
    sigfillset(&all);
    if (strcmp(mode, "pthread_sigmask") == 0 || strcmp(mode, "signalfd") == 0) {
        pthread_sigmask(SIG_BLOCK, &bus, &old);
        printf("old_had_sigbus=%d\n", sigismember(&old, SIGBUS));
        int fd = strcmp(mode, "signalfd") == 0 ? signalfd(-1, &bus, SFD_NONBLOCK) : -1;
        printf("blocked_view=%d\n", blocked_now());
        printf("intact=%d\n", lose_and_read());
        if (fd >= 0) {
            struct signalfd_siginfo info;
            printf("signalfd_read=%zd\n", read(fd, &info, sizeof info) > 0 ? (ssize_t)1 : (ssize_t)0);
        }
        pthread_sigmask(SIG_UNBLOCK, &bus, NULL);
        printf("after_unblock_view=%d\n", blocked_now());
    } else if (strcmp(mode, "sigprocmask") == 0) {
        sigprocmask(SIG_SETMASK, &all, &old);
        sigset_t now;
        sigprocmask(SIG_SETMASK, NULL, &now);
        printf("blocked_view=%d\n", sigismember(&now, SIGBUS));
        printf("intact=%d\n", lose_and_read());
    } else if (strcmp(mode, "handler") == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_usr1;
        sigfillset(&sa.sa_mask); /* the handler runs with every signal blocked */
        sigaction(SIGUSR1, &sa, NULL);
        printf("blocked_view=1\n");
        raise(SIGUSR1);
        printf("intact=%d\n", (int)handler_intact);
    } else if (strcmp(mode, "thread") == 0) {
        /* QEMU's qemu_thread_create: every signal blocked around pthread_create. */
        pthread_sigmask(SIG_SETMASK, &all, &old);
        pthread_t t;
        pthread_create(&t, NULL, thread_main, NULL);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_join(t, NULL);
    }
    return 0;
}
