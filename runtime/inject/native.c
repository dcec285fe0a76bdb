/* native.c — fault injection for programs built without mirrorpass. `mirrorpass campaign`
 * preloads it (LD_PRELOAD) into the native build, so that both builds lose pages the same way.
 *
 * It reads the inject_* options of MIRROR_OPTIONS (the others belong to the runtime and are ignored)
 * and loses pages as the runtime's injector does: an empty memfd mapped over the page, so that the next
 * access raises SIGBUS (or, inject_method=hwpoison, madvise(MADV_HWPOISON)). It installs no handler: the program dies of the loss as it would of a real
 * memory error, or never touches the page again and runs on.
 *
 * Where pages are lost:
 *   anywhere  every resident page of the private writable mappings (resident.c decides which those
 *             are, for both builds);
 *   otherwise the native counterpart of the protected domain: the executable's writable mappings, the
 *             brk heap and anonymous memory (malloc's mmaps; thread stacks too, which cannot be told
 *             apart from them from outside malloc). The main stack and libraries' data are left out.
 * This library's own data and its thread's stack are never lost: they are not the program's memory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "inject/inject.h"
#include "base/thread.h"

static struct {
    long count, seed, interval_ms;
    char target[16];
    char method[16];
    char log[4096];
    char exe[4096];
    struct _mirror_range own_data, own_stack;
    uint64_t rng;
} options = {.seed = 1, .interval_ms = 100, .target = "any", .method = "memfd"};

/* `name=value` pairs separated by ':' or ',', as the runtime reads them; only the inject_* ones. */
static void read_options(void)
{
    const char *text = getenv("MIRROR_OPTIONS");
    if (!text)
        return;
    char buffer[8192];
    snprintf(buffer, sizeof buffer, "%s", text);
    for (char *saved, *pair = strtok_r(buffer, ":,", &saved); pair; pair = strtok_r(NULL, ":,", &saved)) {
        char *value = strchr(pair, '=');
        if (!value)
            continue;
        *value++ = '\0';
        if (strcmp(pair, "inject_count") == 0)
            options.count = strtol(value, NULL, 10);
        else if (strcmp(pair, "inject_seed") == 0)
            options.seed = strtol(value, NULL, 10);
        else if (strcmp(pair, "inject_interval_ms") == 0)
            options.interval_ms = strtol(value, NULL, 10);
        else if (strcmp(pair, "inject_target") == 0)
            snprintf(options.target, sizeof options.target, "%s", value);
        else if (strcmp(pair, "inject_method") == 0)
            snprintf(options.method, sizeof options.method, "%s", value);
        else if (strcmp(pair, "inject_log") == 0)
            snprintf(options.log, sizeof options.log, "%s", value);
    }
}

static bool inside(uintptr_t page, struct _mirror_range r)
{
    return page >= r.start && page < r.end;
}

static bool may_lose(uintptr_t page)
{
    return !inside(page, options.own_data) && !inside(page, options.own_stack);
}

static bool counterpart_of_domain(const struct _mirror_mapping *m)
{
    return strcmp(m->name, options.exe) == 0 || strcmp(m->name, "[heap]") == 0 || m->name[0] == '\0';
}

static uintptr_t pick_page(void)
{
    struct _mirror_sampler s = {.rng = &options.rng};
    bool anywhere = strcmp(options.target, "anywhere") == 0;
    struct _mirror_maps maps;
    struct _mirror_mapping map;
    if (!_mirror_maps_open(&maps))
        return 0;
    while (_mirror_maps_next(&maps, &map))
        if (_mirror_is_writable_memory(&map) && (anywhere || counterpart_of_domain(&map)))
            _mirror_sample_resident(&s, map.start, map.end, may_lose);
    _mirror_maps_close(&maps);
    return s.choice;
}

/* inject_method=hwpoison: the kernel's memory-failure path; without early kill (a native program does
 * not ask for it) the process hears of it when it touches the page: SIGBUS BUS_MCEERR_AR. */
static int lose_page(uintptr_t page, int memfd)
{
    if (strcmp(options.method, "hwpoison") == 0)
        return madvise((void *)page, MIRROR_PAGE_SIZE, MADV_HWPOISON);
    return mmap((void *)page, MIRROR_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, memfd, 0) ==
                   MAP_FAILED
               ? -1
               : 0;
}

static void *injector(void *unused)
{
    (void)unused;
    struct _mirror_mapping map;
    if (_mirror_maps_find((uintptr_t)&map, &map))
        options.own_stack = (struct _mirror_range){map.start, map.end};
    int memfd = memfd_create("mirrorpass-lost-page", MFD_CLOEXEC);
    if (memfd < 0)
        return NULL;
    struct timespec interval = {.tv_sec = options.interval_ms / 1000,
                                .tv_nsec = (options.interval_ms % 1000) * 1000000L};
    for (long done = 0, misses = 0; done < options.count && misses < 1000;) {
        nanosleep(&interval, NULL);
        uintptr_t page = pick_page();
        long before = -1;
        int log = -1;
        if (page && _mirror_maps_find(page, &map))
            log = _mirror_inject_log_begin(options.log[0] ? options.log : NULL, page, map.name, &before);
        bool lost = page && lose_page(page, memfd) == 0;
        _mirror_inject_log_end(log, before, lost);
        if (lost) {
            done++, misses = 0;
        } else {
            misses++;
        }
    }
    return NULL;
}

__attribute__((constructor)) static void start(void)
{
    read_options();
    if (options.count <= 0)
        return;
    ssize_t n = readlink("/proc/self/exe", options.exe, sizeof options.exe - 1);
    options.exe[n > 0 ? n : 0] = '\0';
    struct _mirror_mapping mine;
    if (_mirror_maps_find((uintptr_t)&options, &mine))
        options.own_data = (struct _mirror_range){mine.start, mine.end};
    options.rng = (uint64_t)options.seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
    _mirror_start_daemon(injector, 0);
}
