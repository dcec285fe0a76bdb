/* report.c — every message the runtime prints goes through here.
 *
 * Messages can be printed from a SIGBUS handler, while malloc's or stdio's locks may be held, so this is
 * a small printf of its own: it formats into a stack buffer and hands the whole line to one write(2) on
 * fd 2. One write keeps a line whole when several threads report at once. Nothing here allocates, takes
 * a lock or touches stdio, and errno is preserved, which is what async-signal safety requires.
 */
#include <errno.h>
#include <stdarg.h>
#include <unistd.h>

#include "internal.h"

#define MESSAGE_PREFIX "mirrorpass: "
#define MESSAGE_CAPACITY 512

/* A line under construction. Invariant: len <= MESSAGE_CAPACITY; truncated once a character was
 * dropped for lack of room. The extra bytes hold the "...\n" that ends every line. */
struct message {
    char text[MESSAGE_CAPACITY + sizeof "...\n"];
    size_t len;
    bool truncated;
};

static void put_char(struct message *m, char c)
{
    if (m->len < MESSAGE_CAPACITY)
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
        ssize_t written = write(fd, data, len);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return; /* nowhere left to report to */
        data += written;
        len -= (size_t)written;
    }
}

static void report(const char *format, va_list args)
{
    int saved_errno = errno;
    struct message m = {.len = 0, .truncated = false};
    put_string(&m, MESSAGE_PREFIX);
    put_formatted(&m, format, args);
    if (m.truncated)
        for (int i = 0; i < 3; i++)
            m.text[m.len++] = '.';
    m.text[m.len++] = '\n';
    write_all(STDERR_FILENO, m.text, m.len);
    errno = saved_errno;
}

void _mirror_report(const char *format, ...)
{
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
