/* Formatted output into buffers: the sprintf family and its fortify forms, truncation, asprintf's
 * block, %n (sequential and positional, also through printf to stdout), strftime and strfromd. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <time.h>

#include "wrap_check.h"

int __sprintf_chk(char *s, int flag, size_t slen, const char *format, ...);
int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *format, ...);
int __vsprintf_chk(char *s, int flag, size_t slen, const char *format, va_list args);
int __vsnprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *format, va_list args);

static char global_buf[128];
static char *asprintf_result, *vasprintf_result;
static int count_a, count_b, count_printf;
static long count_long;
static signed char count_hh;

static int my_vsprintf(char *s, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int r = vsprintf(s, format, args);
    va_end(args);
    return r;
}

static int my_vsnprintf(char *s, size_t n, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int r = vsnprintf(s, n, format, args);
    va_end(args);
    return r;
}

static int my_vsprintf_chk(char *s, size_t slen, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int r = __vsprintf_chk(s, 1, slen, format, args);
    va_end(args);
    return r;
}

static int my_vsnprintf_chk(char *s, size_t n, size_t slen, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int r = __vsnprintf_chk(s, n, 1, slen, format, args);
    va_end(args);
    return r;
}

static int my_vasprintf(char **out, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int r = vasprintf(out, format, args);
    va_end(args);
    return r;
}

int main(int argc, char **argv)
{
    const char *name = argv[0][0] == '/' ? "mirror" : "pass"; /* not a compile-time constant */
    char *heap = malloc(128);

    fill(global_buf, sizeof global_buf, 0xa5);
    result("sprintf", sprintf(global_buf, "%s-%d-%.3f-%c", name, 42, 2.5, 'x'));
    check("sprintf", global_buf, sizeof global_buf);
    fill(heap, 128, 0xa5);
    result("snprintf", snprintf(heap, 128, "%08x|%-6s|%ld", 0xbeefu, name, -7L));
    check("snprintf", heap, 128);
    fill(heap, 128, 0xa5);
    size_t cut = (size_t)argc + 9; /* 10, unknown to the compiler */
    result("snprintf.truncated", snprintf(heap, cut, "%s and a long tail that is cut", name));
    check("snprintf.truncated", heap, 128);
    fill(global_buf, sizeof global_buf, 0xa5);
    result("vsprintf", my_vsprintf(global_buf, "%s %s %Lg", name, name, (long double)1.25));
    check("vsprintf", global_buf, sizeof global_buf);
    fill(global_buf, sizeof global_buf, 0xa5);
    result("vsnprintf", my_vsnprintf(global_buf, 16, "%s=%e", name, 12345.678));
    check("vsnprintf", global_buf, sizeof global_buf);
    fill(heap, 128, 0xa5);
    result("__sprintf_chk", __sprintf_chk(heap, 1, 128, "%s:%u", name, 99u));
    check("__sprintf_chk", heap, 128);
    fill(heap, 128, 0xa5);
    result("__snprintf_chk", __snprintf_chk(heap, 7, 1, 128, "%s:%u", name, 12345u));
    check("__snprintf_chk", heap, 128);
    fill(global_buf, sizeof global_buf, 0xa5);
    result("__vsprintf_chk", my_vsprintf_chk(global_buf, sizeof global_buf, "[%5s]", name));
    check("__vsprintf_chk", global_buf, sizeof global_buf);
    fill(global_buf, sizeof global_buf, 0xa5);
    result("__vsnprintf_chk", my_vsnprintf_chk(global_buf, 5, sizeof global_buf, "[%5s]", name));
    check("__vsnprintf_chk", global_buf, sizeof global_buf);

    asprintf_result = (char *)1;
    result("asprintf", asprintf(&asprintf_result, "%s has %d letters", name, (int)strlen(name)));
    check("asprintf.slot", &asprintf_result, sizeof asprintf_result);
    check("asprintf.string", asprintf_result, strlen(asprintf_result) + 1);
    vasprintf_result = (char *)1;
    result("vasprintf", my_vasprintf(&vasprintf_result, "%s/%s", name, name));
    check("vasprintf.slot", &vasprintf_result, sizeof vasprintf_result);
    check("vasprintf.string", vasprintf_result, strlen(vasprintf_result) + 1);

    /* %n: counts written through pointers, with every argument class before them. */
    fill(&count_a, sizeof count_a, 0xa5);
    fill(&count_long, sizeof count_long, 0xa5);
    fill(&count_hh, sizeof count_hh, 0xa5);
    result("sprintf.n", sprintf(global_buf, "%*d %s%n %.*f %Lf %p%ln %c%hhn", 5, 1, name, &count_a, 2, 3.14159,
                                (long double)2.5, (void *)global_buf, &count_long, 'z', &count_hh));
    check("n.int", &count_a, sizeof count_a);
    check("n.long", &count_long, sizeof count_long);
    check("n.char", &count_hh, sizeof count_hh);
    fill(&count_b, sizeof count_b, 0xa5);
    result("sprintf.n.positional", sprintf(global_buf, "%2$s %3$.1f%1$n", &count_b, name, 9.75));
    check("n.positional", &count_b, sizeof count_b);
    fill(&count_printf, sizeof count_printf, 0xa5);
    printf("printf with a count:%n\n", &count_printf);
    result("printf.n", count_printf);
    check("printf.n", &count_printf, sizeof count_printf);

    struct tm tm = {.tm_year = 124, .tm_mon = 1, .tm_mday = 29, .tm_hour = 13, .tm_min = 5};
    fill(heap, 128, 0xa5);
    result("strftime", strftime(heap, 128, "%Y-%m-%d %H:%M %A", &tm));
    check("strftime", heap, 128);
    fill(global_buf, sizeof global_buf, 0xa5);
    result("strftime.too_small", strftime(global_buf, 5, "%Y-%m-%d", &tm));
    check("strftime.too_small?", global_buf, 5);
    fill(global_buf, sizeof global_buf, 0xa5);
    result("strfromd", strfromd(global_buf, sizeof global_buf, "%.5g", 3.14159265));
    check("strfromd", global_buf, sizeof global_buf);

    errno = 0;
    wchar_t unencodable[] = {0x1234, 0};
    fill(global_buf, sizeof global_buf, 0xa5);
    long bad = sprintf(global_buf, "abc%lsdef", unencodable);
    failure("sprintf.eilseq", bad, errno);
    check("sprintf.eilseq", global_buf, sizeof global_buf);

    free(asprintf_result);
    free(vasprintf_result);
    finish();
    return 0;
}
