/*
 * json.h - a streaming JSON writer. The document is produced a piece at a
 * time into whatever fmt_t the caller passes each call (the caller sends
 * that output before asking for more), so no response is ever held whole.
 * json_t carries the nesting and comma state between calls.
 */
#ifndef JSON_H
#define JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fmt.h"

#define JSON_DEPTH_MAX 8

typedef struct {
    uint8_t depth;
    uint8_t first; /* bit d: the (d+1)-th open container has no member yet */
} json_t;

void json_init(json_t *j);

/* Whether the 8 bytes at s are all printable ASCII other than '"' and
 * '\\': they go out as they are. */
bool json_plain8(const char *s);

/* Appends s with JSON string escaping, without the quotes. */
void fmt_json_str(fmt_t *f, const char *s);

/* key: the member name inside an object; NULL inside an array or at the top.
 * Keys are this program's own names (plain ASCII, no '"' or '\\'): written
 * as they are, where values are escaped.
 * Nesting deeper than JSON_DEPTH_MAX is a caller's bug (the writer stops
 * nesting and keeps the output well-formed up to that point). */
void json_obj(json_t *j, fmt_t *f, const char *key);  /* { */
void json_arr(json_t *j, fmt_t *f, const char *key);  /* [ */
void json_end_obj(json_t *j, fmt_t *f);               /* } */
void json_end_arr(json_t *j, fmt_t *f);               /* ] */
void json_null(json_t *j, fmt_t *f, const char *key);

/* A value the caller writes itself as JSON text of exactly n bytes (a
 * whole object, say): where it goes, after its separator, or NULL when it
 * does not fit (nothing written, the state unchanged: write it member by
 * member instead, which cuts what does not fit). The caller writes the n
 * bytes, then fmt_wrote_to(f, where + n). */
static inline char *json_room(json_t *j, fmt_t *f, size_t n)
{
    if (j->depth > JSON_DEPTH_MAX) return NULL;
    uint8_t bit = (uint8_t)(j->depth ? 1u << (j->depth - 1) : 0u);
    bool comma = bit && !(j->first & bit);
    char *d = fmt_room(f, n + comma);
    if (!d) return NULL;
    j->first = (uint8_t)(j->first & ~bit);
    if (comma) *d++ = ',';
    return d;
}

/* The same with the key's length given; the calls above pass it from an
 * inline strlen, which the compiler works out for a literal key. */
void json_str_n(json_t *j, fmt_t *f, const char *key, size_t klen, const char *val);
void json_u32_n(json_t *j, fmt_t *f, const char *key, size_t klen, uint32_t val);
void json_bool_n(json_t *j, fmt_t *f, const char *key, size_t klen, bool val);
/* A number given in tenths, written with its one decimal: 837 -> 83.7 */
void json_tenths_n(json_t *j, fmt_t *f, const char *key, size_t klen, uint32_t tenths);
static inline size_t json_klen(const char *key) { return key ? strlen(key) : 0; }
#define JSON_KLEN(key) json_klen(key)
#define json_str(j, f, key, val) json_str_n(j, f, key, JSON_KLEN(key), val)
#define json_u32(j, f, key, val) json_u32_n(j, f, key, JSON_KLEN(key), val)
#define json_bool(j, f, key, val) json_bool_n(j, f, key, JSON_KLEN(key), val)
#define json_tenths(j, f, key, val) json_tenths_n(j, f, key, JSON_KLEN(key), val)

/*
 * Reading: the members of one flat JSON object, as PATCH bodies carry them:
 * {"policy.mode": "enforce", "policy.evict_rate": 5, "policy.evict_orphans": false}
 * Values may be strings, numbers (integers, given back as written), true,
 * false; nested objects, arrays and null are refused.
 */
typedef struct {
    const char *p, *end;
    uint8_t state; /* private */
} json_iter_t;

/* Starts reading text[len] (need not be NUL-terminated). */
void json_iter_init(json_iter_t *it, const char *text, size_t len);

/*
 * Next member: returns 1 with key and value copied (NUL-terminated; string
 * escapes \" \\ \/ \b \f \n \r \t and \uXXXX below 0x80 decoded; others refused),
 * 0 after the closing brace (only whitespace may follow), -1 on malformed
 * input, a key or value that does not fit kcap/vcap, or a refused value.
 * After -1 every call returns -1.
 */
int json_iter_next(json_iter_t *it, char *key, size_t kcap, char *val, size_t vcap);

#endif
