/* structs: nested structs, struct assignment (whole and member), struct return by value (in registers
 * and through a hidden sret pointer that points straight into the heap or a global), structs passed by
 * value, arrays of structs, a flexible array member, and a padded struct kept in a global. */
#include <stdio.h>
#include <stdlib.h>

#include "mcheck.h"

struct point {
    int x, y;
};

struct rect { /* 24 bytes, no padding */
    struct point min, max;
    unsigned char tag[6];
    short id;
};

struct particle { /* 112 bytes, no padding */
    double pos[3];
    double vel[3];
    struct rect box;
    long long id;
    char name[16];
};

struct big { /* returned through sret */
    long a[9];
    struct rect r;
    struct point corners[4];
};

struct padded { /* padding after c and after s: lives in a global, where padding starts zero */
    char c;
    int i;
    short s;
    long l;
};

struct samples { /* flexible array member */
    unsigned count;
    unsigned scale;
    int value[];
};

static struct particle g_particles[8];
static struct big g_big;
static struct padded g_padded[5];
static struct rect g_rect = {{1, 2}, {3, 4}, {'i', 'n', 'i', 't', 0, 0}, 7};

__attribute__((noinline)) static struct point point_add(struct point a, struct point b)
{
    struct point r = {a.x + b.x, a.y + b.y};
    return r;
}

__attribute__((noinline)) static struct rect rect_grow(struct rect r, int by)
{
    r.min.x -= by;
    r.min.y -= by;
    r.max.x += by;
    r.max.y += by;
    r.id = (short)(r.id + 1);
    r.tag[0] = (unsigned char)('a' + by);
    return r;
}

__attribute__((noinline)) static struct big make_big(int seed)
{
    struct big b;
    for (int i = 0; i < 9; i++)
        b.a[i] = (long)seed * 1000 + i;
    b.r.min = (struct point){seed, -seed};
    b.r.max = (struct point){seed * 2, seed * 3};
    for (int i = 0; i < 6; i++)
        b.r.tag[i] = (unsigned char)('A' + seed + i);
    b.r.id = (short)seed;
    for (int i = 0; i < 4; i++)
        b.corners[i] = point_add(b.r.min, (struct point){i, i * i});
    return b;
}

static void name_copy(char *dst, const char *src, size_t cap) /* own strncpy: pads with zeros */
{
    size_t i = 0;
    for (; i + 1 < cap && src[i]; i++)
        dst[i] = src[i];
    for (; i < cap; i++)
        dst[i] = 0;
}

static void particle_init(struct particle *p, int k)
{
    for (int d = 0; d < 3; d++) {
        p->pos[d] = k * 1.5 + d;
        p->vel[d] = -0.25 * d + k;
    }
    p->box = rect_grow(g_rect, k);
    p->id = 1000000007LL * k;
    static const char *names[] = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"};
    name_copy(p->name, names[k % 8], sizeof p->name);
}

static long long checksum_bytes(const void *p, size_t n)
{
    const unsigned char *b = p;
    long long h = 1469598103;
    for (size_t i = 0; i < n; i++)
        h = (h * 31 + b[i]) % 1000000007LL;
    return h;
}

int main(void)
{
    /* Heap array of nested structs, written field by field, then by whole-struct assignment. */
    enum { N = 40 };
    struct particle *ps = malloc(N * sizeof *ps);
    for (int k = 0; k < N; k++)
        particle_init(&ps[k], k);
    for (int k = 0; k + 1 < N; k += 3)
        ps[k] = ps[k + 1]; /* struct assignment */
    for (int k = 0; k < N; k += 5)
        ps[k].box.max = ps[(k * 7) % N].box.min; /* nested member assignment */
    for (int k = 0; k < 8; k++)
        g_particles[k] = ps[N - 1 - k]; /* heap -> global */

    /* Struct return by value through sret, straight into heap and global storage. */
    struct big *bigs = malloc(6 * sizeof *bigs);
    for (int i = 0; i < 6; i++)
        bigs[i] = make_big(i + 1);
    g_big = make_big(42);
    g_big.corners[2] = point_add(g_big.corners[0], g_big.corners[1]);

    /* Padded structs in a global: fields one by one, then whole assignments. */
    for (int i = 0; i < 5; i++) {
        g_padded[i].c = (char)('p' + i);
        g_padded[i].i = i * i * 1001;
        g_padded[i].s = (short)(-i);
        g_padded[i].l = (long)i << 40;
    }
    g_padded[4] = g_padded[1];
    struct padded tmp = {'z', 9, 8, 7};
    g_padded[0] = tmp;

    /* Flexible array member. */
    struct samples *smp = malloc(sizeof *smp + 50 * sizeof(int));
    smp->count = 50;
    smp->scale = 3;
    for (unsigned i = 0; i < smp->count; i++)
        smp->value[i] = (int)(i * smp->scale) - 70;

    g_rect = rect_grow(g_rect, 2);

    long long sum = 0;
    for (int k = 0; k < N; k++)
        sum += ps[k].box.min.x * 3 + ps[k].box.max.y + ps[k].id % 1000 + (long long)(ps[k].pos[2] * 4);
    printf("particles: sum=%lld first=%s last=%s\n", sum, ps[0].name, ps[N - 1].name);
    printf("particles: hash=%lld global=%lld\n", checksum_bytes(ps, N * sizeof *ps),
           checksum_bytes(g_particles, sizeof g_particles));
    for (int i = 0; i < 6; i++)
        printf("big[%d]: a8=%ld r=(%d,%d)-(%d,%d) id=%d tag=%.6s corner3=(%d,%d)\n", i, bigs[i].a[8], bigs[i].r.min.x,
               bigs[i].r.min.y, bigs[i].r.max.x, bigs[i].r.max.y, bigs[i].r.id, (const char *)bigs[i].r.tag,
               bigs[i].corners[3].x, bigs[i].corners[3].y);
    printf("g_big: a0=%ld corner2=(%d,%d)\n", g_big.a[0], g_big.corners[2].x, g_big.corners[2].y);
    for (int i = 0; i < 5; i++)
        printf("padded[%d]: %c %d %d %ld\n", i, g_padded[i].c, g_padded[i].i, g_padded[i].s, g_padded[i].l);
    long fsum = 0;
    for (unsigned i = 0; i < smp->count; i++)
        fsum += smp->value[i];
    printf("samples: count=%u sum=%ld\n", smp->count, fsum);
    printf("g_rect: (%d,%d)-(%d,%d) id=%d tag0=%c\n", g_rect.min.x, g_rect.min.y, g_rect.max.x, g_rect.max.y, g_rect.id,
           g_rect.tag[0]);

    MCHECK(ps, N * sizeof *ps);
    MCHECK(bigs, 6 * sizeof *bigs);
    MCHECK(smp, sizeof *smp + 50 * sizeof(int));
    MCHECK_OBJ(g_particles);
    MCHECK_OBJ(g_big);
    MCHECK_OBJ(g_padded);
    MCHECK_OBJ(g_rect);
    mcheck_report();
    free(ps);
    free(bigs);
    free(smp);
    return 0;
}
