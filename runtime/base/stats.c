/* stats.c — the runtime's statistics: the counters and their two outputs, print_stats and stats_json.
 *
 * The counters are a table (stats.inc): each has an index, a key in the stats_json object and in the
 * print_stats line, in table order, so a new statistic is one line there. Counters are updated with
 * relaxed atomic adds (the SIGBUS handler counts recoveries). What runs at exit, and in which order, is
 * process/exit.c's.
 *
 * stats_json is replaced atomically (written to <path>.tmp.<pid>, then renamed), so a reader never sees
 * half an object. A forked child that exits writes <path>.<pid> instead of overwriting its parent's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"

static const char *const stat_names[MIRROR_STAT_COUNT] = {
#define MIRROR_STAT(name, help) #name,
#include "stats.inc"
#undef MIRROR_STAT
};

static struct {
    uint64_t counters[MIRROR_STAT_COUNT];
} stats MIRROR_RT_STATE;

void _mirror_stat_add(enum _mirror_stat stat, uint64_t amount)
{
    __atomic_fetch_add(&stats.counters[stat], amount, __ATOMIC_RELAXED);
}

void _mirror_stat_set(enum _mirror_stat stat, uint64_t value)
{
    __atomic_store_n(&stats.counters[stat], value, __ATOMIC_RELAXED);
}

void _mirror_stat_max(enum _mirror_stat stat, uint64_t value)
{
    uint64_t seen = __atomic_load_n(&stats.counters[stat], __ATOMIC_RELAXED);
    while (seen < value &&
           !__atomic_compare_exchange_n(&stats.counters[stat], &seen, value, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

uint64_t _mirror_stat_get(enum _mirror_stat stat)
{
    return __atomic_load_n(&stats.counters[stat], __ATOMIC_RELAXED);
}

/* ---- Output -------------------------------------------------------------------------------------------- */

void _mirror_stats_print(void)
{
    char line[400];
    size_t len = _mirror_format(line, sizeof line, "stats:");
    for (int i = 0; i < MIRROR_STAT_COUNT; i++)
        len += _mirror_format(line + len, sizeof line - len, " %s=%llu", stat_names[i],
                              (unsigned long long)_mirror_stat_get(i));
    _mirror_report("%s", line);
}

static bool write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t written = write(fd, data, len);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return false;
        data += written;
        len -= (size_t)written;
    }
    return true;
}

void _mirror_stats_write_json(const char *requested_path, int initial_pid, const char *members)
{
    char path[4200], temporary[4300], json[16384];
    int pid = getpid();
    const char *pid_mark = strstr(requested_path, "%p");
    if (pid_mark) { /* one file per process: a service's test suite starts many */
        char prefix[4096];
        size_t n = (size_t)(pid_mark - requested_path);
        n = n < sizeof prefix ? n : sizeof prefix - 1;
        memcpy(prefix, requested_path, n);
        prefix[n] = '\0';
        _mirror_format(path, sizeof path, "%s%d%s", prefix, pid, pid_mark + 2);
    } else if (pid == initial_pid)
        _mirror_format(path, sizeof path, "%s", requested_path);
    else
        _mirror_format(path, sizeof path, "%s.%d", requested_path, pid);
    _mirror_format(temporary, sizeof temporary, "%s.tmp.%d", path, pid);

    size_t len = _mirror_format(json, sizeof json, "{");
    for (int i = 0; i < MIRROR_STAT_COUNT; i++)
        len += _mirror_format(json + len, sizeof json - len, "%s\"%s\": %llu", i ? ", " : "", stat_names[i],
                              (unsigned long long)_mirror_stat_get(i));
    if (members && *members)
        len += _mirror_format(json + len, sizeof json - len, ", %s", members);
    len += _mirror_format(json + len, sizeof json - len, "}\n");

    int fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    bool written = fd >= 0 && write_all(fd, json, len);
    int error = errno;
    if (fd >= 0 && close(fd) != 0 && written) {
        written = false;
        error = errno;
    }
    if (written && rename(temporary, path) == 0)
        return;
    error = written ? errno : error;
    if (fd >= 0)
        unlink(temporary);
    _mirror_report("cannot write stats_json %s (errno %d); check that its directory exists and is writable",
                   path, error);
}
