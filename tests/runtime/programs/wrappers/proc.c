/* Processes, signals, limits and system information: a real child to wait for, signal masks and
 * actions, and the out-parameters of the system queries. */
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

#include "wrap_check.h"

static int status;
static struct rusage usage;
static siginfo_t info;
static struct sigaction old_action;
static sigset_t set, old_set, pending;
static struct rlimit limit;
static struct utsname name;
static struct sysinfo sys;
static char host[128];
static unsigned char random_bytes[64];
static cpu_set_t cpus;
static struct itimerval itimer;
static stack_t old_stack;
static struct passwd user;
static struct group group;
static struct passwd *user_found;
static struct group *group_found;
static char entry_buf[4096], conf[256];

static void on_usr1(int sig)
{
    (void)sig;
}

static pid_t child(int code)
{
    pid_t pid = fork();
    if (pid < 0)
        DIE("fork");
    if (pid == 0)
        _exit(code);
    return pid;
}

int main(void)
{
    int *heap_status = malloc(sizeof *heap_status);

    pid_t pid = child(3);
    fill(&status, sizeof status, 0xa5);
    result("waitpid", waitpid(pid, &status, 0) == pid);
    check("waitpid", &status, sizeof status);
    result("waitpid.status", WEXITSTATUS(status));
    pid = child(4);
    fill(heap_status, sizeof *heap_status, 0xa5);
    result("wait", wait(heap_status) == pid);
    check("wait", heap_status, sizeof *heap_status);
    pid = child(5);
    fill(&status, sizeof status, 0xa5);
    fill(&usage, sizeof usage, 0xa5);
    result("wait4", wait4(pid, &status, 0, &usage) == pid);
    check("wait4.status", &status, sizeof status);
    check("wait4.rusage", &usage, sizeof usage);
    pid = child(6);
    fill(&info, sizeof info, 0xa5);
    result("waitid", waitid(P_PID, (id_t)pid, &info, WEXITED));
    check("waitid", &info, sizeof info);
    errno = 0;
    long none = waitpid(-1, &status, WNOHANG);
    failure("waitpid.echild", none, errno);

    struct sigaction action = {.sa_handler = on_usr1};
    sigaction(SIGUSR1, &action, NULL);
    fill(&old_action, sizeof old_action, 0xa5);
    result("sigaction", sigaction(SIGUSR1, &action, &old_action));
    check("sigaction", &old_action, sizeof old_action);

    fill(&set, sizeof set, 0xa5);
    result("sigemptyset", sigemptyset(&set));
    check("sigemptyset", &set, sizeof set);
    result("sigaddset", sigaddset(&set, SIGUSR1));
    check("sigaddset", &set, sizeof set);
    result("sigaddset.2", sigaddset(&set, SIGUSR2));
    result("sigdelset", sigdelset(&set, SIGUSR2));
    check("sigdelset", &set, sizeof set);
    fill(&old_set, sizeof old_set, 0xa5);
    result("sigprocmask", sigprocmask(SIG_BLOCK, &set, &old_set));
    check("sigprocmask", &old_set, 8); /* the kernel fills the first 64 signals */
    fill(&old_set, sizeof old_set, 0xa5);
    result("pthread_sigmask", pthread_sigmask(SIG_BLOCK, &set, &old_set));
    check("pthread_sigmask", &old_set, 8);
    raise(SIGUSR1);
    fill(&pending, sizeof pending, 0xa5);
    result("sigpending", sigpending(&pending));
    check("sigpending", &pending, 8);
    result("sigpending.usr1", sigismember(&pending, SIGUSR1));
    fill(&set, sizeof set, 0xa5);
    result("sigfillset", sigfillset(&set));
    check("sigfillset", &set, sizeof set);

    fill(&usage, sizeof usage, 0xa5);
    result("getrusage", getrusage(RUSAGE_SELF, &usage));
    check("getrusage", &usage, sizeof usage);
    fill(&limit, sizeof limit, 0xa5);
    result("getrlimit", getrlimit(RLIMIT_NOFILE, &limit));
    check("getrlimit", &limit, sizeof limit);
    fill(&limit, sizeof limit, 0xa5);
    result("prlimit", prlimit(0, RLIMIT_STACK, NULL, &limit));
    check("prlimit", &limit, sizeof limit);
    fill(&cpus, sizeof cpus, 0xa5);
    result("sched_getaffinity", sched_getaffinity(0, sizeof cpus, &cpus));
    check("sched_getaffinity", &cpus, sizeof cpus);

    fill(&name, sizeof name, 0xa5);
    result("uname", uname(&name));
    check("uname", &name, sizeof name);
    fill(&sys, sizeof sys, 0xa5);
    result("sysinfo", sysinfo(&sys));
    check("sysinfo", &sys, sizeof sys);
    fill(host, sizeof host, 0xa5);
    result("gethostname", gethostname(host, sizeof host));
    check("gethostname", host, strlen(host) + 1);
    fill(random_bytes, sizeof random_bytes, 0xa5);
    result("getrandom", getrandom(random_bytes, 48, 0));
    check("getrandom", random_bytes, sizeof random_bytes);
    fill(random_bytes, sizeof random_bytes, 0xa5);
    result("getentropy", getentropy(random_bytes, 32));
    check("getentropy", random_bytes, sizeof random_bytes);

    struct itimerval timer = {.it_value = {.tv_sec = 100}};
    setitimer(ITIMER_VIRTUAL, &timer, NULL);
    fill(&itimer, sizeof itimer, 0xa5);
    result("getitimer", getitimer(ITIMER_VIRTUAL, &itimer));
    check("getitimer", &itimer, sizeof itimer);
    fill(&old_stack, sizeof old_stack, 0xa5);
    result("sigaltstack", sigaltstack(NULL, &old_stack));
    check("sigaltstack", &old_stack, sizeof old_stack);

    fill(&user, sizeof user, 0xa5);
    fill(entry_buf, sizeof entry_buf, 0xa5);
    user_found = (struct passwd *)1;
    result("getpwuid_r", getpwuid_r(getuid(), &user, entry_buf, sizeof entry_buf, &user_found));
    check("getpwuid_r.entry", &user, sizeof user);
    check("getpwuid_r.strings", entry_buf, sizeof entry_buf);
    check("getpwuid_r.result", &user_found, sizeof user_found);
    fill(&group, sizeof group, 0xa5);
    fill(entry_buf, sizeof entry_buf, 0xa5);
    group_found = (struct group *)1;
    result("getgrgid_r", getgrgid_r(getgid(), &group, entry_buf, sizeof entry_buf, &group_found));
    check("getgrgid_r.entry", &group, sizeof group);
    check("getgrgid_r.result", &group_found, sizeof group_found);
    fill(conf, sizeof conf, 0xa5);
    result("confstr", (long)confstr(_CS_PATH, conf, sizeof conf));
    check("confstr", conf, strlen(conf) + 1);

    errno = 0;
    long bad = sigaddset(&set, 12345);
    failure("sigaddset.einval", bad, errno);
    errno = 0;
    bad = getrlimit(12345, &limit);
    failure("getrlimit.einval", bad, errno);

    finish();
    return 0;
}
