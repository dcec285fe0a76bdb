/* symbols.c — names for addresses of the executable's data, for the audit's messages.
 *
 * dladdr sees only the dynamic symbol table, which holds exported symbols; a program's globals
 * (especially `static` ones) are only in .symtab. So the executable file itself, /proc/self/exe (the
 * file that was executed, even if it was replaced since), is mapped read-only on first use and kept.
 * Lookups scan the symbol table linearly: the audit names at most a few dozen runs. Everything taken
 * from the file is bounds-checked; a file we cannot read gives no names, never a crash.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"

/* Loading happens once; a second thread arriving meanwhile gets no names rather than waiting (a wait
 * could last forever in a child forked during the load). */
enum load_state { NOT_LOADED, LOADING, LOADED };

static struct {
    int state; /* enum load_state */
    uintptr_t load_bias;
    const unsigned char *image;
    size_t size;
    const ElfW(Shdr) *sections;
    size_t section_count;
    const char *section_names; /* NULL when the file has none */
    size_t section_names_size;
    const ElfW(Sym) *symbols; /* .symtab, else .dynsym */
    size_t symbol_count;
    const char *symbol_names;
    size_t symbol_names_size;
} exe MIRROR_RT_STATE;

static int take_first_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    *(uintptr_t *)data = info->dlpi_addr;
    return 1;
}

/* [offset, offset + size) lies inside the file. */
static bool in_file(ElfW(Off) offset, size_t size)
{
    return offset <= exe.size && size <= exe.size - offset;
}

static const ElfW(Shdr) *section(size_t index)
{
    return index < exe.section_count ? &exe.sections[index] : NULL;
}

static bool use_symbol_table(unsigned type)
{
    for (size_t i = 0; i < exe.section_count; i++) {
        const ElfW(Shdr) *table = &exe.sections[i];
        const ElfW(Shdr) *strings = section(table->sh_link);
        if (table->sh_type != type || strings == NULL || !in_file(table->sh_offset, table->sh_size) ||
            !in_file(strings->sh_offset, strings->sh_size))
            continue;
        exe.symbols = (const ElfW(Sym) *)(exe.image + table->sh_offset);
        exe.symbol_count = table->sh_size / sizeof(ElfW(Sym));
        exe.symbol_names = (const char *)exe.image + strings->sh_offset;
        exe.symbol_names_size = strings->sh_size;
        return true;
    }
    return false;
}

static void load(void)
{
    dl_iterate_phdr(take_first_object, &exe.load_bias);
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    struct stat st;
    void *image = MAP_FAILED;
    if (fstat(fd, &st) == 0 && (size_t)st.st_size >= sizeof(ElfW(Ehdr)))
        image = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (image == MAP_FAILED)
        return;
    exe.image = image;
    exe.size = (size_t)st.st_size;
    const ElfW(Ehdr) *header = image;
    if (header->e_ident[EI_MAG0] != ELFMAG0 || header->e_ident[EI_MAG1] != ELFMAG1 ||
        header->e_ident[EI_MAG2] != ELFMAG2 || header->e_ident[EI_MAG3] != ELFMAG3 ||
        header->e_ident[EI_CLASS] != ELFCLASS64 || header->e_shentsize != sizeof(ElfW(Shdr)) ||
        !in_file(header->e_shoff, (size_t)header->e_shnum * sizeof(ElfW(Shdr))))
        return;
    exe.sections = (const ElfW(Shdr) *)(exe.image + header->e_shoff);
    exe.section_count = header->e_shnum;
    const ElfW(Shdr) *names = section(header->e_shstrndx);
    if (names != NULL && in_file(names->sh_offset, names->sh_size)) {
        exe.section_names = (const char *)exe.image + names->sh_offset;
        exe.section_names_size = names->sh_size;
    }
    /* A stripped executable still has .dynsym: exported symbols only, better than nothing. */
    if (!use_symbol_table(SHT_SYMTAB))
        use_symbol_table(SHT_DYNSYM);
}

/* A NUL-terminated string at offset of a string table, or NULL. */
static const char *string_at(const char *table, size_t table_size, size_t offset)
{
    if (table == NULL || offset >= table_size)
        return NULL;
    for (size_t i = offset; i < table_size; i++)
        if (table[i] == '\0')
            return table + offset;
    return NULL;
}

void _mirror_symbolize(uintptr_t addr, struct _mirror_symbol *out)
{
    *out = (struct _mirror_symbol){.name = NULL};
    int state = NOT_LOADED;
    if (__atomic_compare_exchange_n(&exe.state, &state, LOADING, false, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
        load();
        __atomic_store_n(&exe.state, LOADED, __ATOMIC_RELEASE);
    } else if (state != LOADED) {
        return;
    }
    uintptr_t link_address = addr - exe.load_bias;

    const ElfW(Sym) *best = NULL;
    for (size_t i = 0; i < exe.symbol_count; i++) {
        const ElfW(Sym) *s = &exe.symbols[i];
        if (ELF64_ST_TYPE(s->st_info) != STT_OBJECT || s->st_shndx == SHN_UNDEF || s->st_size == 0)
            continue;
        if (link_address < s->st_value || link_address - s->st_value >= s->st_size)
            continue;
        /* Nested objects (an alias, a symbol inside another): the smallest is the most specific. */
        if (best == NULL || s->st_size < best->st_size)
            best = s;
    }
    if (best != NULL) {
        out->name = string_at(exe.symbol_names, exe.symbol_names_size, best->st_name);
        out->start = exe.load_bias + best->st_value;
        out->size = best->st_size;
    }

    for (size_t i = 0; i < exe.section_count; i++) {
        const ElfW(Shdr) *s = &exe.sections[i];
        /* .tbss takes no address space: its sh_addr overlaps the sections after it. */
        if ((s->sh_flags & (SHF_ALLOC | SHF_TLS)) != SHF_ALLOC)
            continue;
        if (link_address >= s->sh_addr && link_address - s->sh_addr < s->sh_size) {
            out->section = string_at(exe.section_names, exe.section_names_size, s->sh_name);
            break;
        }
    }
}
