/* libraries.c — the data of instrumented shared libraries in the protected domain.
 *
 * A shared library built by mirror-cc carries a `.note.mirrorpass` (an ELF note the linker places in a
 * PT_NOTE segment), and its code mirrors its stores through the executable's runtime. Its writable
 * segments were written by the dynamic loader before start-up (initialisers, relocations; mirror-cc
 * links with -z now, so the GOT too) and only by instrumented code after: start-up seeds their mirror
 * and adds them to the domain, like the executable's data. Libraries loaded later with dlopen are added
 * when dlopen returns (their constructors, instrumented, have run inside it with mirrored stores; the
 * seeding copies what the loader wrote), and taken out after dlclose, so that an address range reused
 * by another mapping is never "restored" from a stale mirror. Libraries without the note stay outside
 * the domain. glibc's (covered.inc) are covered by the libc wrappers; any other is uninstrumented: what
 * it writes into the program's memory (a buffer it fills, a heap block it updates) is not mirrored, so
 * a lost page it wrote would be rebuilt stale. Those are listed in stats_json (uninstrumented_libraries)
 * and named at start-up with verbosity>=1, and always when dlopen loads one (unless allow_uninstrumented
 * names it). The repair asks for them (_mirror_uninstrumented_suspects) before it restores a native
 * page: with one loaded, the mirror may be stale, and the repair says so or refuses (uninstrumented_repair).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <string.h>

#include "domain/domain.h"
#include "mirror.h"

#define MAX_LIBRARIES 64
#define MAX_SEGMENTS 4
#define MAX_UNINSTRUMENTED 64

struct library {
    uintptr_t load_bias; /* 0: free slot */
    int handles[MAX_SEGMENTS];
    int count;
    char name[128];
};

struct uninstrumented {
    uintptr_t load_bias;
    bool allowed; /* named by allow_uninstrumented: decided when it is loaded, read by the signal path */
    char name[128];
};

static struct {
    struct library items[MAX_LIBRARIES];
    struct uninstrumented uninstrumented[MAX_UNINSTRUMENTED]; /* every one loaded so far, in load order */
    int uninstrumented_count;
    bool started; /* start-up's registration is done: later ones come from dlopen */
} libraries MIRROR_RT_STATE;

static const char *file_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* glibc's libraries, whose writes the libc wrappers cover: runtime/domain/covered.inc. */
static bool covered(const char *path)
{
    const char *base = file_name(path);
    const char *so = strstr(base, ".so");
    size_t n = so ? (size_t)(so - base) : strlen(base);
#define MIRROR_COVERED(stem)                                                                              \
    if (n == sizeof stem - 1 && memcmp(base, stem, n) == 0)                                               \
        return true;
#include "covered.inc"
#undef MIRROR_COVERED
    return false;
}

/* allow_uninstrumented: file names separated by '|' (':' and ',' separate the options themselves). */
static bool allowed(const char *path)
{
    const char *list = _mirror_flags.allow_uninstrumented;
    const char *base = file_name(path);
    size_t n = strlen(base);
    for (const char *item = list; item && *item;) {
        const char *end = strchr(item, '|');
        size_t len = end ? (size_t)(end - item) : strlen(item);
        if (len == n && memcmp(item, base, n) == 0)
            return true;
        item = end ? end + 1 : item + len;
    }
    return false;
}

static void note_uninstrumented(struct dl_phdr_info *info)
{
    const char *name = info->dlpi_name;
    if (!name || !*name || strncmp(name, "linux-vdso", 10) == 0 || covered(name))
        return;
    for (int i = 0; i < libraries.uninstrumented_count; i++)
        if (libraries.uninstrumented[i].load_bias == info->dlpi_addr &&
            strcmp(libraries.uninstrumented[i].name, name) == 0)
            return;
    if (libraries.uninstrumented_count < MAX_UNINSTRUMENTED) {
        struct uninstrumented *u = &libraries.uninstrumented[libraries.uninstrumented_count++];
        u->load_bias = info->dlpi_addr;
        u->allowed = allowed(name);
        _mirror_format(u->name, sizeof u->name, "%s", name);
    }
    const char *what = "uninstrumented library %s: what it writes into the program's memory is not mirrored, "
                       "so a lost page it wrote would be rebuilt stale (rebuild it with mirror-cc; "
                       "allow_uninstrumented=%s if it writes none)";
    if (!libraries.started)
        _mirror_verbose(1, what, name, file_name(name));
    else if (!allowed(name))
        _mirror_report(what, name, file_name(name));
}

int _mirror_uninstrumented_suspects(const char **first)
{
    int count = 0;
    *first = NULL;
    for (int i = 0; i < libraries.uninstrumented_count; i++) {
        if (libraries.uninstrumented[i].allowed)
            continue;
        if (!count++)
            *first = libraries.uninstrumented[i].name;
    }
    return count;
}

size_t _mirror_uninstrumented_json(char *out, size_t capacity)
{
    size_t len = _mirror_format(out, capacity, "\"uninstrumented_libraries\": [");
    for (int i = 0; i < libraries.uninstrumented_count && len < capacity; i++) {
        len += _mirror_format(out + len, capacity - len, "%s\"", i ? ", " : "");
        for (const char *c = libraries.uninstrumented[i].name; *c && len + 2 < capacity; c++) {
            if (*c == '"' || *c == '\\')
                out[len++] = '\\';
            out[len++] = *c;
        }
        len += _mirror_format(out + len, capacity - len, "\"");
    }
    len += _mirror_format(out + len, capacity - len, "]");
    return len < capacity ? len : capacity - 1;
}

static bool has_mirrorpass_note(struct dl_phdr_info *info)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const unsigned char *note = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
        const unsigned char *end = note + ph->p_memsz;
        while (note + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *header = (const ElfW(Nhdr) *)note;
            const char *name = (const char *)(header + 1);
            if (header->n_namesz == sizeof "mirrorpass" && memcmp(name, "mirrorpass", sizeof "mirrorpass") == 0)
                return true;
            note = (const unsigned char *)(header + 1) + ((header->n_namesz + 3) & ~3u) + ((header->n_descsz + 3) & ~3u);
        }
    }
    return false;
}

static struct library *find(uintptr_t load_bias)
{
    for (int i = 0; i < MAX_LIBRARIES; i++)
        if (libraries.items[i].load_bias == load_bias)
            return &libraries.items[i];
    return NULL;
}

static int register_library(struct dl_phdr_info *info, size_t size, void *first)
{
    (void)size;
    if (*(bool *)first) { /* the executable: globals.c protects it */
        *(bool *)first = false;
        return 0;
    }
    if (info->dlpi_addr == 0 || find(info->dlpi_addr))
        return 0;
    if (!has_mirrorpass_note(info)) {
        note_uninstrumented(info);
        return 0;
    }
    struct library *lib = find(0);
    if (!lib) {
        _mirror_report("more than %d instrumented shared libraries: %s stays outside the protected domain",
                       MAX_LIBRARIES, info->dlpi_name);
        return 0;
    }
    lib->load_bias = info->dlpi_addr;
    lib->count = 0;
    _mirror_format(lib->name, sizeof lib->name, "%s", info->dlpi_name && *info->dlpi_name ? info->dlpi_name : "library");
    for (int i = 0; i < info->dlpi_phnum && lib->count < MAX_SEGMENTS; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
            continue;
        uintptr_t vaddr = info->dlpi_addr + ph->p_vaddr;
        uintptr_t start = _mirror_page_down(vaddr);
        uintptr_t file_end = _mirror_page_up(vaddr + ph->p_filesz);
        uintptr_t end = _mirror_page_up(vaddr + ph->p_memsz);
        _mirror_seed_pages(start, file_end, true);
        _mirror_seed_pages(file_end, end, false);
        int handle = _mirror_domain_add(start, end, MIRROR_REGION_GLOBALS, lib->name);
        if (handle >= 0)
            lib->handles[lib->count++] = handle;
    }
    _mirror_verbose(1, "protecting the data of %s (%d ranges)", lib->name, lib->count);
    return 0;
}

void _mirror_libraries_register(void)
{
    bool first = true;
    dl_iterate_phdr(register_library, &first);
    libraries.started = true;
}

static int mark_loaded(struct dl_phdr_info *info, size_t size, void *loaded)
{
    (void)size;
    for (int i = 0; i < MAX_LIBRARIES; i++)
        if (libraries.items[i].load_bias && libraries.items[i].load_bias == info->dlpi_addr)
            ((bool *)loaded)[i] = true;
    return 0;
}

void _mirror_libraries_forget_unloaded(void)
{
    bool loaded[MAX_LIBRARIES] = {false};
    dl_iterate_phdr(mark_loaded, loaded);
    for (int i = 0; i < MAX_LIBRARIES; i++) {
        struct library *lib = &libraries.items[i];
        if (!lib->load_bias || loaded[i])
            continue;
        for (int s = 0; s < lib->count; s++)
            _mirror_domain_remove(lib->handles[s]);
        lib->load_bias = 0;
    }
}

/* dlopen and dlclose of instrumented code (routes.h). */
__attribute__((visibility("default"))) void *__mirror_dlopen(const char *file, int mode)
{
    void *handle = dlopen(file, mode);
    if (handle && !_mirror_state.gs_base_set && dlsym(handle, "__mirror_uses_gs"))
        _mirror_fatal("%s has segment-addressing code but this program does not set the GS base (it has "
                      "no segment-mode code of its own); build the library with -fmirror-addressing=offset",
                      file ? file : "the library");
    if (handle && !_mirror_state.annotated)
        _mirror_libraries_register();
    return handle;
}

__attribute__((visibility("default"))) int __mirror_dlclose(void *handle)
{
    int result = dlclose(handle);
    if (result == 0)
        _mirror_libraries_forget_unloaded();
    return result;
}
