/* A hash table, a string, a regex (pcre2) and a checksum with glib, printed: the workload of the glib
 * dependency campaign (README, Dependencies). Built against `mirrorpass deps install glib2.0 libffi pcre2
 * zlib`: MIRRORPASS_DEPS_PREFIX=P mirror-cc -O2 glib_table.c $(PKG_CONFIG_PATH=P/lib/pkgconfig pkg-config
 * --cflags --libs glib-2.0). */
#include <glib.h>
#include <stdio.h>
int main(void) {
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GString *s = g_string_new("");
    for (int i = 0; i < 200000; i++) {
        char *k = g_strdup_printf("key-%d", i % 5000);
        g_hash_table_insert(t, k, GINT_TO_POINTER(i));
        if (i % 1000 == 0) g_string_append_printf(s, "%d,", i);
    }
    GRegex *re = g_regex_new("key-(\\d+)7$", 0, 0, NULL);
    GHashTableIter it; gpointer k, v; unsigned long sum = 0, matched = 0;
    g_hash_table_iter_init(&it, t);
    while (g_hash_table_iter_next(&it, &k, &v)) { sum += GPOINTER_TO_INT(v); if (g_regex_match(re, k, 0, NULL)) matched++; }
    char *digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, s->str, -1);
    printf("%u %lu %lu %s\n", g_hash_table_size(t), sum, matched, digest);
    g_free(digest); g_regex_unref(re); g_string_free(s, TRUE); g_hash_table_destroy(t);
    return 0;
}
