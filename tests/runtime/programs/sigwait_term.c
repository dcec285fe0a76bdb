/* A program that takes SIGTERM synchronously: blocked in its only thread, collected with sigwait. A
 * process-directed SIGTERM must wait for it, not kill the process through a runtime thread (coverage
 * sampler, injector) that left it unblocked. Prints the signal it got. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    usleep(20000); /* the runtime's threads are running by now */
    kill(getpid(), SIGTERM);
    int sig = 0;
    sigwait(&set, &sig);
    printf("sigwait: %d\n", sig);
    return 0;
}
