/* string.c — string and memory copies that stay libc calls.
 *
 * The compiler turns most memcpy/memset/strcpy calls into LLVM intrinsics, which the mirror pass
 * mirrors itself. What reaches libc as a call — under -fno-builtin or -ffreestanding, through a
 * function pointer, at -O0 for the str* functions, and the _FORTIFY_SOURCE __*_chk forms — is routed
 * here. The copy is made exactly as the caller asked; then the bytes libc wrote are copied to the mirror
 * (memset writes the mirror directly, with the same value). strncpy and stpncpy always write n bytes
 * (they pad with NULs); strcat/strncat write from the old end of the destination; memccpy up to the
 * stop character. The __*_chk forms check the destination size, then behave the same. strtok, strtok_r
 * and strsep cut the caller's string in place (one NUL where the token ends) and strtok_r/strsep also
 * store the continuation in the caller's pointer; memfrob, strfry and swab rewrite a buffer in place.
 */
#define _GNU_SOURCE
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "libc/wrap.h"

void *__memcpy_chk(void *dst, const void *src, size_t n, size_t dstlen);
void *__memmove_chk(void *dst, const void *src, size_t n, size_t dstlen);
void *__mempcpy_chk(void *dst, const void *src, size_t n, size_t dstlen);
void *__memset_chk(void *dst, int c, size_t n, size_t dstlen);
void __explicit_bzero_chk(void *dst, size_t n, size_t dstlen);
char *__strcpy_chk(char *dst, const char *src, size_t dstlen);
char *__stpcpy_chk(char *dst, const char *src, size_t dstlen);
char *__strncpy_chk(char *dst, const char *src, size_t n, size_t dstlen);
char *__stpncpy_chk(char *dst, const char *src, size_t n, size_t dstlen);
char *__strcat_chk(char *dst, const char *src, size_t dstlen);
char *__strncat_chk(char *dst, const char *src, size_t n, size_t dstlen);

/* memset of the mirror with the same byte: no need to read back what libc wrote. */
static void set_mirror(const void *dst, int c, size_t n)
{
    if (_mirror_has_mirror(dst, n))
        memset(_mirror_of(dst), c, n);
}

/* ---- Memory -------------------------------------------------------------------------------------------- */

MIRROR_WRAPPER void *__mirror_memcpy(void *dst, const void *src, size_t n)
{
    void *result = memcpy(dst, src, n);
    _mirror_wrote(dst, n);
    return result;
}

MIRROR_WRAPPER void *__mirror_memmove(void *dst, const void *src, size_t n)
{
    void *result = memmove(dst, src, n);
    _mirror_wrote(dst, n);
    return result;
}

MIRROR_WRAPPER void *__mirror_mempcpy(void *dst, const void *src, size_t n)
{
    void *result = mempcpy(dst, src, n);
    _mirror_wrote(dst, n);
    return result;
}

MIRROR_WRAPPER void *__mirror_memset(void *dst, int c, size_t n)
{
    void *result = memset(dst, c, n);
    set_mirror(dst, c, n);
    return result;
}

MIRROR_WRAPPER void __mirror_bzero(void *dst, size_t n)
{
    bzero(dst, n);
    set_mirror(dst, 0, n);
}

MIRROR_WRAPPER void __mirror_explicit_bzero(void *dst, size_t n)
{
    explicit_bzero(dst, n);
    set_mirror(dst, 0, n);
}

MIRROR_WRAPPER void *__mirror___memcpy_chk(void *dst, const void *src, size_t n, size_t dstlen)
{
    void *result = __memcpy_chk(dst, src, n, dstlen);
    _mirror_wrote(dst, n);
    return result;
}

MIRROR_WRAPPER void *__mirror___memmove_chk(void *dst, const void *src, size_t n, size_t dstlen)
{
    void *result = __memmove_chk(dst, src, n, dstlen);
    _mirror_wrote(dst, n);
    return result;
}

MIRROR_WRAPPER void *__mirror___mempcpy_chk(void *dst, const void *src, size_t n, size_t dstlen)
{
    void *result = __mempcpy_chk(dst, src, n, dstlen);
    _mirror_wrote(dst, n);
    return result;
}

MIRROR_WRAPPER void *__mirror___memset_chk(void *dst, int c, size_t n, size_t dstlen)
{
    void *result = __memset_chk(dst, c, n, dstlen);
    set_mirror(dst, c, n);
    return result;
}

MIRROR_WRAPPER void __mirror___explicit_bzero_chk(void *dst, size_t n, size_t dstlen)
{
    __explicit_bzero_chk(dst, n, dstlen);
    set_mirror(dst, 0, n);
}

MIRROR_WRAPPER void *__mirror_memccpy(void *dst, const void *src, int c, size_t n)
{
    void *result = memccpy(dst, src, c, n);
    _mirror_wrote(dst, result != NULL ? (size_t)((char *)result - (char *)dst) : n);
    return result;
}

/* ---- Strings ------------------------------------------------------------------------------------------- */

MIRROR_WRAPPER char *__mirror_strcpy(char *dst, const char *src)
{
    char *result = strcpy(dst, src);
    _mirror_wrote_string(dst);
    return result;
}

MIRROR_WRAPPER char *__mirror_stpcpy(char *dst, const char *src)
{
    char *end = stpcpy(dst, src);
    _mirror_wrote(dst, (size_t)(end - dst) + 1);
    return end;
}

MIRROR_WRAPPER char *__mirror_strncpy(char *dst, const char *src, size_t n)
{
    char *result = strncpy(dst, src, n);
    _mirror_wrote(dst, n);
    return result;
}

MIRROR_WRAPPER char *__mirror_stpncpy(char *dst, const char *src, size_t n)
{
    char *result = stpncpy(dst, src, n);
    _mirror_wrote(dst, n);
    return result;
}

MIRROR_WRAPPER char *__mirror_strcat(char *dst, const char *src)
{
    size_t old = strlen(dst);
    char *result = strcat(dst, src);
    _mirror_wrote_string(dst + old);
    return result;
}

MIRROR_WRAPPER char *__mirror_strncat(char *dst, const char *src, size_t n)
{
    size_t old = strlen(dst);
    char *result = strncat(dst, src, n);
    _mirror_wrote_string(dst + old);
    return result;
}

MIRROR_WRAPPER char *__mirror___strcpy_chk(char *dst, const char *src, size_t dstlen)
{
    char *result = __strcpy_chk(dst, src, dstlen);
    _mirror_wrote_string(dst);
    return result;
}

MIRROR_WRAPPER char *__mirror___stpcpy_chk(char *dst, const char *src, size_t dstlen)
{
    char *end = __stpcpy_chk(dst, src, dstlen);
    _mirror_wrote(dst, (size_t)(end - dst) + 1);
    return end;
}

MIRROR_WRAPPER char *__mirror___strncpy_chk(char *dst, const char *src, size_t n, size_t dstlen)
{
    char *result = __strncpy_chk(dst, src, n, dstlen);
    _mirror_wrote(dst, n);
    return result;
}

MIRROR_WRAPPER char *__mirror___stpncpy_chk(char *dst, const char *src, size_t n, size_t dstlen)
{
    char *result = __stpncpy_chk(dst, src, n, dstlen);
    _mirror_wrote(dst, n);
    return result;
}

MIRROR_WRAPPER char *__mirror___strcat_chk(char *dst, const char *src, size_t dstlen)
{
    size_t old = strlen(dst);
    char *result = __strcat_chk(dst, src, dstlen);
    _mirror_wrote_string(dst + old);
    return result;
}

MIRROR_WRAPPER char *__mirror___strncat_chk(char *dst, const char *src, size_t n, size_t dstlen)
{
    size_t old = strlen(dst);
    char *result = __strncat_chk(dst, src, n, dstlen);
    _mirror_wrote_string(dst + old);
    return result;
}

MIRROR_WRAPPER size_t __mirror_strxfrm(char *dst, const char *src, size_t n)
{
    size_t result = strxfrm(dst, src, n);
    /* The transformed string and its terminator, when they fit; otherwise the contents are unspecified. */
    _mirror_wrote(dst, result < n ? result + 1 : n);
    return result;
}

/* GNU strerror_r: returns either a static string (buf untouched) or buf, filled and terminated. */
MIRROR_WRAPPER char *__mirror_strerror_r(int error, char *buf, size_t n)
{
    char *result = strerror_r(error, buf, n);
    if (result == buf)
        _mirror_wrote_string_within(buf, n);
    return result;
}

/* XSI strerror_r (what <string.h> names strerror_r without _GNU_SOURCE): fills buf, cut to fit. */
int __xpg_strerror_r(int error, char *buf, size_t n);

MIRROR_WRAPPER int __mirror___xpg_strerror_r(int error, char *buf, size_t n)
{
    int result = __xpg_strerror_r(error, buf, n);
    _mirror_wrote_string_within(buf, n);
    return result;
}

/* ---- In-place edits ------------------------------------------------------------------------------------ */

/* The tokenizers write one NUL at the end of the token they return (or none, at the string's end). */
static void wrote_token_end(const char *token)
{
    if (token != NULL)
        _mirror_wrote(token + strlen(token), 1);
}

MIRROR_WRAPPER char *__mirror_strtok(char *s, const char *delim)
{
    char *token = strtok(s, delim);
    wrote_token_end(token);
    return token;
}

MIRROR_WRAPPER char *__mirror_strtok_r(char *s, const char *delim, char **save)
{
    char *token = strtok_r(s, delim, save);
    wrote_token_end(token);
    _mirror_wrote(save, sizeof *save);
    return token;
}

MIRROR_WRAPPER char *__mirror_strsep(char **stringp, const char *delim)
{
    char *token = strsep(stringp, delim);
    wrote_token_end(token);
    _mirror_wrote(stringp, sizeof *stringp);
    return token;
}

MIRROR_WRAPPER void *__mirror_memfrob(void *s, size_t n)
{
    void *result = memfrob(s, n);
    _mirror_wrote(s, n);
    return result;
}

MIRROR_WRAPPER char *__mirror_strfry(char *s)
{
    char *result = strfry(s);
    _mirror_wrote_string(s);
    return result;
}

MIRROR_WRAPPER void __mirror_swab(const void *from, void *to, ssize_t n)
{
    swab(from, to, n);
    if (n > 1)
        _mirror_wrote(to, (size_t)n & ~(size_t)1);
}
