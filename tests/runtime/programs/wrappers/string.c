/* String and memory copies that stay libc calls: built with -fno-builtin (otherwise the compiler turns
 * most of them into intrinsics, which the pass mirrors itself), plus the fortify __*_chk forms. */
#define _GNU_SOURCE
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "wrap_check.h"

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
int __xpg_strerror_r(int error, char *buf, size_t n);

static char global_buf[96];
static const char source[] = "a source string of moderate length";
static char *save, *cursor;

#define G global_buf, sizeof global_buf
#define H heap, 96

int main(void)
{
    char *heap = malloc(96);

    fill(G, 0xa5); result("memcpy", memcpy(global_buf, source, 20) == global_buf); check("memcpy", G);
    fill(H, 0xa5); memcpy(heap, source, 30);
    result("memmove", memmove(heap + 3, heap, 25) == heap + 3); check("memmove", H);
    fill(G, 0xa5); result("mempcpy", (char *)mempcpy(global_buf, source, 11) - global_buf); check("mempcpy", G);
    fill(H, 0xa5); result("memset", memset(heap, 0x3c, 40) == heap); check("memset", H);
    fill(G, 0xa5); bzero(global_buf, 33); check("bzero", G);
    fill(H, 0xa5); explicit_bzero(heap, 17); check("explicit_bzero", H);
    fill(G, 0xa5); result("memccpy", (char *)memccpy(global_buf, source, 'm', 40) - global_buf); check("memccpy", G);
    fill(G, 0xa5); result("memccpy.notfound", memccpy(global_buf, source, '#', 12) == NULL); check("memccpy.notfound", G);

    fill(G, 0xa5); result("__memcpy_chk", __memcpy_chk(global_buf, source, 21, sizeof global_buf) == global_buf); check("__memcpy_chk", G);
    fill(H, 0xa5); result("__memmove_chk", __memmove_chk(heap, source + 2, 22, 96) == heap); check("__memmove_chk", H);
    fill(H, 0xa5); result("__mempcpy_chk", (char *)__mempcpy_chk(heap, source, 9, 96) - heap); check("__mempcpy_chk", H);
    fill(G, 0xa5); result("__memset_chk", __memset_chk(global_buf, 7, 50, sizeof global_buf) == global_buf); check("__memset_chk", G);
    fill(H, 0xa5); __explicit_bzero_chk(heap, 19, 96); check("__explicit_bzero_chk", H);

    fill(G, 0xa5); result("strcpy", strcpy(global_buf, source) == global_buf); check("strcpy", G);
    fill(H, 0xa5); result("stpcpy", stpcpy(heap, source) - heap); check("stpcpy", H);
    fill(G, 0xa5); result("strncpy", strncpy(global_buf, "short", 30) == global_buf); check("strncpy.padded", G);
    fill(H, 0xa5); result("stpncpy", stpncpy(heap, source, 12) - heap); check("stpncpy", H);
    fill(G, 0xa5); strcpy(global_buf, "head:"); mirror_sync(global_buf, sizeof global_buf);
    result("strcat", strcat(global_buf, source) == global_buf); check("strcat", G);
    fill(H, 0xa5); strcpy(heap, "head:"); mirror_sync(heap, 96);
    result("strncat", strncat(heap, source, 8) == heap); check("strncat", H);

    fill(G, 0xa5); result("__strcpy_chk", __strcpy_chk(global_buf, source, sizeof global_buf) == global_buf); check("__strcpy_chk", G);
    fill(H, 0xa5); result("__stpcpy_chk", __stpcpy_chk(heap, source, 96) - heap); check("__stpcpy_chk", H);
    fill(G, 0xa5); result("__strncpy_chk", __strncpy_chk(global_buf, "tiny", 24, sizeof global_buf) == global_buf); check("__strncpy_chk", G);
    fill(H, 0xa5); result("__stpncpy_chk", __stpncpy_chk(heap, "tiny", 24, 96) - heap); check("__stpncpy_chk", H);
    fill(G, 0xa5); strcpy(global_buf, "x"); mirror_sync(global_buf, sizeof global_buf);
    result("__strcat_chk", __strcat_chk(global_buf, source, sizeof global_buf) == global_buf); check("__strcat_chk", G);
    fill(H, 0xa5); strcpy(heap, "y"); mirror_sync(heap, 96);
    result("__strncat_chk", __strncat_chk(heap, source, 5, 96) == heap); check("__strncat_chk", H);

    fill(G, 0xa5); result("strxfrm", strxfrm(global_buf, source, sizeof global_buf)); check("strxfrm", G);
    fill(H, 0xa5); result("strerror_r", strerror_r(12345, heap, 96) == heap); check("strerror_r", H);
    fill(G, 0xa5); result("__xpg_strerror_r", __xpg_strerror_r(2, global_buf, sizeof global_buf)); check("__xpg_strerror_r", G);

    /* In-place edits: tokenizers cut the string (and store where to go on), frob/fry/swab rewrite it. */
    fill(G, 0xa5); strcpy(global_buf, "alpha,beta;gamma"); mirror_sync(global_buf, sizeof global_buf);
    result("strtok", strtok(global_buf, ",;") - global_buf); check("strtok", G);
    result("strtok.next", strtok(NULL, ",;") - global_buf); check("strtok.next", G);
    fill(H, 0xa5); strcpy(heap, "one two three"); mirror_sync(heap, 96);
    save = (char *)1;
    result("strtok_r", strtok_r(heap, " ", &save) - heap); check("strtok_r", H); check("strtok_r.save", &save, sizeof save);
    fill(G, 0xa5); strcpy(global_buf, "key=value"); mirror_sync(global_buf, sizeof global_buf);
    cursor = global_buf;
    result("strsep", strsep(&cursor, "=") - global_buf); check("strsep", G); check("strsep.cursor", &cursor, sizeof cursor);
    fill(H, 0xa5); result("memfrob", memfrob(heap, 20) == heap); check("memfrob", H);
    fill(G, 0xa5); strcpy(global_buf, "abcdefghijklmnopqrstuvwxyz"); mirror_sync(global_buf, sizeof global_buf);
    result("strfry", strfry(global_buf) == global_buf); check("strfry", G);
    fill(H, 0xa5); swab(source, heap, 10); check("swab", H);

    errno = 0;
    long bad = __xpg_strerror_r(2, global_buf, 3);
    failure("__xpg_strerror_r.erange", bad, errno);

    finish();
    return 0;
}
