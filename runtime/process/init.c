/* init.c — start-up: make the address space ready for mirror stores before any instrumented code runs.
 *
 * Runs from the executable's .preinit_array, which the dynamic loader calls before the constructors of
 * every shared library and of the executable itself (and __libc_start_main does the same in a static
 * executable). The options (MIRROR_OPTIONS, base/flags.c) are read before anything else; then, in
 * order: the layout check, the mirror windows, the GS base and the seeding of the executable's data
 * (init_linux.c), the protected domain (domain/), the SIGBUS handler (recovery/) and the exit sequence
 * (exit.c). This is the only file that calls every layer. Nothing here mallocs or uses stdio.
 */
#include "process/platform.h"

extern char __mirror_mode_annotated __attribute__((weak)); /* -fmirror-mode=annotated code is linked in */

static void mirror_init(int argc, char **argv, char **envp)
{
    (void)argc;
    (void)argv;
    _mirror_state.envp = envp;
    _mirror_flags_parse();
    _mirror_log_open();
    struct _mirror_executable exe = _mirror_find_executable();
    _mirror_check_layout(&exe);
    _mirror_reserve_mirror_windows();
    _mirror_set_gs_base();
    _mirror_seed_executable_data(&exe);
    _mirror_domain_init();
    /* Annotated mode: code outside MIRROR_PROTECT functions writes the globals without mirroring them,
     * so they are not protected (a lost page of them is reported); critical data is mirror_malloc'd. */
    _mirror_state.annotated = &__mirror_mode_annotated != NULL;
    if (!_mirror_state.annotated) {
        _mirror_globals_register(exe.load_bias, exe.phdr, exe.phnum);
        _mirror_libraries_register();
    }
    _mirror_signal_init();
    _mirror_exit_init();
    _mirror_state.initialized = true;
}

/* .preinit_array, not a constructor: shared libraries' constructors run later, and they may be
 * instrumented too. Only an executable may have one, which is where the runtime is linked. */
__attribute__((section(".preinit_array"), used)) static void (*const preinit_entry)(int, char **, char **) =
    mirror_init;
