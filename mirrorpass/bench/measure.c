/* measure.c — run a command and report its resource use, for `mirrorpass bench`.
 *
 *   measure RESULT_FILE COMMAND [ARGS...]
 *
 * Forks, execs COMMAND (stdin, stdout and stderr inherited), waits with wait4() and writes
 * "exit wall_s user_s sys_s max_rss_kb minor_faults" to RESULT_FILE; exits with the command's status.
 * Why a C helper: a child forked by the Python benchmark driver inherits the driver's resident set,
 * and the kernel keeps that high-water mark across exec, so ru_maxrss would report the driver's size
 * for every small program. Forked from this small process instead, the child starts near zero. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s RESULT_FILE COMMAND [ARGS...]\n", argv[0]);
        return 2;
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t pid = fork();
    if (pid < 0)
        return perror("fork"), 2;
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror(argv[2]);
        _exit(127);
    }
    int status;
    struct rusage usage;
    if (wait4(pid, &status, 0, &usage) < 0)
        return perror("wait4"), 2;
    clock_gettime(CLOCK_MONOTONIC, &end);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    FILE *out = fopen(argv[1], "w");
    if (!out)
        return perror(argv[1]), 2;
    fprintf(out, "%d %.6f %.6f %.6f %ld %ld\n", code,
            (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9,
            (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6,
            (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6, usage.ru_maxrss, usage.ru_minflt);
    fclose(out);
    return code;
}
