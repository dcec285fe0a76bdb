/* bitfields: fields of many widths, signed and unsigned, crossing byte boundaries, next to ordinary
 * fields; packed structs whose bitfield storage units are 3 and 6 bytes wide (i24 / i48 in IR);
 * read-modify-write updates on heap arrays and globals. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mcheck.h"

struct flags { /* 16 bytes, every bit belongs to a field */
    unsigned a : 1;
    unsigned b : 3;
    unsigned c : 5;
    unsigned d : 7;
    signed e : 9;
    unsigned f : 7;
    uint8_t byte;
    uint8_t g : 4;
    uint8_t h : 4;
    uint16_t wide;
    uint64_t big : 40;
    uint64_t rest : 24;
};

struct __attribute__((packed)) rgb { /* 3 bytes: one 24-bit storage unit */
    unsigned r : 8;
    unsigned g : 8;
    unsigned b : 7;
    unsigned lit : 1;
};

struct __attribute__((packed)) stamp { /* 6 bytes: a 48-bit storage unit */
    uint64_t seconds : 30;
    uint64_t millis : 10;
    int64_t zone : 8;
};

struct __attribute__((packed)) record { /* 11 bytes, odd offsets */
    uint8_t kind;
    struct stamp when;
    uint32_t ok : 1;
    uint32_t count : 20;
    uint32_t level : 11;
};

static struct flags g_flags[12];
static struct rgb g_pixels[33];
static struct record g_log[10];
static struct flags g_one = {1, 2, 3, 4, -5, 6, 7, 8, 9, 10, 11, 12};

static void set_flags(struct flags *f, int i)
{
    f->a = (unsigned)i & 1;
    f->b = (unsigned)i * 3;
    f->c = (unsigned)i * 7;
    f->d = (unsigned)i * 11;
    f->e = i * 13 - 200;
    f->f = (unsigned)i ^ 0x55;
    f->byte = (uint8_t)(i * 17);
    f->g = (uint8_t)i;
    f->h = (uint8_t)(15 - i);
    f->wide = (uint16_t)(i * 4099);
    f->big = (uint64_t)i * 0x123456789ULL;
    f->rest = (uint64_t)i * 0x10101;
}

static uint64_t flags_sum(const struct flags *f)
{
    return f->a + f->b * 2 + f->c * 3 + f->d * 5 + (uint64_t)(f->e + 1000) * 7 + f->f + f->byte + f->g + f->h +
           f->wide + f->big % 100003 + f->rest;
}

int main(void)
{
    enum { N = 100 };
    struct flags *fs = malloc(N * sizeof *fs);
    for (int i = 0; i < N; i++)
        set_flags(&fs[i], i);
    for (int i = 0; i < N; i += 3) { /* read-modify-write of single fields */
        fs[i].e = -fs[i].e / 2;
        fs[i].c ^= 0x1f;
        fs[i].big += 0xffffffff;
        fs[i].h++;
    }
    for (int i = 0; i < 12; i++)
        g_flags[i] = fs[i * 7];
    g_one.e = g_one.e * 3;
    g_one.rest = 0xabcdef;

    struct rgb *img = malloc(257 * sizeof *img);
    for (int i = 0; i < 257; i++) {
        img[i].r = (unsigned)i;
        img[i].g = (unsigned)(255 - i);
        img[i].b = (unsigned)(i * 5);
        img[i].lit = (unsigned)(i % 3 == 0);
    }
    for (int i = 0; i < 33; i++) {
        g_pixels[i] = img[i * 8];
        g_pixels[i].g >>= 1;
    }

    struct record *recs = malloc(40 * sizeof *recs);
    for (int i = 0; i < 40; i++) {
        recs[i].kind = (uint8_t)('A' + i % 26);
        recs[i].when.seconds = (uint64_t)i * 86399 + 7;
        recs[i].when.millis = (uint64_t)(i * 37) % 1000;
        recs[i].when.zone = (int64_t)(i % 25) - 12;
        recs[i].ok = (uint32_t)(i & 1);
        recs[i].count = (uint32_t)i * 26000;
        recs[i].level = (uint32_t)(2047 - i);
    }
    for (int i = 0; i < 10; i++) {
        g_log[i] = recs[i * 4 + 1];
        g_log[i].when.zone = -g_log[i].when.zone;
    }

    uint64_t s = 0;
    for (int i = 0; i < N; i++)
        s += flags_sum(&fs[i]);
    printf("flags: sum=%llu g=%llu one=%llu e=%d\n", (unsigned long long)s,
           (unsigned long long)(flags_sum(&g_flags[3]) + flags_sum(&g_flags[11])),
           (unsigned long long)flags_sum(&g_one), g_one.e);
    unsigned r = 0, g = 0, b = 0, lit = 0;
    for (int i = 0; i < 257; i++) {
        r += img[i].r;
        g += img[i].g;
        b += img[i].b;
        lit += img[i].lit;
    }
    printf("pixels: r=%u g=%u b=%u lit=%u g_pixels[5]=(%u,%u,%u,%u)\n", r, g, b, lit, g_pixels[5].r, g_pixels[5].g,
           g_pixels[5].b, g_pixels[5].lit);
    for (int i = 0; i < 10; i += 3)
        printf("g_log[%d]: %c %llu.%03llu zone=%lld ok=%u count=%u level=%u\n", i, g_log[i].kind,
               (unsigned long long)g_log[i].when.seconds, (unsigned long long)g_log[i].when.millis,
               (long long)g_log[i].when.zone, g_log[i].ok, g_log[i].count, g_log[i].level);

    MCHECK(fs, N * sizeof *fs);
    MCHECK(img, 257 * sizeof *img);
    MCHECK(recs, 40 * sizeof *recs);
    MCHECK_OBJ(g_flags);
    MCHECK_OBJ(g_pixels);
    MCHECK_OBJ(g_log);
    MCHECK_OBJ(g_one);
    mcheck_report();
    free(fs);
    free(img);
    free(recs);
    return 0;
}
