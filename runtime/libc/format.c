/* format.c — formatted output into the caller's memory: the printf family, strftime, strfrom*.
 *
 * sprintf writes the characters it returns plus a terminator (glibc terminates the buffer also when it
 * fails, e.g. EILSEQ from %ls); snprintf writes min(result, size - 1) + 1 bytes; asprintf stores a
 * pointer to a block of libc's malloc, which the wrapper moves into the mirrored heap. Every printf
 * also writes through %n: after the call the format is walked again with a copy of the arguments to
 * find each %n target (skipping the other arguments by their class: integer, double, long double) —
 * that is the only write of printf/fprintf/dprintf, which are routed for it alone (the walk starts only
 * when the format contains an 'n' at all). Positional arguments (%n$) are followed for up to
 * MAX_POSITIONAL arguments; custom conversions (register_printf_function) end the walk. Variadic entry
 * points forward to the v* wrappers. Nothing is allocated except by asprintf itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "libc/wrap.h"

int __vsprintf_chk(char *s, int flag, size_t slen, const char *format, va_list args);
int __vsnprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *format, va_list args);
int __vasprintf_chk(char **result, int flag, const char *format, va_list args);
int __vprintf_chk(int flag, const char *format, va_list args);
int __vfprintf_chk(FILE *stream, int flag, const char *format, va_list args);
int __vdprintf_chk(int fd, int flag, const char *format, va_list args);

/* ---- %n ---------------------------------------------------------------------------------------------- */

/* How an argument is taken from a va_list on x86-64: integers and pointers share the general-purpose
 * slots, doubles the SSE slots, long doubles the stack. */
enum argument_class { ARG_UNKNOWN, ARG_INTEGER, ARG_DOUBLE, ARG_LONG_DOUBLE };

/* Positional formats name at most this many arguments here (glibc accepts NL_ARGMAX = 4096). */
#define MAX_POSITIONAL 64

struct printf_directive {
    enum argument_class conversion; /* ARG_UNKNOWN: takes no argument (%m, %%) */
    bool is_count;                  /* %n */
    size_t count_size;              /* bytes of the %n target */
    int position;                   /* n of %n$, 0 when sequential */
    int width_position;             /* *m$ for the width: m; -1: a sequential '*'; 0: none */
    int precision_position;         /* the same for the precision */
};

static int parse_position(const char **p)
{
    const char *c = *p;
    int value = 0;
    while (*c >= '0' && *c <= '9' && value <= MAX_POSITIONAL)
        value = value * 10 + (*c++ - '0');
    if (*c != '$' || c == *p)
        return 0;
    *p = c + 1;
    return value;
}

/* '*' or '*m$' at *p: -1 for a sequential argument, m for a positional one, 0 when absent. */
static int parse_star(const char **p)
{
    if (**p != '*')
        return 0;
    (*p)++;
    int position = parse_position(p);
    return position > 0 ? position : -1;
}

/* Parse the directive after a '%' at *p. Returns false at "%%" (no directive); *stop when the walk
 * cannot continue (the end of the format, an unknown conversion). */
static bool parse_printf_directive(const char **p, struct printf_directive *d, bool *stop)
{
    const char *c = *p;
    *d = (struct printf_directive){.conversion = ARG_UNKNOWN};
    *stop = false;
    if (*c == '%') {
        *p = c + 1;
        return false;
    }
    d->position = parse_position(&c);
    while (*c == '-' || *c == '+' || *c == ' ' || *c == '#' || *c == '0' || *c == '\'' || *c == 'I')
        c++;
    d->width_position = parse_star(&c);
    while (*c >= '0' && *c <= '9')
        c++;
    if (*c == '.') {
        c++;
        d->precision_position = parse_star(&c);
        while (*c >= '0' && *c <= '9')
            c++;
    }
    bool long_double = false;
    size_t count_size = sizeof(int);
    switch (*c) {
    case 'h':
        count_size = c[1] == 'h' ? sizeof(char) : sizeof(short);
        c += c[1] == 'h' ? 2 : 1;
        break;
    case 'l':
        long_double = c[1] == 'l'; /* glibc reads %llf as %Lf */
        count_size = sizeof(long);
        c += c[1] == 'l' ? 2 : 1;
        break;
    case 'L':
    case 'q':
        long_double = true;
        count_size = sizeof(long long);
        c++;
        break;
    case 'j':
    case 'z':
    case 'Z':
    case 't':
        count_size = sizeof(long);
        c++;
        break;
    }
    switch (*c) {
    case 'd': case 'i': case 'o': case 'u': case 'x': case 'X': case 'c': case 'C':
    case 's': case 'S': case 'p':
        d->conversion = ARG_INTEGER;
        break;
    case 'n':
        d->conversion = ARG_INTEGER;
        d->is_count = true;
        d->count_size = count_size;
        break;
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'a': case 'A':
        d->conversion = long_double ? ARG_LONG_DOUBLE : ARG_DOUBLE;
        break;
    case 'm':
        break;
    default:
        *stop = true;
        return false;
    }
    *p = c + 1;
    return true;
}

/* A va_list that can be advanced through a pointer. */
struct printf_arguments {
    va_list ap;
};

static void *take(struct printf_arguments *args, enum argument_class class)
{
    switch (class) {
    case ARG_DOUBLE: (void)va_arg(args->ap, double); return NULL;
    case ARG_LONG_DOUBLE: (void)va_arg(args->ap, long double); return NULL;
    default: return va_arg(args->ap, void *);
    }
}

/* Sequential arguments: take them directive by directive. */
static void wrote_counts_sequential(const char *format, struct printf_arguments *args)
{
    for (const char *p = format; *p != '\0';) {
        if (*p++ != '%')
            continue;
        struct printf_directive d;
        bool stop;
        if (!parse_printf_directive(&p, &d, &stop)) {
            if (stop)
                return;
            continue;
        }
        if (d.position > 0 || d.width_position > 0 || d.precision_position > 0)
            return; /* mixed with positional arguments: undefined, leave it */
        if (d.width_position < 0)
            take(args, ARG_INTEGER);
        if (d.precision_position < 0)
            take(args, ARG_INTEGER);
        if (d.conversion == ARG_UNKNOWN)
            continue;
        void *target = take(args, d.conversion);
        if (d.is_count && target != NULL)
            _mirror_wrote(target, d.count_size);
    }
}

/* Positional arguments: learn each position's class from the whole format, then take them in order. */
static void wrote_counts_positional(const char *format, struct printf_arguments *args)
{
    enum argument_class classes[MAX_POSITIONAL + 1] = {ARG_UNKNOWN};
    size_t count_size[MAX_POSITIONAL + 1] = {0};
    int highest = 0;
    for (const char *p = format; *p != '\0';) {
        if (*p++ != '%')
            continue;
        struct printf_directive d;
        bool stop;
        if (!parse_printf_directive(&p, &d, &stop)) {
            if (stop)
                break;
            continue;
        }
        int stars[2] = {d.width_position, d.precision_position};
        for (int i = 0; i < 2; i++) {
            if (stars[i] < 0 || stars[i] > MAX_POSITIONAL)
                return;
            if (stars[i] > 0)
                classes[stars[i]] = ARG_INTEGER;
            highest = stars[i] > highest ? stars[i] : highest;
        }
        if (d.conversion == ARG_UNKNOWN)
            continue;
        if (d.position <= 0 || d.position > MAX_POSITIONAL)
            return;
        classes[d.position] = d.conversion;
        if (d.is_count)
            count_size[d.position] = d.count_size;
        highest = d.position > highest ? d.position : highest;
    }
    for (int i = 1; i <= highest; i++) {
        if (classes[i] == ARG_UNKNOWN)
            return; /* a gap: the classes after it are unknown */
        void *target = take(args, classes[i]);
        if (count_size[i] != 0 && target != NULL)
            _mirror_wrote(target, count_size[i]);
    }
}

/* libc formatted `format` with these arguments: mirror every %n target. Keeps errno. */
static void wrote_counts(const char *format, va_list args)
{
    if (format == NULL || strchr(format, 'n') == NULL)
        return;
    struct printf_arguments walk;
    va_copy(walk.ap, args);
    const char *first = strchr(format, '%');
    bool positional = false;
    if (first != NULL) {
        const char *p = first + 1;
        positional = parse_position(&p) > 0;
    }
    if (positional)
        wrote_counts_positional(format, &walk);
    else
        wrote_counts_sequential(format, &walk);
    va_end(walk.ap);
}

/* ---- Into a buffer ----------------------------------------------------------------------------------- */

/* The result of an sprintf into s: the characters and the terminator (also written on failure). */
static void wrote_sprintf(const char *s, int result)
{
    if (result >= 0)
        _mirror_wrote(s, (size_t)result + 1);
    else
        _mirror_wrote_string(s);
}

static void wrote_snprintf(const char *s, size_t size, int result)
{
    if (size == 0)
        return;
    if (result >= 0)
        _mirror_wrote(s, ((size_t)result < size - 1 ? (size_t)result : size - 1) + 1);
    else
        _mirror_wrote_string_within(s, size);
}

/* libc stored a block of its malloc (or nothing, on failure) in *result. */
static void wrote_asprintf(char **result, int length)
{
    if (length >= 0)
        *result = _mirror_rehome(*result, (size_t)length + 1);
    _mirror_wrote(result, sizeof *result);
}

/* Call `call` with a copy of args, then run `after` with the result; errno is libc's. */
#define FORMAT_RETURN(call, format, args, after)                                                          \
    do {                                                                                                  \
        va_list copy_;                                                                                    \
        va_copy(copy_, args);                                                                             \
        int result = (call);                                                                              \
        int saved_ = errno;                                                                               \
        after;                                                                                            \
        wrote_counts(format, copy_);                                                                      \
        va_end(copy_);                                                                                    \
        errno = saved_;                                                                                   \
        return result;                                                                                    \
    } while (0)


MIRROR_WRAPPER int __mirror_vsprintf(char *s, const char *format, va_list args)
{
    FORMAT_RETURN(vsprintf(s, format, args), format, args, wrote_sprintf(s, result));
}

MIRROR_WRAPPER int __mirror_vsnprintf(char *s, size_t size, const char *format, va_list args)
{
    FORMAT_RETURN(vsnprintf(s, size, format, args), format, args, wrote_snprintf(s, size, result));
}

MIRROR_WRAPPER int __mirror___vsprintf_chk(char *s, int flag, size_t slen, const char *format, va_list args)
{
    FORMAT_RETURN(__vsprintf_chk(s, flag, slen, format, args), format, args, wrote_sprintf(s, result));
}

MIRROR_WRAPPER int __mirror___vsnprintf_chk(char *s, size_t size, int flag, size_t slen, const char *format,
                                            va_list args)
{
    FORMAT_RETURN(__vsnprintf_chk(s, size, flag, slen, format, args), format, args,
                  wrote_snprintf(s, size, result));
}

MIRROR_WRAPPER int __mirror_vasprintf(char **out, const char *format, va_list args)
{
    FORMAT_RETURN(vasprintf(out, format, args), format, args, wrote_asprintf(out, result));
}

MIRROR_WRAPPER int __mirror___vasprintf_chk(char **out, int flag, const char *format, va_list args)
{
    FORMAT_RETURN(__vasprintf_chk(out, flag, format, args), format, args, wrote_asprintf(out, result));
}

MIRROR_WRAPPER int __mirror_sprintf(char *s, const char *format, ...)
{
    FORWARD_VARIADIC(__mirror_vsprintf, format, s, format);
}

MIRROR_WRAPPER int __mirror_snprintf(char *s, size_t size, const char *format, ...)
{
    FORWARD_VARIADIC(__mirror_vsnprintf, format, s, size, format);
}

MIRROR_WRAPPER int __mirror___sprintf_chk(char *s, int flag, size_t slen, const char *format, ...)
{
    FORWARD_VARIADIC(__mirror___vsprintf_chk, format, s, flag, slen, format);
}

MIRROR_WRAPPER int __mirror___snprintf_chk(char *s, size_t size, int flag, size_t slen, const char *format, ...)
{
    FORWARD_VARIADIC(__mirror___vsnprintf_chk, format, s, size, flag, slen, format);
}

MIRROR_WRAPPER int __mirror_asprintf(char **out, const char *format, ...)
{
    FORWARD_VARIADIC(__mirror_vasprintf, format, out, format);
}

MIRROR_WRAPPER int __mirror___asprintf_chk(char **out, int flag, const char *format, ...)
{
    FORWARD_VARIADIC(__mirror___vasprintf_chk, format, out, flag, format);
}

/* ---- To a stream (for %n only) ----------------------------------------------------------------------- */

MIRROR_WRAPPER int __mirror_vprintf(const char *format, va_list args)
{
    FORMAT_RETURN(vprintf(format, args), format, args, (void)result);
}

MIRROR_WRAPPER int __mirror_vfprintf(FILE *stream, const char *format, va_list args)
{
    FORMAT_RETURN(vfprintf(stream, format, args), format, args, (void)result);
}

MIRROR_WRAPPER int __mirror_vdprintf(int fd, const char *format, va_list args)
{
    FORMAT_RETURN(vdprintf(fd, format, args), format, args, (void)result);
}

MIRROR_WRAPPER int __mirror___vprintf_chk(int flag, const char *format, va_list args)
{
    FORMAT_RETURN(__vprintf_chk(flag, format, args), format, args, (void)result);
}

MIRROR_WRAPPER int __mirror___vfprintf_chk(FILE *stream, int flag, const char *format, va_list args)
{
    FORMAT_RETURN(__vfprintf_chk(stream, flag, format, args), format, args, (void)result);
}

MIRROR_WRAPPER int __mirror___vdprintf_chk(int fd, int flag, const char *format, va_list args)
{
    FORMAT_RETURN(__vdprintf_chk(fd, flag, format, args), format, args, (void)result);
}

MIRROR_WRAPPER int __mirror_printf(const char *format, ...)
{
    FORWARD_VARIADIC(__mirror_vprintf, format, format);
}

MIRROR_WRAPPER int __mirror_fprintf(FILE *stream, const char *format, ...)
{
    FORWARD_VARIADIC(__mirror_vfprintf, format, stream, format);
}

MIRROR_WRAPPER int __mirror_dprintf(int fd, const char *format, ...)
{
    FORWARD_VARIADIC(__mirror_vdprintf, format, fd, format);
}

MIRROR_WRAPPER int __mirror___printf_chk(int flag, const char *format, ...)
{
    FORWARD_VARIADIC(__mirror___vprintf_chk, format, flag, format);
}

MIRROR_WRAPPER int __mirror___fprintf_chk(FILE *stream, int flag, const char *format, ...)
{
    FORWARD_VARIADIC(__mirror___vfprintf_chk, format, stream, flag, format);
}

MIRROR_WRAPPER int __mirror___dprintf_chk(int fd, int flag, const char *format, ...)
{
    FORWARD_VARIADIC(__mirror___vdprintf_chk, format, fd, flag, format);
}

/* ---- Dates and numbers ------------------------------------------------------------------------------- */

/* 0 means the result did not fit, and the array's contents are then indeterminate: all of them. */
static size_t wrote_strftime(const char *s, size_t max, size_t result)
{
    _mirror_wrote(s, result > 0 ? result + 1 : max);
    return result;
}

MIRROR_WRAPPER size_t __mirror_strftime(char *s, size_t max, const char *format, const struct tm *tm)
{
    return wrote_strftime(s, max, strftime(s, max, format, tm));
}

MIRROR_WRAPPER size_t __mirror_strftime_l(char *s, size_t max, const char *format, const struct tm *tm,
                                          locale_t locale)
{
    return wrote_strftime(s, max, strftime_l(s, max, format, tm, locale));
}

MIRROR_WRAPPER int __mirror_strfromd(char *s, size_t n, const char *format, double value)
{
    int result = strfromd(s, n, format, value);
    wrote_snprintf(s, n, result);
    return result;
}

MIRROR_WRAPPER int __mirror_strfromf(char *s, size_t n, const char *format, float value)
{
    int result = strfromf(s, n, format, value);
    wrote_snprintf(s, n, result);
    return result;
}

MIRROR_WRAPPER int __mirror_strfroml(char *s, size_t n, const char *format, long double value)
{
    int result = strfroml(s, n, format, value);
    wrote_snprintf(s, n, result);
    return result;
}
