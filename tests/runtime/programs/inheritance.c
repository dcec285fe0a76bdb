/* The GS base set at start-up must hold in every thread and in fork children: a segment-mode store
 * there lands in the mirror. Usage: inheritance thread|fork */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mirror_test.h"

/* Segment-mode code, as mirror-cc marks it: the runtime sets the GS base only for such programs. */
__attribute__((weak)) char __mirror_uses_gs = 1;

long target;

static void *thread_main(void *arg)
{
    (void)arg;
    printf("thread_gs_base=%lx\n", read_gs_base());
    MIRROR_STORE(target, 0x5eed);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "thread") == 0) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, thread_main, NULL) != 0 || pthread_join(thread, NULL) != 0)
            return 2;
    } else if (argc == 2 && strcmp(argv[1], "fork") == 0) {
        fflush(stdout);
        pid_t child = fork();
        if (child == 0) {
            printf("child_gs_base=%lx\n", read_gs_base());
            MIRROR_STORE(target, 0x5eed);
            /* The child's mirror is its own copy: report from here. */
            printf("child_mirror=%lx\n", *(volatile long *)mirror_address(&target));
            fflush(stdout);
            _exit(0);
        }
        int status;
        if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0)
            return 2;
    } else {
        return 2;
    }
    printf("native=%lx\n", target);
    printf("mirror=%lx\n", *(volatile long *)mirror_address(&target));
    return 0;
}
