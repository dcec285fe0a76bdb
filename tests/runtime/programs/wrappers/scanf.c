/* The scanf family: every conversion kind, modifiers, %n, suppression, positional arguments, %m
 * allocation, partial matches, wide strings; from a string, a file and stdin; variadic and v* forms,
 * and the pre-C99 entry point whose %as allocates. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <wchar.h>

#include "wrap_check.h"

/* The plain symbol (GNU semantics: %as allocates); <stdio.h> would redirect to __isoc99_sscanf. */
extern int gnu_sscanf(const char *s, const char *format, ...) __asm__("sscanf");

static int i_d, i_i, i_x;
static signed char i_hh;
static short i_h;
static long i_l;
static long long i_ll;
static unsigned i_u, i_o;
static intmax_t i_j;
static size_t i_z;
static ptrdiff_t i_t;
static float f_f, f_a;
static double f_lf, f_e;
static long double f_Lf;
static char word[32], set[32], chars[8], one_char;
static void *pointer;
static int consumed, consumed2;
static char *allocated, *allocated_set, *allocated_chars, *gnu_allocated;
static int skipped_after, positional_int;
static char positional_word[16];
static int partial[3];
static wchar_t wide_word[16], wide_chars[4];
static int file_values[2], stdin_values[2], v_values[3];
static char bracket[16];
static int after_bracket, percent_a, percent_b;

static int my_vsscanf(const char *s, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int r = vsscanf(s, format, args);
    va_end(args);
    return r;
}

static int my_vfscanf(FILE *f, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int r = vfscanf(f, format, args);
    va_end(args);
    return r;
}

static int my_vscanf(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int r = vscanf(format, args);
    va_end(args);
    return r;
}

#define FILL(object) fill(&(object), sizeof(object), 0xa5)

int main(void)
{
    FILL(i_d); FILL(i_hh); FILL(i_h); FILL(i_l); FILL(i_ll); FILL(i_u); FILL(i_x); FILL(i_o); FILL(i_i);
    FILL(i_j); FILL(i_z); FILL(i_t);
    result("integers", sscanf("-12 34 -5 1234567890123 -9876543210987 42 ff 17 0x1f 77 88 -99",
                                "%d %hhd %hd %ld %lld %u %x %o %i %jd %zu %td",
                                &i_d, &i_hh, &i_h, &i_l, &i_ll, &i_u, &i_x, &i_o, &i_i, &i_j, &i_z, &i_t));
    check("int", &i_d, sizeof i_d); check("hhd", &i_hh, sizeof i_hh); check("hd", &i_h, sizeof i_h);
    check("ld", &i_l, sizeof i_l); check("lld", &i_ll, sizeof i_ll); check("u", &i_u, sizeof i_u);
    check("x", &i_x, sizeof i_x); check("o", &i_o, sizeof i_o); check("i", &i_i, sizeof i_i);
    check("jd", &i_j, sizeof i_j); check("zu", &i_z, sizeof i_z); check("td", &i_t, sizeof i_t);

    FILL(f_f); FILL(f_lf); FILL(f_Lf); FILL(f_e); FILL(f_a);
    result("floats", sscanf("1.5 2.25 3.125 4e3 0x1p4", "%f %lf %Lf %le %a", &f_f, &f_lf, &f_Lf, &f_e, &f_a));
    check("f", &f_f, sizeof f_f); check("lf", &f_lf, sizeof f_lf); check("Lf", &f_Lf, 10);
    check("le", &f_e, sizeof f_e); check("a", &f_a, sizeof f_a);

    FILL(word); FILL(set); FILL(chars); FILL(one_char); FILL(pointer); FILL(consumed);
    result("strings", sscanf("hello abcxyz! 12345Z 0x1234abcd rest", "%31s %31[a-z]! %5c%c %p%n",
                               word, set, chars, &one_char, &pointer, &consumed));
    check("s", word, strlen(word) + 1); check("[", set, strlen(set) + 1); check("c5", chars, 5);
    check("c", &one_char, 1); check("p", &pointer, sizeof pointer); check("n", &consumed, sizeof consumed);

    allocated = allocated_set = allocated_chars = (char *)1;
    result("m", sscanf("allocated 2024 xyz", "%ms %m[0-9] %3mc", &allocated, &allocated_set, &allocated_chars));
    check("m.slot", &allocated, sizeof allocated); check("m.string", allocated, strlen(allocated) + 1);
    check("m[.slot", &allocated_set, sizeof allocated_set);
    check("m[.string", allocated_set, strlen(allocated_set) + 1);
    check("mc.slot", &allocated_chars, sizeof allocated_chars); check("mc.chars", allocated_chars, 3);
    gnu_allocated = (char *)1;
    result("gnu_as", gnu_sscanf("gnu-allocation", "%as", &gnu_allocated));
    check("gnu_as.slot", &gnu_allocated, sizeof gnu_allocated);
    check("gnu_as.string", gnu_allocated, strlen(gnu_allocated) + 1);

    FILL(skipped_after); FILL(consumed2);
    result("suppressed", sscanf("111 222", "%*d %d%n", &skipped_after, &consumed2));
    check("suppressed", &skipped_after, sizeof skipped_after); check("n.after", &consumed2, sizeof consumed2);
    FILL(positional_int); FILL(positional_word);
    result("positional", sscanf("word 321", "%2$15s %1$d", &positional_int, positional_word));
    check("positional.int", &positional_int, sizeof positional_int);
    check("positional.word", positional_word, strlen(positional_word) + 1);

    FILL(partial);
    result("partial", sscanf("7 x 9", "%d %d %d", &partial[0], &partial[1], &partial[2]));
    check("partial.assigned", &partial[0], sizeof partial[0]);
    check("partial.unassigned?", &partial[1], 2 * sizeof partial[1]);
    result("eof", sscanf("", "%d", &partial[1]));

    /* A set that starts with ']', a literal %, and a suppressed set. */
    FILL(bracket); FILL(after_bracket);
    result("bracket", sscanf("]]a],42", "%15[]a],%d", bracket, &after_bracket));
    check("bracket", bracket, strlen(bracket) + 1);
    check("bracket.after", &after_bracket, sizeof after_bracket);
    FILL(percent_a); FILL(percent_b);
    result("percent", sscanf("5% skip,6", "%d%% %*[^,],%d", &percent_a, &percent_b));
    check("percent.a", &percent_a, sizeof percent_a);
    check("percent.b", &percent_b, sizeof percent_b);

    FILL(wide_word); FILL(wide_chars);
    result("wide", sscanf("wide ab", "%15ls %2lc", wide_word, wide_chars));
    check("ls", wide_word, (wcslen(wide_word) + 1) * sizeof(wchar_t));
    check("lc", wide_chars, 2 * sizeof(wchar_t));

    FILL(v_values);
    result("vsscanf", my_vsscanf("5 6 7", "%d %d %d", &v_values[0], &v_values[1], &v_values[2]));
    check("vsscanf", v_values, sizeof v_values);

    char path[] = "/tmp/mirror-wrap-scanf-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, "100 200 300 400", 15) != 15)
        DIE("temp file");
    unlink(path);
    FILE *f = fdopen(fd, "r");
    rewind(f);
    FILL(file_values);
    result("fscanf", fscanf(f, "%d %d", &file_values[0], &file_values[1]));
    check("fscanf", file_values, sizeof file_values);
    FILL(file_values);
    result("vfscanf", my_vfscanf(f, "%d %d", &file_values[0], &file_values[1]));
    check("vfscanf", file_values, sizeof file_values);
    fclose(f);

    /* stdin: the test feeds "31 41 59 26". */
    FILL(stdin_values);
    result("scanf", scanf("%d %d", &stdin_values[0], &stdin_values[1]));
    check("scanf", stdin_values, sizeof stdin_values);
    FILL(stdin_values);
    result("vscanf", my_vscanf("%d %d", &stdin_values[0], &stdin_values[1]));
    check("vscanf", stdin_values, sizeof stdin_values);

    free(allocated);
    free(allocated_set);
    free(allocated_chars);
    free(gnu_allocated);
    finish();
    return 0;
}
