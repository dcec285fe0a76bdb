/* heap.c — TEMPORARY forwarding shim while the mirrored heap is written; replaced in the next commit. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
void *__mirror_malloc(size_t n) { return malloc(n); }
void __mirror_free(void *p) { free(p); }
void *__mirror_calloc(size_t a, size_t b) { return calloc(a, b); }
void *__mirror_realloc(void *p, size_t n) { return realloc(p, n); }
void *__mirror_reallocarray(void *p, size_t a, size_t b) { return reallocarray(p, a, b); }
int __mirror_posix_memalign(void **r, size_t a, size_t n) { return posix_memalign(r, a, n); }
void *__mirror_aligned_alloc(size_t a, size_t n) { return aligned_alloc(a, n); }
void *__mirror_memalign(size_t a, size_t n) { return memalign(a, n); }
void *__mirror_valloc(size_t n) { return valloc(n); }
void *__mirror_pvalloc(size_t n) { return pvalloc(n); }
size_t __mirror_malloc_usable_size(void *p) { return malloc_usable_size(p); }
char *__mirror_strdup(const char *s) { return strdup(s); }
char *__mirror_strndup(const char *s, size_t n) { return strndup(s, n); }
