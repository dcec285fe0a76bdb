/* atomic_sync.c — a mirror that converges for racing atomic writes that do not commute.
 *
 * Racing threads may apply a store, exchange or compare-exchange to the same word in one order on the
 * native copy and in another on the mirror; a mirror store of "my value" can then land after a newer
 * one and stay stale. Instead, after such an atomic write, instrumented code calls
 * __mirror_sync_atomic(p, size): read native, exchange it into the mirror (a locked instruction: a
 * full barrier, so the mirror write is globally visible before the next read), and read native again;
 * repeat until native did not change in between. The last mirror write of all is then followed by a
 * read that saw native equal to it, and any later native write is followed by its writer's own
 * sync, so when the writers are done, mirror == native. Commutative read-modify-writes (add, or, ...)
 * do not need this: the pass applies the same operation to the mirror.
 */
#include <stdint.h>

#include "mirror/mirror_calls.h"

#define SYNC_WORD(type, p)                                                                      \
    do {                                                                                        \
        type *native_ = (type *)(p);                                                            \
        type *mirror_ = (type *)_mirror_of(p);                                                  \
        type value_;                                                                            \
        do {                                                                                    \
            value_ = __atomic_load_n(native_, __ATOMIC_SEQ_CST);                                \
            __atomic_exchange_n(mirror_, value_, __ATOMIC_SEQ_CST);                             \
        } while (__atomic_load_n(native_, __ATOMIC_SEQ_CST) != value_);                         \
    } while (0)

void __mirror_sync_atomic(void *p, uint64_t size)
{
    switch (size) {
    case 1: SYNC_WORD(uint8_t, p); break;
    case 2: SYNC_WORD(uint16_t, p); break;
    case 4: SYNC_WORD(uint32_t, p); break;
    case 8: SYNC_WORD(uint64_t, p); break;
    default:
        /* 16-byte atomics (cmpxchg16b): sync each half; a torn pair is re-read until stable. */
        SYNC_WORD(uint64_t, p);
        SYNC_WORD(uint64_t, (char *)p + 8);
        break;
    }
}
