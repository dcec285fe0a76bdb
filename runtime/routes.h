/* routes.h — libc functions whose calls in instrumented code are routed to the runtime.
 *
 * mirror-cc renames every reference to `name` in a module it instruments to `__mirror_name` (unless the
 * module defines `name` itself), so instrumented code allocates from the mirrored heap and reaches libc
 * through wrappers that bring the mirror of what libc wrote up to date. Uninstrumented code (libc
 * itself, other libraries) keeps calling libc directly. One entry per line; mirrorpass/instrument/
 * routes.py reads this file, the runtime defines each __mirror_<name>.
 */

/* The mirrored heap (heap/): every allocation of instrumented code, metadata mirrored. */
MIRROR_ROUTE(malloc)
MIRROR_ROUTE(free)
MIRROR_ROUTE(calloc)
MIRROR_ROUTE(realloc)
MIRROR_ROUTE(reallocarray)
MIRROR_ROUTE(posix_memalign)
MIRROR_ROUTE(aligned_alloc)
MIRROR_ROUTE(memalign)
MIRROR_ROUTE(valloc)
MIRROR_ROUTE(pvalloc)
MIRROR_ROUTE(malloc_usable_size)
MIRROR_ROUTE(strdup)
MIRROR_ROUTE(strndup)
