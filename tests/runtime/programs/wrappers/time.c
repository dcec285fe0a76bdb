/* Clocks and calendar conversions into globals and heap blocks; nanosleep interrupted by a timer. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>

#include "wrap_check.h"

static time_t now;
static struct timeval tv;
static struct timespec ts, res, remaining;
static struct tm local, utc, normalised;
static char ctime_buf[32];
static struct tms process_times;
static struct tm parsed;

static void on_alarm(int sig)
{
    (void)sig;
}

int main(void)
{
    struct tm *heap_tm = malloc(sizeof *heap_tm);
    char *heap_text = malloc(32);

    fill(&now, sizeof now, 0xa5);
    result("time", time(&now) > 1600000000);
    check("time", &now, sizeof now);
    fill(&tv, sizeof tv, 0xa5);
    result("gettimeofday", gettimeofday(&tv, NULL));
    check("gettimeofday", &tv, sizeof tv);
    fill(&ts, sizeof ts, 0xa5);
    result("clock_gettime", clock_gettime(CLOCK_REALTIME, &ts));
    check("clock_gettime", &ts, sizeof ts);
    fill(&res, sizeof res, 0xa5);
    result("clock_getres", clock_getres(CLOCK_MONOTONIC, &res));
    check("clock_getres", &res, sizeof res);
    fill(&process_times, sizeof process_times, 0xa5);
    result("times", times(&process_times) != (clock_t)-1);
    check("times", &process_times, sizeof process_times);

    time_t fixed = 1700000000;
    fill(&local, sizeof local, 0xa5);
    result("localtime_r", localtime_r(&fixed, &local) == &local);
    check("localtime_r", &local, sizeof local);
    fill(heap_tm, sizeof *heap_tm, 0xa5);
    result("gmtime_r", gmtime_r(&fixed, heap_tm) == heap_tm);
    check("gmtime_r", heap_tm, sizeof *heap_tm);
    fill(ctime_buf, sizeof ctime_buf, 0xa5);
    result("ctime_r", ctime_r(&fixed, ctime_buf) == ctime_buf);
    check("ctime_r", ctime_buf, sizeof ctime_buf);
    fill(heap_text, 32, 0xa5);
    result("asctime_r", asctime_r(heap_tm, heap_text) == heap_text);
    check("asctime_r", heap_text, 32);

    /* mktime/timegm normalise a struct tm in place: 40 days into February. */
    fill(&normalised, sizeof normalised, 0);
    normalised.tm_year = 124;
    normalised.tm_mon = 1;
    normalised.tm_mday = 40;
    normalised.tm_hour = 25;
    normalised.tm_isdst = -1;
    mirror_sync(&normalised, sizeof normalised);
    result("mktime", mktime(&normalised) != (time_t)-1);
    check("mktime", &normalised, sizeof normalised);
    fill(&utc, sizeof utc, 0);
    utc.tm_year = 124;
    utc.tm_mon = 13;
    utc.tm_mday = 1;
    result("timegm", timegm(&utc));
    check("timegm", &utc, sizeof utc);

    fill(&parsed, sizeof parsed, 0);
    mirror_sync(&parsed, sizeof parsed);
    result("strptime", strptime("2023-11-14 22:13:20", "%Y-%m-%d %H:%M:%S", &parsed) != NULL);
    check("strptime", &parsed, sizeof parsed);

    /* nanosleep interrupted after 20 ms of 5 s: the time left is stored. */
    struct sigaction action = {.sa_handler = on_alarm};
    sigaction(SIGALRM, &action, NULL);
    struct itimerval timer = {.it_value = {.tv_usec = 20000}};
    setitimer(ITIMER_REAL, &timer, NULL);
    fill(&remaining, sizeof remaining, 0xa5);
    struct timespec request = {5, 0};
    errno = 0;
    long slept = nanosleep(&request, &remaining);
    failure("nanosleep", slept, errno);
    check("nanosleep", &remaining, sizeof remaining);

    errno = 0;
    long bad = clock_gettime((clockid_t)12345, &ts);
    failure("clock_gettime.einval", bad, errno);

    finish();
    return 0;
}
