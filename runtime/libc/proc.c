/* proc.c — processes, signals and system information: out-parameters the kernel fills.
 *
 * Each of these stores one result structure or word through a pointer the caller passes: a child's
 * wait status and resource usage, a previous signal mask, the sigset_t that sigemptyset and friends
 * edit in place, resource limits, random bytes, the system's name, user and group entries (the struct,
 * the caller's string buffer, synced whole, and the result pointer). The wrapper calls libc and, when
 * the call says it stored the result (by its own convention: 0, a positive count, or an error number of
 * 0), mirrors that object. sigaction's wrapper is signal.c's: it keeps SIGBUS for recovery and mirrors
 * the old action itself, and so are sigprocmask's and pthread_sigmask's, which keep SIGBUS deliverable.
 * setjmp/sigsetjmp also write the caller's jmp_buf but return twice, so no
 * wrapper can call them: see docs/libc-boundary.md.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libc/wrap.h"

/* Mirror *object when `stored` (the call's own success test) holds; return the call's result. */
#define STORES_IF(stored, object, call)                                                                   \
    do {                                                                                                  \
        __typeof__(call) result = (call);                                                                 \
        if ((stored) && (object) != NULL)                                                                 \
            _mirror_wrote(object, sizeof *(object));                                                      \
        return result;                                                                                    \
    } while (0)

/* ---- Children ------------------------------------------------------------------------------------------ */

MIRROR_WRAPPER pid_t __mirror_wait(int *status)
{
    STORES_IF(result > 0, status, wait(status));
}

/* With WNOHANG, 0 means no child changed state and nothing was stored. */
MIRROR_WRAPPER pid_t __mirror_waitpid(pid_t pid, int *status, int options)
{
    STORES_IF(result > 0, status, waitpid(pid, status, options));
}

MIRROR_WRAPPER pid_t __mirror_wait3(int *status, int options, struct rusage *usage)
{
    pid_t result = wait3(status, options, usage);
    if (result > 0) {
        if (status != NULL)
            _mirror_wrote(status, sizeof *status);
        if (usage != NULL)
            _mirror_wrote(usage, sizeof *usage);
    }
    return result;
}

MIRROR_WRAPPER pid_t __mirror_wait4(pid_t pid, int *status, int options, struct rusage *usage)
{
    pid_t result = wait4(pid, status, options, usage);
    if (result > 0) {
        if (status != NULL)
            _mirror_wrote(status, sizeof *status);
        if (usage != NULL)
            _mirror_wrote(usage, sizeof *usage);
    }
    return result;
}

/* Linux clears *info also when WNOHANG finds no child. */
MIRROR_WRAPPER int __mirror_waitid(idtype_t idtype, id_t id, siginfo_t *info, int options)
{
    STORES_IF(result == 0, info, waitid(idtype, id, info, options));
}

/* ---- Signals ------------------------------------------------------------------------------------------- */

MIRROR_WRAPPER int __mirror_sigpending(sigset_t *set)
{
    STORES_IF(result == 0, set, sigpending(set));
}

MIRROR_WRAPPER int __mirror_sigemptyset(sigset_t *set)
{
    STORES_IF(result == 0, set, sigemptyset(set));
}

MIRROR_WRAPPER int __mirror_sigfillset(sigset_t *set)
{
    STORES_IF(result == 0, set, sigfillset(set));
}

MIRROR_WRAPPER int __mirror_sigaddset(sigset_t *set, int sig)
{
    STORES_IF(result == 0, set, sigaddset(set, sig));
}

MIRROR_WRAPPER int __mirror_sigdelset(sigset_t *set, int sig)
{
    STORES_IF(result == 0, set, sigdelset(set, sig));
}

/* Returns an error number. */
MIRROR_WRAPPER int __mirror_sigwait(const sigset_t *set, int *sig)
{
    STORES_IF(result == 0, sig, sigwait(set, sig));
}

MIRROR_WRAPPER int __mirror_sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
    STORES_IF(result > 0, info, sigwaitinfo(set, info));
}

MIRROR_WRAPPER int __mirror_sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout)
{
    STORES_IF(result > 0, info, sigtimedwait(set, info, timeout));
}

MIRROR_WRAPPER int __mirror_sigaltstack(const stack_t *stack, stack_t *old)
{
    STORES_IF(result == 0, old, sigaltstack(stack, old));
}

MIRROR_WRAPPER int __mirror_getitimer(int which, struct itimerval *value)
{
    STORES_IF(result == 0, value, getitimer(which, value));
}

MIRROR_WRAPPER int __mirror_setitimer(int which, const struct itimerval *value, struct itimerval *old)
{
    STORES_IF(result == 0, old, setitimer(which, value, old));
}

/* ---- Limits and usage ---------------------------------------------------------------------------------- */

MIRROR_WRAPPER int __mirror_getrusage(int who, struct rusage *usage)
{
    STORES_IF(result == 0, usage, getrusage(who, usage));
}

MIRROR_WRAPPER int __mirror_getrlimit(int resource, struct rlimit *limit)
{
    STORES_IF(result == 0, limit, getrlimit(resource, limit));
}

MIRROR_WRAPPER int __mirror_getrlimit64(int resource, struct rlimit64 *limit)
{
    STORES_IF(result == 0, limit, getrlimit64(resource, limit));
}

MIRROR_WRAPPER int __mirror_prlimit(pid_t pid, int resource, const struct rlimit *limit, struct rlimit *old)
{
    STORES_IF(result == 0, old, prlimit(pid, resource, limit, old));
}

MIRROR_WRAPPER int __mirror_prlimit64(pid_t pid, int resource, const struct rlimit64 *limit,
                                      struct rlimit64 *old)
{
    STORES_IF(result == 0, old, prlimit64(pid, resource, limit, old));
}

MIRROR_WRAPPER int __mirror_sched_getaffinity(pid_t pid, size_t size, cpu_set_t *mask)
{
    /* glibc clears the part of the set beyond what the kernel filled: all `size` bytes are written. */
    int result = sched_getaffinity(pid, size, mask);
    if (result == 0)
        _mirror_wrote(mask, size);
    return result;
}

/* ---- The system ---------------------------------------------------------------------------------------- */

MIRROR_WRAPPER int __mirror_uname(struct utsname *name)
{
    STORES_IF(result == 0, name, uname(name));
}

MIRROR_WRAPPER int __mirror_sysinfo(struct sysinfo *info)
{
    STORES_IF(result == 0, info, sysinfo(info));
}

MIRROR_WRAPPER int __mirror_gethostname(char *name, size_t n)
{
    int result = gethostname(name, n);
    if (result == 0)
        _mirror_wrote_string_within(name, n);
    return result;
}

MIRROR_WRAPPER int __mirror_getgroups(int size, gid_t list[])
{
    int result = getgroups(size, list);
    if (result > 0 && size > 0)
        _mirror_wrote(list, (size_t)result * sizeof *list);
    return result;
}

MIRROR_WRAPPER ssize_t __mirror_getrandom(void *buf, size_t n, unsigned int flags)
{
    ssize_t result = getrandom(buf, n, flags);
    if (result > 0)
        _mirror_wrote(buf, (size_t)result);
    return result;
}

MIRROR_WRAPPER int __mirror_getentropy(void *buf, size_t n)
{
    int result = getentropy(buf, n);
    if (result == 0)
        _mirror_wrote(buf, n);
    return result;
}

/* ---- Users and groups ---------------------------------------------------------------------------------- */

/* The _r lookups fill *entry and pack its strings into buf (where exactly is libc's choice), and always
 * store the result pointer (NULL when not found). They return an error number. */
static void wrote_entry(const void *entry, size_t entry_size, const char *buf, size_t buflen, void **result,
                        int error)
{
    if (result != NULL)
        _mirror_wrote(result, sizeof *result);
    if (error == 0 && result != NULL && *result != NULL) {
        _mirror_wrote(entry, entry_size);
        _mirror_wrote(buf, buflen);
    }
}

MIRROR_WRAPPER int __mirror_getpwnam_r(const char *name, struct passwd *entry, char *buf, size_t buflen,
                                       struct passwd **result)
{
    int error = getpwnam_r(name, entry, buf, buflen, result);
    wrote_entry(entry, sizeof *entry, buf, buflen, (void **)result, error);
    return error;
}

MIRROR_WRAPPER int __mirror_getpwuid_r(uid_t uid, struct passwd *entry, char *buf, size_t buflen,
                                       struct passwd **result)
{
    int error = getpwuid_r(uid, entry, buf, buflen, result);
    wrote_entry(entry, sizeof *entry, buf, buflen, (void **)result, error);
    return error;
}

MIRROR_WRAPPER int __mirror_getgrnam_r(const char *name, struct group *entry, char *buf, size_t buflen,
                                       struct group **result)
{
    int error = getgrnam_r(name, entry, buf, buflen, result);
    wrote_entry(entry, sizeof *entry, buf, buflen, (void **)result, error);
    return error;
}

MIRROR_WRAPPER int __mirror_getgrgid_r(gid_t gid, struct group *entry, char *buf, size_t buflen,
                                       struct group **result)
{
    int error = getgrgid_r(gid, entry, buf, buflen, result);
    wrote_entry(entry, sizeof *entry, buf, buflen, (void **)result, error);
    return error;
}

MIRROR_WRAPPER size_t __mirror_confstr(int name, char *buf, size_t n)
{
    size_t result = confstr(name, buf, n);
    if (result > 0 && buf != NULL)
        _mirror_wrote_string_within(buf, n);
    return result;
}
