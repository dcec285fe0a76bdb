/* stdio.c — stdio input into the caller's memory: fread, fgets, getline/getdelim.
 *
 * fread writes the bytes it read, which may include part of an element it does not count; fgets writes
 * the line and a terminator, and on a read error an unterminated partial line. getdelim is different:
 * glibc grows *lineptr with its own realloc, which must not see a block of the mirrored heap. So the
 * wrapper lets libc read into a block of libc's own, then copies the line into the caller's buffer,
 * growing it with the routed realloc — one extra copy of each line, and the caller's buffer, *lineptr
 * and *n are all mirrored. The FILE objects and their buffers are libc memory and stay unmirrored.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "libc/wrap.h"

size_t __fread_chk(void *ptr, size_t ptrlen, size_t size, size_t n, FILE *stream);
size_t __fread_unlocked_chk(void *ptr, size_t ptrlen, size_t size, size_t n, FILE *stream);
char *__fgets_chk(char *s, size_t size, int n, FILE *stream);
char *__fgets_unlocked_chk(char *s, size_t size, int n, FILE *stream);
ssize_t __getdelim(char **lineptr, size_t *n, int delim, FILE *stream);

/* ---- fread --------------------------------------------------------------------------------------------- */

/* glibc returns whole elements, but the bytes of a partial last element are in the buffer too. */
static size_t wrote_elements(const void *ptr, size_t size, size_t n, size_t got)
{
    size_t elements = got < n ? got + 1 : n;
    size_t bytes;
    if (size != 0 && !__builtin_mul_overflow(size, elements, &bytes))
        _mirror_wrote(ptr, bytes);
    return got;
}

MIRROR_WRAPPER size_t __mirror_fread(void *ptr, size_t size, size_t n, FILE *stream)
{
    return wrote_elements(ptr, size, n, fread(ptr, size, n, stream));
}

MIRROR_WRAPPER size_t __mirror_fread_unlocked(void *ptr, size_t size, size_t n, FILE *stream)
{
    return wrote_elements(ptr, size, n, fread_unlocked(ptr, size, n, stream));
}

MIRROR_WRAPPER size_t __mirror___fread_chk(void *ptr, size_t ptrlen, size_t size, size_t n, FILE *stream)
{
    return wrote_elements(ptr, size, n, __fread_chk(ptr, ptrlen, size, n, stream));
}

MIRROR_WRAPPER size_t __mirror___fread_unlocked_chk(void *ptr, size_t ptrlen, size_t size, size_t n,
                                                    FILE *stream)
{
    return wrote_elements(ptr, size, n, __fread_unlocked_chk(ptr, ptrlen, size, n, stream));
}

/* ---- fgets --------------------------------------------------------------------------------------------- */

/* fgets stops after the first newline, so a line ending in '\n' right before the first NUL is exactly
 * strlen + 1 bytes. Otherwise (end of file without a newline, a full buffer, or NUL bytes inside the
 * line) the written extent is not visible: sync the whole buffer. On failure, libc wrote nothing at end
 * of file, or an unterminated partial line on a read error. */
static char *wrote_line(char *s, int n, FILE *stream, char *result)
{
    if (n <= 0)
        return result;
    if (result == NULL) {
        if (ferror(stream))
            _mirror_wrote(s, (size_t)n);
        return result;
    }
    size_t len = strnlen(s, (size_t)n);
    if (len > 0 && len < (size_t)n && s[len - 1] == '\n')
        _mirror_wrote(s, len + 1);
    else
        _mirror_wrote(s, (size_t)n);
    return result;
}

MIRROR_WRAPPER char *__mirror_fgets(char *s, int n, FILE *stream)
{
    return wrote_line(s, n, stream, fgets(s, n, stream));
}

MIRROR_WRAPPER char *__mirror_fgets_unlocked(char *s, int n, FILE *stream)
{
    return wrote_line(s, n, stream, fgets_unlocked(s, n, stream));
}

MIRROR_WRAPPER char *__mirror___fgets_chk(char *s, size_t size, int n, FILE *stream)
{
    return wrote_line(s, n, stream, __fgets_chk(s, size, n, stream));
}

MIRROR_WRAPPER char *__mirror___fgets_unlocked_chk(char *s, size_t size, int n, FILE *stream)
{
    return wrote_line(s, n, stream, __fgets_unlocked_chk(s, size, n, stream));
}

/* ---- getline / getdelim -------------------------------------------------------------------------------- */

/* glibc's first allocation for an empty buffer. */
#define GETDELIM_INITIAL_SIZE 120

static void set_line_buffer(char **lineptr, size_t *n, char *buffer, size_t capacity)
{
    *lineptr = buffer;
    *n = capacity;
    _mirror_wrote(lineptr, sizeof *lineptr);
    _mirror_wrote(n, sizeof *n);
}

/* The program's line buffer is the routed heap's, or libc's in annotated mode (where free is libc's). */
static void *line_realloc(void *p, size_t n)
{
    return _mirror_state.annotated ? realloc(p, n) : __mirror_realloc(p, n);
}

static ssize_t mirrored_getdelim(char **lineptr, size_t *n, int delim, FILE *stream)
{
    if (lineptr == NULL || n == NULL)
        return __getdelim(lineptr, n, delim, stream); /* EINVAL, as libc decides */
    /* Like glibc, give an empty buffer its first allocation before reading, even at end of file. */
    if (*lineptr == NULL || *n == 0) {
        char *first = line_realloc(*lineptr, GETDELIM_INITIAL_SIZE);
        if (first == NULL) {
            errno = ENOMEM;
            return -1;
        }
        set_line_buffer(lineptr, n, first, GETDELIM_INITIAL_SIZE);
    }
    char *line = NULL;
    size_t line_capacity = 0;
    ssize_t got = __getdelim(&line, &line_capacity, delim, stream);
    int saved = errno;
    if (got >= 0) {
        size_t need = (size_t)got + 1;
        if (*n < need) {
            size_t grown = *n * 2 > need ? *n * 2 : need;
            char *bigger = line_realloc(*lineptr, grown);
            if (bigger == NULL) {
                free(line);
                errno = ENOMEM; /* what glibc reports when it cannot grow the buffer */
                return -1;
            }
            set_line_buffer(lineptr, n, bigger, grown);
        }
        memcpy(*lineptr, line, need);
        _mirror_wrote(*lineptr, need);
    }
    free(line);
    errno = saved;
    return got;
}

MIRROR_WRAPPER ssize_t __mirror_getdelim(char **lineptr, size_t *n, int delim, FILE *stream)
{
    return mirrored_getdelim(lineptr, n, delim, stream);
}

MIRROR_WRAPPER ssize_t __mirror___getdelim(char **lineptr, size_t *n, int delim, FILE *stream)
{
    return mirrored_getdelim(lineptr, n, delim, stream);
}

MIRROR_WRAPPER ssize_t __mirror_getline(char **lineptr, size_t *n, FILE *stream)
{
    return mirrored_getdelim(lineptr, n, '\n', stream);
}
