/* varargs: our own printf-like formatter (no libc formatting into checked memory) that takes a va_list
 * passed down through two levels, va_copy for a measuring pass before the writing pass, a va_list kept
 * in a heap object and consumed from another function, and calls with more integer and floating-point
 * arguments than fit in registers (the overflow area). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mcheck.h"

struct out {
    char *buf;
    size_t len, cap;
};

static struct out g_out;       /* the output buffer's descriptor, a global */
static char g_line[128];       /* a fixed global buffer */

struct cursor {                /* a va_list living in a heap object, consumed elsewhere */
    va_list ap;
    int remaining;
    long total;
};

static void put(struct out *o, char c)
{
    if (o->len < o->cap)
        o->buf[o->len] = c;
    o->len++;
}

static void put_str(struct out *o, const char *s)
{
    while (*s)
        put(o, *s++);
}

static void put_uint(struct out *o, unsigned long long v, unsigned base, int width)
{
    char digits[32];
    int n = 0;
    do {
        digits[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (n < width--)
        put(o, '0');
    while (n)
        put(o, digits[--n]);
}

static void put_int(struct out *o, long long v)
{
    if (v < 0) {
        put(o, '-');
        put_uint(o, 0ULL - (unsigned long long)v, 10, 0);
    } else {
        put_uint(o, (unsigned long long)v, 10, 0);
    }
}

static void put_fixed(struct out *o, double d) /* three decimals, rounded */
{
    if (d < 0) {
        put(o, '-');
        d = -d;
    }
    unsigned long long scaled = (unsigned long long)(d * 1000.0 + 0.5);
    put_uint(o, scaled / 1000, 10, 0);
    put(o, '.');
    put_uint(o, scaled % 1000, 10, 3);
}

/* The vprintf of this program: %d %ld %lld %u %x %s %c %f %%. */
static void my_vformat(struct out *o, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(o, *fmt);
            continue;
        }
        int longs = 0;
        while (*++fmt == 'l')
            longs++;
        switch (*fmt) {
        case 'd':
            put_int(o, longs == 0 ? va_arg(ap, int) : longs == 1 ? va_arg(ap, long) : va_arg(ap, long long));
            break;
        case 'u':
            put_uint(o, longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 10, 0);
            break;
        case 'x':
            put_uint(o, longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 16, 0);
            break;
        case 's':
            put_str(o, va_arg(ap, const char *));
            break;
        case 'c':
            put(o, (char)va_arg(ap, int));
            break;
        case 'f':
            put_fixed(o, va_arg(ap, double));
            break;
        case '%':
            put(o, '%');
            break;
        default:
            put(o, '?');
            break;
        }
    }
}

/* Two passes over the same arguments: va_copy for measuring, then writing. */
static size_t my_vformat_alloc(struct out *o, const char *fmt, va_list ap)
{
    va_list measure;
    va_copy(measure, ap);
    struct out counter = {NULL, 0, 0};
    my_vformat(&counter, fmt, measure);
    va_end(measure);
    if (o->len + counter.len + 1 > o->cap) {
        size_t cap = (o->len + counter.len + 1) * 2;
        char *nb = malloc(cap);
        for (size_t i = 0; i < o->len; i++) /* our own copy: realloc's copy would not be mirrored */
            nb[i] = o->buf[i];
        free(o->buf);
        o->buf = nb;
        o->cap = cap;
    }
    my_vformat(o, fmt, ap);
    o->buf[o->len] = 0;
    return counter.len;
}

static size_t my_printf(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = my_vformat_alloc(o, fmt, ap);
    va_end(ap);
    return n;
}

static size_t line_printf(const char *fmt, ...)
{
    struct out o = {g_line, 0, sizeof g_line - 1};
    va_list ap;
    va_start(ap, fmt);
    my_vformat(&o, fmt, ap);
    va_end(ap);
    g_line[o.len < o.cap ? o.len : o.cap] = 0;
    return o.len;
}

static long cursor_next(struct cursor *c)
{
    c->remaining--;
    long v = va_arg(c->ap, long);
    c->total += v;
    return v;
}

static struct cursor *cursor_open(int n, ...)
{
    struct cursor *c = malloc(sizeof *c);
    va_list ap;
    va_start(ap, n);
    va_copy(c->ap, ap); /* into the heap: the va_list escapes */
    va_end(ap);
    c->remaining = n;
    c->total = 0;
    /* consume here, while the caller's arguments are still alive */
    long prod = 1;
    while (c->remaining > 0)
        prod = prod * 3 + cursor_next(c);
    c->total += prod % 1000;
    va_end(c->ap);
    return c;
}

static double mixed(int n, ...) /* 10 ints and 10 doubles: beyond 6 GP and 8 FP registers */
{
    va_list ap;
    va_start(ap, n);
    double s = 0;
    for (int i = 0; i < n; i++) {
        int k = va_arg(ap, int);
        double d = va_arg(ap, double);
        s += k * d;
    }
    va_end(ap);
    return s;
}

int main(void)
{
    g_out.cap = 8;
    g_out.buf = malloc(g_out.cap);
    for (int i = 0; i < 30; i++)
        my_printf(&g_out, "[%d:%s:%x:%c:%f:%ld:%lld:%u%%]\n", i - 5, i % 2 ? "odd" : "even", i * 4099u,
                  'A' + i % 26, i / 3.0 - 2.0, (long)i << 34, -(long long)i * 1000000007LL, (unsigned)i * 7u);
    size_t n1 = line_printf("line %d of %s: %f", 3, "g_line", 3.14159);
    const char *words = "forty characters of text for the buffer";
    size_t n2 = line_printf("%s / %s / %s / %s (%d)", words, words, words, words, 4); /* truncated at 127 */
    struct cursor *c = cursor_open(9, 1L, -2L, 3L, 400L, 5L, 6L, 7000000000L, 8L, 9L);
    double m = mixed(10, 1, 0.5, 2, 1.5, 3, 2.5, 4, 3.5, 5, 4.5, 6, 5.5, 7, 6.5, 8, 7.5, 9, 8.5, 10, 9.5);

    printf("%s", g_out.buf);
    printf("out: len=%zu\n", g_out.len);
    printf("g_line: %s (n1=%zu n2=%zu)\n", g_line, n1, n2);
    printf("cursor: total=%ld remaining=%d\n", c->total, c->remaining);
    printf("mixed: %.3f\n", m);

    MCHECK(g_out.buf, g_out.len + 1);
    MCHECK_OBJ(g_out);
    MCHECK_OBJ(g_line);
    MCHECK(c, sizeof *c);
    mcheck_report();
    free(g_out.buf);
    free(c);
    return 0;
}
