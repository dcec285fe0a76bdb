/* recovery_test.h — helpers for the recovery test programs (tests/runtime/test_recovery.py), which are built
 * by mirror-cc: what /proc/self/maps says about a page, and which pages are lost right now. */
#ifndef RECOVERY_TEST_H
#define RECOVERY_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define PAGE 4096UL

static inline uintptr_t page_of(const void *p)
{
    return (uintptr_t)p & ~(PAGE - 1);
}

/* The /proc/self/maps line of the mapping holding addr, copied into line ("" when unmapped). */
static inline void maps_line(const void *addr, char *line, size_t capacity)
{
    line[0] = '\0';
    FILE *maps = fopen("/proc/self/maps", "r");
    if (!maps)
        return;
    char buffer[512];
    while (fgets(buffer, sizeof buffer, maps)) {
        unsigned long start, end;
        if (sscanf(buffer, "%lx-%lx", &start, &end) == 2 && (uintptr_t)addr >= start && (uintptr_t)addr < end) {
            snprintf(line, capacity, "%s", buffer);
            break;
        }
    }
    fclose(maps);
}

/* True while the page holding addr is the empty memfd that fault injection put there. */
static inline int is_lost(const void *addr)
{
    char line[512];
    maps_line(addr, line, sizeof line);
    return strstr(line, "mirrorpass-lost-page") != NULL;
}

/* The permission letters of the mapping holding addr ("r--p"), or "?". */
static inline void perms_of(const void *addr, char out[5])
{
    char line[512];
    maps_line(addr, line, sizeof line);
    if (sscanf(line, "%*lx-%*lx %4s", out) != 1)
        strcpy(out, "?");
}

#endif
