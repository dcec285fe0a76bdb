/* exit.c — what the runtime does at exit, and the audit on demand: measure residency and coverage,
 * sync the threads blocked in pthread objects, audit the protected domain, then print_stats and
 * stats_json. Exit order matters: the audit must see what blocked threads changed as the program's
 * state (synced first), and the statistics must hold the audit's result (printed last).
 */
#include <stdlib.h>
#include <unistd.h>

#include "process/platform.h"

static int initial_pid MIRROR_RT_STATE; /* the process that started; forked children write <stats_json>.<pid> */

static struct _mirror_audit_result audit_now(bool report)
{
    _mirror_sync_blocked(); /* what blocked threads changed is the program's state, not a divergence */
    return _mirror_audit_run(report);
}

static void at_exit(void)
{
    _mirror_measure_residency();
    if (_mirror_flags.coverage_interval_ms > 0)
        _mirror_sample_coverage();
    struct _mirror_audit_result audit = audit_now(_mirror_flags.audit_at_exit);
    _mirror_stat_set(MIRROR_STAT_audit_divergent_bytes, audit.divergent_bytes);
    if (_mirror_flags.audit_at_exit)
        _mirror_report("audit at exit: %zu divergent bytes in %zu runs (%zu resident protected pages in %zu "
                       "ranges checked)",
                       audit.divergent_bytes, audit.runs, audit.pages_checked, audit.ranges);
    const char *suspect;
    int suspects = _mirror_uninstrumented_suspects(&suspect);
    if (_mirror_flags.audit_at_exit && audit.divergent_bytes && suspects)
        _mirror_report("audit at exit: uninstrumented %s%s is loaded: a divergence is most likely its writes, which "
                       "the mirror never saw; a lost page holding them would be restored stale (rebuild it with "
                       "mirror-cc: mirrorpass deps install)",
                       suspect, suspects > 1 ? " (and others)" : "");
    if (_mirror_flags.print_stats)
        _mirror_stats_print();
    if (_mirror_flags.stats_json != NULL) {
        static char members[8192 + 32768] MIRROR_RT_STATE;
        size_t len = _mirror_uninstrumented_json(members, 8192);
        len += _mirror_format(members + len, sizeof members - len, "%s", len ? ", " : "");
        _mirror_excluded_json(members + len, sizeof members - len);
        _mirror_stats_write_json(_mirror_flags.stats_json, initial_pid, members);
    }
}

void _mirror_exit_init(void)
{
    if (!_mirror_flags.print_stats && !_mirror_flags.audit_at_exit && _mirror_flags.stats_json == NULL &&
        _mirror_flags.coverage_interval_ms == 0)
        return;
    initial_pid = getpid();
    /* Registered before any handler of the program, so it runs after them all (atexit runs in reverse). */
    if (atexit(at_exit) != 0)
        _mirror_fatal("cannot register the exit handler for print_stats/audit_at_exit/stats_json");
}

size_t mirror_audit(void)
{
    struct _mirror_audit_result result = audit_now(true);
    if (result.divergent_bytes > 0)
        _mirror_report("audit: %zu divergent bytes in %zu runs (%zu resident protected pages in %zu ranges "
                       "checked)",
                       result.divergent_bytes, result.runs, result.pages_checked, result.ranges);
    else
        _mirror_verbose(1, "audit: no divergent bytes (%zu resident protected pages in %zu ranges checked)",
                        result.pages_checked, result.ranges);
    return result.divergent_bytes;
}
