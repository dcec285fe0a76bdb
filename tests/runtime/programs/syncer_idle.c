/* The blocked-wait syncer (runtime/libc/sync.c) once woke every 5 ms for the rest of the process's life
 * after the first blocking call. Here one short wait starts it; then nothing waits for 300 ms, and the
 * program prints how many times each other thread was scheduled meanwhile: "idle switches=N" (the
 * largest count of a thread that is not main). */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

/* voluntary + involuntary context switches of each thread but main, summed into the largest */
static long most_switches(void)
{
    long most = 0;
    DIR *tasks = opendir("/proc/self/task");
    struct dirent *e;
    while ((e = readdir(tasks))) {
        if (e->d_name[0] == '.' || atoi(e->d_name) == getpid())
            continue;
        char path[64], line[128];
        snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
        FILE *f = fopen(path, "r");
        long total = 0, n;
        while (f && fgets(line, sizeof line, f))
            if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1 ||
                sscanf(line, "nonvoluntary_ctxt_switches: %ld", &n) == 1)
                total += n;
        if (f)
            fclose(f);
        if (total > most)
            most = total;
    }
    closedir(tasks);
    return most;
}

int main(void)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += 20 * 1000 * 1000;
    if (deadline.tv_nsec >= 1000000000L)
        deadline.tv_sec++, deadline.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&lock);
    pthread_cond_timedwait(&never, &lock, &deadline); /* a blocking call: the syncer starts */
    pthread_mutex_unlock(&lock);
    usleep(20000);
    long before = most_switches();
    usleep(300000);
    printf("idle switches=%ld\n", most_switches() - before);
    return 0;
}
