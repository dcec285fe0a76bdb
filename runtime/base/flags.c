/* flags.c — the runtime's options: MIRROR_OPTIONS parsed into _mirror_flags at start-up.
 *
 * Everything about an option (type, name, default, help) is one line of flags.inc; this file turns the
 * table into a spec array and works on that: defaults, parsing, the help=1 listing and the list of valid
 * names in error messages. Parsing runs from .preinit_array before any other runtime work, so it uses no
 * malloc and no stdio: the variable is copied into a static buffer and cut into pieces in place, and
 * PATH options point into that buffer. A wrong option stops the program (exit 1) with one line that
 * names what is valid: running with an option silently ignored would measure or protect the wrong thing.
 * The storage, _mirror_flags, is in state.c with the rest of the process-wide state.
 */
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"

#define OPTIONS_VARIABLE "MIRROR_OPTIONS"

/* ---- The spec table, generated from flags.inc ---------------------------------------------------------- */

enum flag_type { FLAG_BOOL, FLAG_INT, FLAG_PATH, FLAG_CHOICE };

struct flag_spec {
    const char *name;
    enum flag_type type;
    int min, max;        /* FLAG_INT only */
    const char *choices; /* FLAG_CHOICE only: "heap|globals|mirror|any" */
    size_t offset; /* of the field in struct _mirror_flags */
    const char *help;
};

#define FLAG_SPEC_BOOL .type = FLAG_BOOL
#define FLAG_SPEC_INT(lo, hi) .type = FLAG_INT, .min = (lo), .max = (hi)
#define FLAG_SPEC_PATH .type = FLAG_PATH
#define FLAG_SPEC_CHOICE(list) .type = FLAG_CHOICE, .choices = (list)

static const struct flag_spec flag_specs[] = {
#define MIRROR_FLAG(type, name_, default_value, help_) \
    {.name = #name_, FLAG_SPEC_##type, .offset = offsetof(struct _mirror_flags, name_), .help = (help_)},
#include "flags.inc"
#undef MIRROR_FLAG
};

#define FLAG_COUNT (sizeof flag_specs / sizeof flag_specs[0])

static const struct _mirror_flags flag_defaults = {
#define MIRROR_FLAG(type, name, default_value, help) .name = (default_value),
#include "flags.inc"
#undef MIRROR_FLAG
};

static void *field(struct _mirror_flags *flags, const struct flag_spec *spec)
{
    return (char *)flags + spec->offset;
}

/* ---- Messages ------------------------------------------------------------------------------------------ */

/* "verbosity, log_path, ..." for error messages. */
static void list_names(char *out, size_t capacity)
{
    size_t len = 0;
    for (size_t i = 0; i < FLAG_COUNT; i++)
        len += _mirror_format(out + len, capacity - len, "%s%s", i ? ", " : "", flag_specs[i].name);
}

/* "int 0-3, default 0" */
static void describe_value(const struct flag_spec *spec, const struct _mirror_flags *flags, char *out,
                           size_t capacity)
{
    const void *value = (const char *)flags + spec->offset;
    switch (spec->type) {
    case FLAG_BOOL:
        _mirror_format(out, capacity, "bool, default %d", *(const bool *)value);
        break;
    case FLAG_INT:
        _mirror_format(out, capacity, "int %d-%d, default %d", spec->min, spec->max, *(const int *)value);
        break;
    case FLAG_PATH: {
        const char *path = *(const char *const *)value;
        _mirror_format(out, capacity, "path, default %s", path ? path : "unset");
        break;
    }
    case FLAG_CHOICE:
        _mirror_format(out, capacity, "%s, default %s", spec->choices, *(const char *const *)value);
        break;
    }
}

/* Whether word is one of the '|'-separated choices. */
static bool is_choice(const char *choices, const char *word)
{
    size_t len = strlen(word);
    for (const char *c = choices; *c;) {
        const char *end = strchr(c, '|');
        size_t n = end ? (size_t)(end - c) : strlen(c);
        if (n == len && strncmp(c, word, n) == 0)
            return true;
        c += n + (end != NULL);
    }
    return false;
}

_Noreturn static void print_help(void)
{
    _mirror_report("%s: options as name=value pairs separated by ':' (or ','), e.g. "
                   "%s=verbosity=1:stats_json=/tmp/stats.json",
                   OPTIONS_VARIABLE, OPTIONS_VARIABLE);
    for (size_t i = 0; i < FLAG_COUNT; i++) {
        char value[64];
        describe_value(&flag_specs[i], &flag_defaults, value, sizeof value);
        _mirror_report("  %s (%s): %s", flag_specs[i].name, value, flag_specs[i].help);
    }
    _exit(0);
}

/* ---- Parsing ------------------------------------------------------------------------------------------- */

static bool parse_bool(const char *text, bool *out)
{
    if (strcmp(text, "1") == 0 || strcmp(text, "true") == 0)
        *out = true;
    else if (strcmp(text, "0") == 0 || strcmp(text, "false") == 0)
        *out = false;
    else
        return false;
    return true;
}

/* A decimal integer with an optional sign, nothing after it, within [min, max]. */
static bool looks_like_integer(const char *text)
{
    text += *text == '-' || *text == '+';
    if (*text == '\0')
        return false;
    for (; *text; text++)
        if (*text < '0' || *text > '9')
            return false;
    return true;
}

static bool parse_int(const char *text, int min, int max, int *out)
{
    enum { MAX_DIGITS = 10 }; /* any int; a long long cannot overflow */
    const char *c = text;
    bool negative = *c == '-';
    if (*c == '-' || *c == '+')
        c++;
    long long value = 0;
    int digits = 0;
    for (; *c != '\0'; c++, digits++) {
        if (*c < '0' || *c > '9' || digits == MAX_DIGITS)
            return false;
        value = value * 10 + (*c - '0');
    }
    if (digits == 0)
        return false;
    if (negative)
        value = -value;
    if (value < min || value > max)
        return false;
    *out = (int)value;
    return true;
}

static void set_option(const char *name, const char *value)
{
    const struct flag_spec *spec = NULL;
    for (size_t i = 0; i < FLAG_COUNT && spec == NULL; i++)
        if (strcmp(flag_specs[i].name, name) == 0)
            spec = &flag_specs[i];
    if (spec == NULL) {
        char names[256];
        list_names(names, sizeof names);
        _mirror_fatal("%s: unknown option '%s'; valid options: %s (%s=help=1 describes them)",
                      OPTIONS_VARIABLE, name, names, OPTIONS_VARIABLE);
    }
    if (value == NULL)
        _mirror_fatal("%s: option '%s' has no value; write %s=<value>", OPTIONS_VARIABLE, name, name);
    void *target = field(&_mirror_flags, spec);
    switch (spec->type) {
    case FLAG_BOOL:
        if (!parse_bool(value, target))
            _mirror_fatal("%s: %s=%s is not a boolean; use 0, 1, true or false", OPTIONS_VARIABLE, name,
                          value);
        break;
    case FLAG_INT:
        if (!parse_int(value, spec->min, spec->max, target))
            _mirror_fatal("%s: %s=%s is %s; expected an integer from %d to %d", OPTIONS_VARIABLE, name, value,
                          looks_like_integer(value) ? "out of range" : "not an integer", spec->min, spec->max);
        break;
    case FLAG_PATH:
        if (*value == '\0')
            _mirror_fatal("%s: %s= needs a file name", OPTIONS_VARIABLE, name);
        *(const char **)target = value;
        break;
    case FLAG_CHOICE:
        if (!is_choice(spec->choices, value))
            _mirror_fatal("%s: %s=%s is not valid; use one of %s", OPTIONS_VARIABLE, name, value, spec->choices);
        *(const char **)target = value;
        break;
    }
}

void _mirror_flags_parse(void)
{
    /* The pieces of the variable, NUL-separated in place; PATH options point into it for good. */
    static char text[4096] MIRROR_RT_STATE;

    _mirror_flags = flag_defaults;
    const char *options = _mirror_startup_getenv(OPTIONS_VARIABLE);
    if (options != NULL) {
        size_t len = strlen(options);
        if (len >= sizeof text)
            _mirror_fatal("%s is %zu bytes long; at most %zu are supported", OPTIONS_VARIABLE, len,
                          sizeof text - 1);
        memcpy(text, options, len + 1);
        /* Pieces are separated by ':' or ',' and empty ones (a trailing ':', '::') are allowed, as in
         * ASAN_OPTIONS. */
        for (char *piece = text; piece != NULL;) {
            char *next = strpbrk(piece, ":,");
            if (next != NULL)
                *next++ = '\0';
            if (*piece != '\0') {
                char *value = strchr(piece, '=');
                if (value != NULL)
                    *value++ = '\0';
                set_option(piece, value);
            }
            piece = next;
        }
    }
    if (_mirror_flags.help)
        print_help();
}
