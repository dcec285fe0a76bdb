/* time.c — clocks and calendar conversions that fill the caller's structures.
 *
 * time(&t), gettimeofday, clock_gettime/getres and times store their result through a pointer; the
 * _r conversions fill a struct tm or a 26-byte string the caller provides; strptime sets the fields it
 * parses (also when it fails part-way: the whole struct is mirrored); mktime and timegm
 * normalise the struct tm they are given in place; nanosleep and clock_nanosleep store the time left
 * when a signal interrupts them. localtime/gmtime/ctime/asctime without _r return libc's static
 * buffers, which are libc memory and need nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>

#include "libc/wrap.h"

MIRROR_WRAPPER time_t __mirror_time(time_t *out)
{
    time_t result = time(out);
    if (out != NULL && result != (time_t)-1)
        _mirror_wrote(out, sizeof *out);
    return result;
}

MIRROR_WRAPPER int __mirror_gettimeofday(struct timeval *tv, void *tz)
{
    int result = gettimeofday(tv, tz);
    if (result == 0) {
        if (tv != NULL)
            _mirror_wrote(tv, sizeof *tv);
        if (tz != NULL)
            _mirror_wrote(tz, sizeof(struct timezone));
    }
    return result;
}

MIRROR_WRAPPER int __mirror_clock_gettime(clockid_t clock, struct timespec *ts)
{
    int result = clock_gettime(clock, ts);
    if (result == 0)
        _mirror_wrote(ts, sizeof *ts);
    return result;
}

MIRROR_WRAPPER int __mirror_clock_getres(clockid_t clock, struct timespec *res)
{
    int result = clock_getres(clock, res);
    if (result == 0 && res != NULL)
        _mirror_wrote(res, sizeof *res);
    return result;
}

MIRROR_WRAPPER clock_t __mirror_times(struct tms *buf)
{
    clock_t result = times(buf);
    if (result != (clock_t)-1)
        _mirror_wrote(buf, sizeof *buf);
    return result;
}

MIRROR_WRAPPER int __mirror_nanosleep(const struct timespec *request, struct timespec *remaining)
{
    int result = nanosleep(request, remaining);
    if (result != 0 && errno == EINTR && remaining != NULL)
        _mirror_wrote(remaining, sizeof *remaining);
    return result;
}

/* Returns an error number instead of setting errno. */
MIRROR_WRAPPER int __mirror_clock_nanosleep(clockid_t clock, int flags, const struct timespec *request,
                                            struct timespec *remaining)
{
    int result = clock_nanosleep(clock, flags, request, remaining);
    if (result == EINTR && !(flags & TIMER_ABSTIME) && remaining != NULL)
        _mirror_wrote(remaining, sizeof *remaining);
    return result;
}

/* ---- Calendar ------------------------------------------------------------------------------------------ */

MIRROR_WRAPPER struct tm *__mirror_localtime_r(const time_t *t, struct tm *out)
{
    struct tm *result = localtime_r(t, out);
    if (result != NULL)
        _mirror_wrote(out, sizeof *out);
    return result;
}

MIRROR_WRAPPER struct tm *__mirror_gmtime_r(const time_t *t, struct tm *out)
{
    struct tm *result = gmtime_r(t, out);
    if (result != NULL)
        _mirror_wrote(out, sizeof *out);
    return result;
}

MIRROR_WRAPPER char *__mirror_ctime_r(const time_t *t, char *buf)
{
    char *result = ctime_r(t, buf);
    if (result != NULL)
        _mirror_wrote_string(buf);
    return result;
}

MIRROR_WRAPPER char *__mirror_asctime_r(const struct tm *tm, char *buf)
{
    char *result = asctime_r(tm, buf);
    if (result != NULL)
        _mirror_wrote_string(buf);
    return result;
}

/* mktime and timegm normalise every field of *tm (and set tm_wday, tm_yday, tm_isdst, ...). */
MIRROR_WRAPPER time_t __mirror_mktime(struct tm *tm)
{
    time_t result = mktime(tm);
    _mirror_wrote(tm, sizeof *tm);
    return result;
}

MIRROR_WRAPPER time_t __mirror_timegm(struct tm *tm)
{
    time_t result = timegm(tm);
    _mirror_wrote(tm, sizeof *tm);
    return result;
}

MIRROR_WRAPPER time_t __mirror_timelocal(struct tm *tm)
{
    time_t result = timelocal(tm);
    _mirror_wrote(tm, sizeof *tm);
    return result;
}

MIRROR_WRAPPER char *__mirror_strptime(const char *s, const char *format, struct tm *tm)
{
    char *result = strptime(s, format, tm);
    _mirror_wrote(tm, sizeof *tm);
    return result;
}
