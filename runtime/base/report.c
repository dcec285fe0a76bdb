/* report.c — every message the runtime prints goes through here.
 *
 * Messages can be printed from a SIGBUS handler, while malloc's or stdio's locks may be held, so this is
 * a small printf of its own: it formats into a stack buffer and hands the whole line to one write(2) on
 * the log's descriptor (stderr, or log_path.<pid>). One write keeps a line whole when several threads
 * report at once. Nothing here allocates, takes a lock or touches stdio, and errno is preserved, which
 * is what async-signal safety requires (reopening the log after fork uses open(2), which is safe too).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "base/sys.h"

#define MESSAGE_PREFIX "mirrorpass: "
#define MESSAGE_CAPACITY 512

/* Text under construction in a buffer of capacity bytes. Invariant: len <= capacity; truncated once a
 * character was dropped for lack of room. */
struct message {
    char *text;
    size_t capacity;
    size_t len;
    bool truncated;
};

static void put_char(struct message *m, char c)
{
    if (m->len < m->capacity)
        m->text[m->len++] = c;
    else
        m->truncated = true;
}

static void put_string(struct message *m, const char *s)
{
    if (s == NULL)
        s = "(null)";
    while (*s != '\0')
        put_char(m, *s++);
}

static void put_unsigned(struct message *m, unsigned long long value, unsigned base)
{
    char digits[24]; /* 2^64 has 20 decimal digits */
    size_t n = 0;
    do {
        digits[n++] = "0123456789abcdef"[value % base];
        value /= base;
    } while (value != 0);
    while (n > 0)
        put_char(m, digits[--n]);
}

static void put_signed(struct message *m, long long value)
{
    if (value < 0) {
        put_char(m, '-');
        /* Negate as unsigned: -LLONG_MIN overflows a long long. */
        put_unsigned(m, -(unsigned long long)value, 10);
    } else {
        put_unsigned(m, (unsigned long long)value, 10);
    }
}

/* The integer length modifiers the format attribute lets callers use. */
enum length { LENGTH_INT, LENGTH_LONG, LENGTH_LONG_LONG, LENGTH_SIZE };

static void put_formatted(struct message *m, const char *format, va_list args)
{
    for (const char *f = format; *f != '\0'; f++) {
        if (*f != '%') {
            put_char(m, *f);
            continue;
        }
        f++;
        enum length length = LENGTH_INT;
        if (*f == 'z') {
            length = LENGTH_SIZE;
            f++;
        } else if (f[0] == 'l' && f[1] == 'l') {
            length = LENGTH_LONG_LONG;
            f += 2;
        } else if (*f == 'l') {
            length = LENGTH_LONG;
            f++;
        }
        switch (*f) {
        case 'd':
        case 'i':
            put_signed(m, length == LENGTH_INT           ? va_arg(args, int)
                          : length == LENGTH_LONG_LONG ? va_arg(args, long long)
                                                       : va_arg(args, long));
            break;
        case 'u':
        case 'x': {
            unsigned long long value = length == LENGTH_INT         ? va_arg(args, unsigned)
                                       : length == LENGTH_LONG_LONG ? va_arg(args, unsigned long long)
                                                                    : va_arg(args, unsigned long);
            put_unsigned(m, value, *f == 'u' ? 10 : 16);
            break;
        }
        case 'p':
            put_string(m, "0x");
            put_unsigned(m, (uintptr_t)va_arg(args, void *), 16);
            break;
        case 's':
            put_string(m, va_arg(args, const char *));
            break;
        case 'c':
            put_char(m, (char)va_arg(args, int));
            break;
        case '%':
            put_char(m, '%');
            break;
        case '\0':
            return; /* a lone '%' ends the format */
        default:
            /* Unsupported conversion: show it rather than guess its argument's type. */
            put_char(m, '%');
            put_char(m, *f);
            break;
        }
    }
}

/* Write the whole buffer, resuming after partial writes and signals. */
static void write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        long written = _mirror_sys_write(fd, data, len); /* raw: no PLT, no errno (see sys.h) */
        if (written == -EINTR)
            continue;
        if (written <= 0)
            return; /* nowhere left to report to */
        data += written;
        len -= (size_t)written;
    }
}

/* ---- Where messages go --------------------------------------------------------------------------------- */

/* The log: fd is where lines go; pid is the process that opened it (0 for stderr/stdout, which a forked
 * child shares). A child's first message reopens log_path with its own pid, as ASan's log_path does. */
static struct {
    int fd;
    int pid;
} log_target MIRROR_RT_STATE = {STDERR_FILENO, 0};

/* The descriptor, or -errno. */
static int open_log_file(int pid)
{
    char path[4200];
    size_t len = _mirror_format(path, sizeof path, "%s.%d", _mirror_flags.log_path, pid);
    if (len + 1 >= sizeof path)
        return -ENAMETOOLONG;
    /* Raw: the SIGBUS handler reaches this (a report from a forked child), and errno stays alone. */
    return (int)_mirror_syscall6(SYS_openat, AT_FDCWD, (long)path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                                 0644, 0, 0);
}

void _mirror_log_open(void)
{
    const char *path = _mirror_flags.log_path;
    if (path == NULL || strcmp(path, "stderr") == 0)
        return;
    if (strcmp(path, "stdout") == 0) {
        log_target.fd = STDOUT_FILENO;
        return;
    }
    int pid = getpid();
    int fd = open_log_file(pid);
    if (fd < 0)
        _mirror_fatal("cannot open the log file %s.%d (errno %d); check that the directory of "
                      "log_path exists and is writable",
                      path, pid, -fd);
    log_target.fd = fd;
    log_target.pid = pid;
}

/* The descriptor for this process. After fork the child opens its own file; two threads of a fresh
 * child racing here both open it (O_APPEND keeps their lines whole) and one descriptor leaks: harmless.
 * The parent's descriptor is never closed here, since another thread may be writing to it. */
static int log_fd(void)
{
    int pid = __atomic_load_n(&log_target.pid, __ATOMIC_ACQUIRE);
    int self = (int)_mirror_syscall6(SYS_getpid, 0, 0, 0, 0, 0, 0);
    if (pid == 0 || pid == self)
        return __atomic_load_n(&log_target.fd, __ATOMIC_RELAXED);
    int fd = open_log_file(self);
    if (fd < 0)
        fd = STDERR_FILENO; /* say it somewhere rather than nowhere */
    __atomic_store_n(&log_target.fd, fd, __ATOMIC_RELAXED);
    __atomic_store_n(&log_target.pid, self, __ATOMIC_RELEASE);
    return fd;
}

static void report(const char *format, va_list args)
{
    /* The extra bytes hold the "...\n" that ends a cut line. */
    char text[MESSAGE_CAPACITY + sizeof "...\n"];
    struct message m = {.text = text, .capacity = MESSAGE_CAPACITY};
    put_string(&m, MESSAGE_PREFIX);
    put_formatted(&m, format, args);
    if (m.truncated)
        for (int i = 0; i < 3; i++)
            m.text[m.len++] = '.';
    m.text[m.len++] = '\n';
    write_all(log_fd(), m.text, m.len);
}

void _mirror_report(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    report(format, args);
    va_end(args);
}

void _mirror_verbose(int level, const char *format, ...)
{
    if (_mirror_flags.verbosity < level)
        return;
    va_list args;
    va_start(args, format);
    report(format, args);
    va_end(args);
}

_Noreturn void _mirror_fatal(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    report(format, args);
    va_end(args);
    _exit(1);
}

size_t _mirror_format(char *buffer, size_t capacity, const char *format, ...)
{
    if (capacity == 0)
        return 0;
    struct message m = {.text = buffer, .capacity = capacity - 1};
    va_list args;
    va_start(args, format);
    put_formatted(&m, format, args);
    va_end(args);
    buffer[m.len] = '\0';
    return m.len;
}

/* The mapping of /proc/self/maps that contains addr, by name: "[stack]", a file path, "anonymous
 * memory"; "unmapped memory" when none does. Async-signal-safe (resident.c reads with raw calls). */
void _mirror_mapping_info(uintptr_t addr, char *out, size_t capacity, int *prot)
{
    struct _mirror_mapping map;
    if (!_mirror_maps_find(addr, &map)) {
        _mirror_format(out, capacity, "unmapped memory");
        return;
    }
    if (prot)
        *prot = map.prot;
    _mirror_format(out, capacity, "%s", map.name[0] ? map.name : "anonymous memory");
}

void _mirror_mapping_name(uintptr_t addr, char *out, size_t capacity)
{
    _mirror_mapping_info(addr, out, capacity, NULL);
}
