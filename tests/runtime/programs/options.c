/* A program for the MIRROR_OPTIONS tests: it says that main ran, and with "audit" or "fork" makes the
 * runtime print messages (mirror_audit reports at verbosity >= 1), in one process or in two. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mirror.h"

int counter;

int main(int argc, char **argv)
{
    printf("main_ran=1\n");
    counter++;
    if (argc > 1 && strcmp(argv[1], "audit") == 0)
        printf("audit=%zu\n", mirror_audit());
    if (argc > 1 && strcmp(argv[1], "fork") == 0) {
        fflush(stdout);
        pid_t child = fork();
        if (child == 0) {
            counter++;
            printf("child_pid=%d child_audit=%zu\n", (int)getpid(), mirror_audit());
            return 0;
        }
        int status;
        waitpid(child, &status, 0);
        printf("parent_pid=%d parent_audit=%zu child_status=%d\n", (int)getpid(), mirror_audit(), status);
    }
    return 0;
}
