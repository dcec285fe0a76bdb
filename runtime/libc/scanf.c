/* scanf.c — the scanf family: which pointer arguments libc assigned, and how many bytes.
 *
 * After libc returns N (the number of assigned conversions), the wrapper walks the format again with a
 * copy of the arguments: the first N assigning conversions were written — integers and floats by
 * their length modifier, %p a pointer, %s and %[ the string and its terminator, %c its width in bytes
 * (l: wide characters), %n a count (synced whenever libc may have reached it, i.e. before the N+1-th
 * assigning conversion). %*... assigns nothing and takes no argument; %n$ takes argument n. With the
 * allocation modifier %m (and, in the pre-C99 entry points, GNU's %as/%aS/%a[) libc writes a pointer
 * to a block of its own malloc: the wrapper moves the block into the mirrored heap (so the string is
 * protected too) and mirrors the pointer slot; on failure libc may set such a slot to NULL, which is
 * mirrored as well. Variadic entry points forward to the v* wrappers. Nothing is allocated.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <wchar.h>

#include "libc/wrap.h"

/* The real symbols, named explicitly: <stdio.h> redirects the plain names to the __isoc99_ ones. */
extern int libc_vsscanf(const char *s, const char *format, va_list args) __asm__("vsscanf");
extern int libc_vfscanf(FILE *stream, const char *format, va_list args) __asm__("vfscanf");
extern int libc_isoc99_vsscanf(const char *s, const char *format, va_list args) __asm__("__isoc99_vsscanf");
extern int libc_isoc99_vfscanf(FILE *stream, const char *format, va_list args) __asm__("__isoc99_vfscanf");

/* ---- The format -------------------------------------------------------------------------------------- */

enum scan_kind {
    SCAN_OBJECT, /* a fixed-size object: integer, float, pointer */
    SCAN_COUNT,  /* %n: a fixed-size integer, assigned without counting */
    SCAN_STRING, /* %s, %[: a terminated string of char or wchar_t */
    SCAN_CHARS,  /* %c: `width` chars or wchar_ts, no terminator */
};

struct scan_directive {
    enum scan_kind kind;
    bool suppressed; /* %*: no argument, nothing assigned */
    bool allocates;  /* %m: the argument is a char ** (or wchar_t **) that receives a malloc'd block */
    bool wide;       /* l with s, c, [ (or %S, %C): wchar_t */
    int position;    /* n of %n$, 0 for the next argument */
    size_t size;     /* SCAN_OBJECT, SCAN_COUNT: bytes of the object */
    size_t width;    /* SCAN_CHARS: characters (default 1) */
};

enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_BIG_L, LEN_WORD };

static size_t integer_size(enum length length)
{
    switch (length) {
    case LEN_HH: return sizeof(char);
    case LEN_H: return sizeof(short);
    case LEN_NONE: return sizeof(int);
    default: return sizeof(long long); /* l, ll, L, q, j, z, t: all 8 bytes on x86-64 */
    }
}

static size_t float_size(enum length length)
{
    switch (length) {
    case LEN_NONE: return sizeof(float);
    case LEN_L: return sizeof(double);
    default: return sizeof(long double); /* L, ll, q (glibc reads ll and q as L here) */
    }
}

static size_t parse_number(const char **p)
{
    size_t value = 0;
    while (**p >= '0' && **p <= '9')
        value = value * 10 + (size_t)(*(*p)++ - '0');
    return value;
}

/* Parse the directive after a '%' at *p; advance *p past it. Returns false for "%%" and for a format
 * that ends or is malformed (libc stops there too, so nothing after it was assigned). */
static bool parse_scan_directive(const char **p, bool gnu_a, struct scan_directive *d, bool *stop)
{
    const char *c = *p;
    *d = (struct scan_directive){.kind = SCAN_OBJECT};
    *stop = false;
    if (*c == '%') {
        *p = c + 1;
        return false;
    }
    const char *digits = c;
    size_t number = parse_number(&c);
    if (*c == '$' && c != digits) {
        d->position = (int)number;
        c++;
    } else {
        c = digits;
    }
    for (;; c++) {
        if (*c == '*')
            d->suppressed = true;
        else if (*c != '\'' && *c != 'I')
            break;
    }
    size_t width = parse_number(&c);
    if (*c == 'm') {
        d->allocates = true;
        c++;
    } else if (gnu_a && *c == 'a' && (c[1] == 's' || c[1] == 'S' || c[1] == '[')) {
        d->allocates = true; /* GNU's pre-C99 meaning of %as */
        c++;
    }
    enum length length = LEN_NONE;
    switch (*c) {
    case 'h':
        length = c[1] == 'h' ? LEN_HH : LEN_H;
        c += c[1] == 'h' ? 2 : 1;
        break;
    case 'l':
        length = c[1] == 'l' ? LEN_LL : LEN_L;
        c += c[1] == 'l' ? 2 : 1;
        break;
    case 'L':
    case 'q':
        length = LEN_BIG_L;
        c++;
        break;
    case 'j':
    case 'z':
    case 'Z':
    case 't':
        length = LEN_WORD;
        c++;
        break;
    }
    switch (*c) {
    case 'd': case 'i': case 'u': case 'o': case 'x': case 'X':
        d->size = integer_size(length);
        break;
    case 'n':
        d->kind = SCAN_COUNT;
        d->size = integer_size(length);
        break;
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'a': case 'A':
        d->size = float_size(length);
        break;
    case 'p':
        d->size = sizeof(void *);
        break;
    case 'S':
        length = LEN_L;
        /* fall through */
    case 's':
        d->kind = SCAN_STRING;
        d->wide = length == LEN_L;
        break;
    case 'C':
        length = LEN_L;
        /* fall through */
    case 'c':
        d->kind = SCAN_CHARS;
        d->wide = length == LEN_L;
        d->width = width != 0 ? width : 1;
        break;
    case '[':
        d->kind = SCAN_STRING;
        d->wide = length == LEN_L;
        c++;
        if (*c == '^')
            c++;
        if (*c == ']')
            c++; /* a ']' first is part of the set */
        while (*c != '\0' && *c != ']')
            c++;
        if (*c == '\0') {
            *stop = true;
            return false;
        }
        break;
    default:
        *stop = true;
        return false;
    }
    *p = c + 1;
    return true;
}

/* ---- What was assigned ------------------------------------------------------------------------------- */

/* The arguments, walked in order (a struct, so the va_list can be advanced through a pointer). */
struct scan_arguments {
    va_list next;  /* the next sequential argument */
    va_list first; /* for %n$: argument n is found from here */
};

static void *argument_at(struct scan_arguments *args, int position)
{
    va_list walk;
    va_copy(walk, args->first);
    void *pointer = NULL;
    for (int i = 0; i < position; i++)
        pointer = va_arg(walk, void *);
    va_end(walk);
    return pointer;
}

static size_t string_bytes(const void *s, bool wide)
{
    return wide ? (wcslen(s) + 1) * sizeof(wchar_t) : strlen(s) + 1;
}

static size_t element_bytes(const struct scan_directive *d)
{
    return d->width * (d->wide ? sizeof(wchar_t) : sizeof(char));
}

/* Conversion directive d was assigned through pointer `target`. */
static void wrote_assigned(const struct scan_directive *d, void *target)
{
    if (target == NULL)
        return;
    if (d->allocates) {
        void **slot = target;
        if (*slot != NULL) {
            size_t bytes = d->kind == SCAN_CHARS ? element_bytes(d) : string_bytes(*slot, d->wide);
            *slot = _mirror_rehome(*slot, bytes);
        }
        _mirror_wrote(slot, sizeof *slot);
        return;
    }
    switch (d->kind) {
    case SCAN_OBJECT:
    case SCAN_COUNT:
        _mirror_wrote(target, d->size);
        break;
    case SCAN_STRING:
        _mirror_wrote(target, string_bytes(target, d->wide));
        break;
    case SCAN_CHARS:
        _mirror_wrote(target, element_bytes(d));
        break;
    }
}

/* libc returned `result` for this format and these arguments: mirror what it assigned. */
static void wrote_scanned(const char *format, va_list args, int result, bool gnu_a)
{
    bool at_eof = result == EOF;
    size_t assigned = result > 0 ? (size_t)result : 0;
    struct scan_arguments walk;
    va_copy(walk.next, args);
    va_copy(walk.first, args);
    size_t conversions = 0; /* assigning conversions seen so far */
    for (const char *p = format; *p != '\0';) {
        if (*p++ != '%')
            continue;
        struct scan_directive d;
        bool stop;
        if (!parse_scan_directive(&p, gnu_a, &d, &stop)) {
            if (stop)
                break;
            continue;
        }
        if (d.suppressed)
            continue;
        void *target = d.position > 0 ? argument_at(&walk, d.position) : va_arg(walk.next, void *);
        if (d.kind == SCAN_COUNT) {
            /* Reached iff libc got this far: certainly when all earlier conversions were assigned. */
            if (conversions <= assigned)
                wrote_assigned(&d, target);
            continue;
        }
        size_t index = conversions++;
        if (index < assigned) {
            wrote_assigned(&d, target);
        } else if (d.allocates && (index == assigned || at_eof)) {
            /* The conversion that failed, or any on EOF: libc may have reset the slot to NULL. */
            if (target != NULL)
                _mirror_wrote(target, sizeof(void *));
        } else if (!at_eof) {
            break;
        }
    }
    va_end(walk.next);
    va_end(walk.first);
}

/* ---- Entry points ------------------------------------------------------------------------------------ */

#define SCAN_RETURN(call, format, args, gnu_a)                                                            \
    do {                                                                                                  \
        va_list copy_;                                                                                    \
        va_copy(copy_, args);                                                                             \
        int result_ = (call);                                                                             \
        int saved_ = errno;                                                                               \
        wrote_scanned(format, copy_, result_, gnu_a);                                                     \
        va_end(copy_);                                                                                    \
        errno = saved_;                                                                                   \
        return result_;                                                                                   \
    } while (0)

MIRROR_WRAPPER int __mirror___isoc99_vsscanf(const char *s, const char *format, va_list args)
{
    SCAN_RETURN(libc_isoc99_vsscanf(s, format, args), format, args, false);
}

MIRROR_WRAPPER int __mirror___isoc99_vfscanf(FILE *stream, const char *format, va_list args)
{
    SCAN_RETURN(libc_isoc99_vfscanf(stream, format, args), format, args, false);
}

MIRROR_WRAPPER int __mirror___isoc99_vscanf(const char *format, va_list args)
{
    SCAN_RETURN(libc_isoc99_vfscanf(stdin, format, args), format, args, false);
}

MIRROR_WRAPPER int __mirror_vsscanf(const char *s, const char *format, va_list args)
{
    SCAN_RETURN(libc_vsscanf(s, format, args), format, args, true);
}

MIRROR_WRAPPER int __mirror_vfscanf(FILE *stream, const char *format, va_list args)
{
    SCAN_RETURN(libc_vfscanf(stream, format, args), format, args, true);
}

MIRROR_WRAPPER int __mirror_vscanf(const char *format, va_list args)
{
    SCAN_RETURN(libc_vfscanf(stdin, format, args), format, args, true);
}


MIRROR_WRAPPER int __mirror___isoc99_sscanf(const char *s, const char *format, ...)
{
    FORWARD_VARIADIC(__mirror___isoc99_vsscanf, format, s, format);
}

MIRROR_WRAPPER int __mirror___isoc99_fscanf(FILE *stream, const char *format, ...)
{
    FORWARD_VARIADIC(__mirror___isoc99_vfscanf, format, stream, format);
}

MIRROR_WRAPPER int __mirror___isoc99_scanf(const char *format, ...)
{
    FORWARD_VARIADIC(__mirror___isoc99_vscanf, format, format);
}

MIRROR_WRAPPER int __mirror_sscanf(const char *s, const char *format, ...)
{
    FORWARD_VARIADIC(__mirror_vsscanf, format, s, format);
}

MIRROR_WRAPPER int __mirror_fscanf(FILE *stream, const char *format, ...)
{
    FORWARD_VARIADIC(__mirror_vfscanf, format, stream, format);
}

MIRROR_WRAPPER int __mirror_scanf(const char *format, ...)
{
    FORWARD_VARIADIC(__mirror_vscanf, format, format);
}
