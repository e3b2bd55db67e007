#include "leaks.h"

#include <stddef.h>
#include <string.h>

#include "hal_nv.h"
#include "nvrec.h"
#include "text.h"

void leaks_init(leaks_t *t) { memset(t, 0, sizeof *t); }

static uint16_t inc(uint16_t v) { return v < LEAK_COUNT_MAX ? (uint16_t)(v + 1) : v; }

static bool used(const leak_t *l) { return l->client[0] != '\0'; }

static void touch(leaks_t *t, const leak_t *l)
{
    size_t i = (size_t)(l - t->row);
    t->dirty[i / 32] |= 1u << (i % 32);
}

uint32_t leaks_muldiv_bits(uint32_t a, uint32_t b, uint32_t c)
{
    uint64_t p = (uint64_t)a * b;
    uint32_t rem = (uint32_t)(p >> 32), lo = (uint32_t)p, q = 0;
    if (rem >= c) return UINT32_MAX;
    for (int i = 0; i < 32; i++) { /* long division, a bit at a time */
        uint32_t carry = rem >> 31;
        rem = rem << 1 | lo >> 31;
        lo <<= 1;
        q <<= 1;
        if (carry || rem >= c) {
            rem -= c;
            q |= 1;
        }
    }
    return q;
}

uint32_t leaks_muldiv(uint32_t a, uint32_t b, uint32_t c)
{
#if UINTPTR_MAX > UINT32_MAX /* a 64-bit machine divides 64 bits itself */
    uint64_t q = (uint64_t)a * b / c;
    return q > UINT32_MAX ? UINT32_MAX : (uint32_t)q;
#else
    return leaks_muldiv_bits(a, b, c);
#endif
}

uint32_t leak_total(const leak_t *l)
{
    uint32_t n = 0;
    for (int i = 0; i < LEAK_REASONS; i++) n += l->by_reason[i];
    return n;
}

/* Moves the window on so that slot[0] is now's slot. A clock set back
 * counts in the newest slot. */
static void advance(leak_t *l, uint32_t now)
{
    uint32_t at = now / LEAK_SLOT_S;
    if (at <= l->slot_at) return;
    uint32_t d = at - l->slot_at;
    for (uint32_t i = LEAK_SLOTS; i-- > 0;) l->slot[i] = i >= d ? l->slot[i - d] : 0;
    l->slot_at = at;
}

uint32_t leak_rate10(const leak_t *l, uint32_t now)
{
    uint32_t at = now / LEAK_SLOT_S, n = 0;
    uint32_t d = at > l->slot_at ? at - l->slot_at : 0;
    for (uint32_t i = 0; i + d < LEAK_SLOTS; i++) n += l->slot[i];
    if (n == 0) return 0;
    /* over the window's first slot to now, or the row's life if shorter */
    uint32_t start = at + 1 >= LEAK_SLOTS ? (at + 1 - LEAK_SLOTS) * LEAK_SLOT_S : 0;
    if ((int32_t)(l->first_s - start) > 0) start = l->first_s;
    uint32_t span = (int32_t)(now - start) > 0 ? now - start : 0;
    if (span < LEAK_MIN_SPAN_S) span = LEAK_MIN_SPAN_S;
    return leaks_muldiv(n, LEAKS_DAY10, span);
}

sess_reason_t leak_reason(const leak_t *l)
{
    int best = 0;
    for (int i = 1; i < LEAK_REASONS; i++)
        if (l->by_reason[i] > l->by_reason[best]) best = i;
    return (sess_reason_t)(REASON_IDLE + best);
}

const char *leak_hint(const leak_t *l)
{
    if (!l->user[0])
        return "null sessions from one address: IPC$ enumeration by a scanner, a monitoring tool "
               "or a misconfigured client";
    switch (leak_reason(l)) {
    case REASON_ORPHAN:
        return "a dead client holding files open: check the client before ending them with force";
    case REASON_DUPLICATE:
        return "several logons from one machine: two accounts, or a program that logs on again "
               "instead of reusing its session";
    default:
        return "idle without a logoff: check the services and scheduled tasks running as this "
               "account on this client (the redirector's known leak)";
    }
}

/* Whether a comes before b for operators: higher rate, more sessions,
 * earlier in the table. */
static bool before(const leak_t *a, const leak_t *b, uint32_t now)
{
    uint32_t ra = leak_rate10(a, now), rb = leak_rate10(b, now);
    if (ra != rb) return ra > rb;
    uint32_t na = leak_total(a), nb = leak_total(b);
    if (na != nb) return na > nb;
    return a < b;
}

const leak_t *leaks_next(const leaks_t *t, uint32_t now, const leak_t *prev)
{
    const leak_t *best = NULL;
    for (const leak_t *l = t->row; l < t->row + AGENT_LEAK_CAP; l++)
        if (used(l) && (!prev || before(prev, l, now)) && (!best || before(l, best, now)))
            best = l;
    return best;
}

uint32_t leaks_rows(const leaks_t *t)
{
    uint32_t n = 0;
    for (const leak_t *l = t->row; l < t->row + AGENT_LEAK_CAP; l++) n += used(l);
    return n;
}

uint32_t leaks_rate10(const leaks_t *t, uint32_t now)
{
    uint32_t sum = 0;
    for (const leak_t *l = t->row; l < t->row + AGENT_LEAK_CAP; l++) {
        uint32_t r = used(l) ? leak_rate10(l, now) : 0;
        sum = sum + r < sum ? UINT32_MAX : sum + r;
    }
    return sum;
}

uint32_t leaks_key_hashed(const char *client, uint32_t client_hash, const char *user)
{
    return (client[0] ? client_hash : text_ihash("?")) * 31u ^ text_ihash(user);
}

uint32_t leaks_key(const char *client, const char *user)
{
    return leaks_key_hashed(client, text_ihash(client), user);
}

#if AGENT_RING_INDEX
#define INDEX_MASK ((1u << LEAK_INDEX_BITS) - 1)

static void index_add(leaks_t *t, const leak_t *l)
{
    uint32_t i = l->key & INDEX_MASK;
    while (t->index[i]) i = (i + 1) & INDEX_MASK;
    t->index[i] = (leak_at_t)(l - t->row + 1);
}

/* Takes row l (in use) out of the index: each later entry of its run
 * whose probe started at or before the gap moves up into it. */
static void index_remove(leaks_t *t, const leak_t *l)
{
    uint32_t gap = l->key & INDEX_MASK;
    while (t->index[gap] != l - t->row + 1) gap = (gap + 1) & INDEX_MASK;
    for (uint32_t j = (gap + 1) & INDEX_MASK; t->index[j]; j = (j + 1) & INDEX_MASK) {
        uint32_t home = t->row[t->index[j] - 1].key & INDEX_MASK;
        if (((j - home) & INDEX_MASK) >= ((j - gap) & INDEX_MASK)) {
            t->index[gap] = t->index[j];
            gap = j;
        }
    }
    t->index[gap] = 0;
}

/* The row of a source whose leaks_key() is key: its index, or -1. */
static int find_key(const leaks_t *t, uint32_t key, const char *client, const char *user)
{
    for (uint32_t i = key & INDEX_MASK; t->index[i]; i = (i + 1) & INDEX_MASK) {
        const leak_t *l = &t->row[t->index[i] - 1];
        if (l->key == key && text_ieq(l->client, client) && text_ieq(l->user, user)) return t->index[i] - 1;
    }
    return -1;
}
#else
/* A small table (the firmware's): each row looked at. */
static void index_add(leaks_t *t, const leak_t *l) { (void)t, (void)l; }
static void index_remove(leaks_t *t, const leak_t *l) { (void)t, (void)l; }

static int find_key(const leaks_t *t, uint32_t key, const char *client, const char *user)
{
    for (int i = 0; i < AGENT_LEAK_CAP; i++) {
        const leak_t *l = &t->row[i];
        if (l->key == key && used(l) && text_ieq(l->client, client) && text_ieq(l->user, user)) return i;
    }
    return -1;
}
#endif

/* A free row, or the least significant one (the fewest sessions, then the
 * latest leak longest ago), which gives way. Defends against a client that
 * names itself anew for each session (its name is its own to choose): a
 * flood of one-off sources only displaces other one-offs. */
static leak_t *room(leaks_t *t)
{
    uint32_t least_n = UINT32_MAX; /* a free row's total is 0: it is among the least */
    for (uint32_t i = 0; i < AGENT_LEAK_CAP; i++)
        if (t->total[i] < least_n) least_n = t->total[i];
    leak_t *least = NULL;
    for (uint32_t i = 0; i < AGENT_LEAK_CAP; i++) {
        if (t->total[i] != least_n) continue;
        leak_t *l = &t->row[i];
        if (!used(l)) return l;
        if (!least || (int32_t)(l->last_s - least->last_s) < 0) least = l;
    }
    t->dropped++;
    return least;
}

/* A source's client as kept: a free row has an empty one. */
static const char *named(const char *client) { return client[0] ? client : "?"; }

/* Copies src to dst of cap bytes; false if it had to cut it. */
static bool copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    bool whole = n < cap;
    if (!whole) n = text_cut(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
    return whole;
}

void leaks_stale(leaks_t *t, uint32_t key, const char *client, const char *user, sess_reason_t why,
                 uint32_t when)
{
    if (why < REASON_IDLE || why > REASON_ORPHAN) return;
    client = named(client);
    int at = find_key(t, key, client, user);
    leak_t *l = at >= 0 ? &t->row[at] : NULL;
    if (!l) {
        l = room(t);
        if (used(l)) index_remove(t, l); /* it gives way */
        memset(l, 0, sizeof *l);
#if AGENT_NV_EVENT_PAGES
        t->loaded_last[l - t->row] = 0;
#endif
        bool whole = copy(l->client, sizeof l->client, client);
        whole &= copy(l->user, sizeof l->user, user);
        l->key = whole ? key : leaks_key(l->client, l->user);
        l->first_s = l->last_s = when;
        l->slot_at = when / LEAK_SLOT_S;
        index_add(t, l);
    }
    advance(l, when);
    uint32_t back = l->slot_at - when / LEAK_SLOT_S; /* slots before the newest */
    if (back < LEAK_SLOTS) l->slot[back] = inc(l->slot[back]);
    l->by_reason[why - REASON_IDLE] = inc(l->by_reason[why - REASON_IDLE]);
    t->total[l - t->row] = leak_total(l);
    if ((int32_t)(when - l->first_s) < 0) l->first_s = when;
    if ((int32_t)(when - l->last_s) > 0) l->last_s = when;
    touch(t, l);
}

bool leaks_seen(const leaks_t *t, uint32_t key, const char *client, const char *user, uint32_t when)
{
#if AGENT_NV_EVENT_PAGES
    int at = find_key(t, key, named(client), user);
    return at >= 0 && t->loaded_last[at] && (int32_t)(t->loaded_last[at] - when) >= 0;
#else
    (void)t, (void)key, (void)client, (void)user, (void)when;
    return false; /* nothing is read back */
#endif
}

void leaks_ended(leaks_t *t, uint32_t key, const char *client, const char *user, bool evicted)
{
    int at = find_key(t, key, named(client), user);
    if (at < 0) return; /* its row gave way meanwhile */
    leak_t *l = &t->row[at];
    if (evicted)
        l->evicted = inc(l->evicted);
    else
        l->ended = inc(l->ended);
    touch(t, l);
}

/* ---- NV ---------------------------------------------------------------------- */

#if AGENT_NV_EVENT_PAGES

#define FORMAT_ROWS 0x314b4c53u /* "SLK1": rows as they lie in RAM (read only) */
#define FORMAT 0x324b4c53u      /* "SLK2": each row's texts up to their ends (put_row) */
#define PAIR_ROWS_MAX 8u   /* rows a 1 KiB page holds */
#define HEAD 12u           /* format, dropped, rows that follow */

static uint8_t pair_buf[HEAD + PAIR_ROWS_MAX * sizeof(leak_t)];

/* The store's page size, and the rows one pair of pages holds. */
static uint32_t per_pair(uint32_t *page_size)
{
    hal_nv_geometry_t g;
    hal_nv_geometry(&g);
    *page_size = g.page_size;
    uint32_t n = g.page_size > NVREC_HEADER + HEAD ? (g.page_size - NVREC_HEADER - HEAD) / sizeof(leak_t) : 0;
    return n < PAIR_ROWS_MAX ? n : PAIR_ROWS_MAX;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* A row as saved: a free one is an empty client; one in use is its client
 * and user, each up to and including its terminator, then its counts. */
#define COUNTS (sizeof(leak_t) - offsetof(leak_t, first_s))
_Static_assert(offsetof(leak_t, key) == offsetof(leak_t, user) + HAL_SMB_USER_MAX &&
               offsetof(leak_t, first_s) == offsetof(leak_t, key) + 4, "a row's counts follow its texts");

static uint32_t put_row(uint8_t *p, const leak_t *l)
{
    if (!used(l)) return *p = 0, 1;
    size_t c = strlen(l->client) + 1, u = strlen(l->user) + 1;
    memcpy(p, l->client, c);
    memcpy(p + c, l->user, u);
    memcpy(p + c + u, &l->first_s, COUNTS);
    return (uint32_t)(c + u + COUNTS);
}

/* The text at *p, before end, into dst (cap bytes with its terminator). */
static bool get_text(char *dst, size_t cap, const uint8_t **p, const uint8_t *end)
{
    size_t room = (size_t)(end - *p) < cap ? (size_t)(end - *p) : cap;
    const uint8_t *z = memchr(*p, 0, room);
    if (!z) return false;
    memcpy(dst, *p, (size_t)(z - *p) + 1);
    *p = z + 1;
    return true;
}

/* Row l (zeroed) from *p as put_row wrote it; false if it does not fit before end. */
static bool get_row(leak_t *l, const uint8_t **p, const uint8_t *end)
{
    if (!get_text(l->client, sizeof l->client, p, end)) return false;
    if (!used(l)) return true;
    if (!get_text(l->user, sizeof l->user, p, end) || (size_t)(end - *p) < COUNTS) return false;
    memcpy(&l->first_s, *p, COUNTS);
    *p += COUNTS;
    return true;
}

/* A row changed since its pair's record goes after that record, in the
 * same page, as a delta: its head (DELTA_TAG, the row's place in the pair,
 * the length of its saved form), dropped, the row as put_row writes it,
 * zeros to a whole word, and a CRC of all that started from the record's
 * sequence number, so a delta counts only after the record it follows. No
 * erase until the page is full; then the pair is written anew over its
 * other page, as before. */
#define DELTA_TAG 0xd1u
#define DELTA_HEAD 8u

static uint32_t words(uint32_t n) { return (n + 3u) & ~3u; }

static bool touched(const leaks_t *t, uint32_t i) { return (t->dirty[i / 32] >> (i % 32)) & 1; }

/* Writes pair p's changed rows (of first .. first + n) as deltas after its
 * record; false when they do not fit there or the write failed. */
static bool append_rows(leaks_t *t, uint32_t p, uint32_t first, uint32_t n, uint32_t page_size)
{
    uint32_t len = 0, seq = t->pair[p].seq;
    for (uint32_t i = first; i < first + n; i++) {
        if (!touched(t, i)) continue;
        if (len + DELTA_HEAD + words(sizeof(leak_t)) + 4 > sizeof pair_buf) return false;
        uint8_t *d = pair_buf + len;
        uint32_t k = put_row(d + DELTA_HEAD, &t->row[i]), size = DELTA_HEAD + words(k);
        put32(d, DELTA_TAG | (i - first) << 8 | k << 16);
        put32(d + 4, t->dropped);
        memset(d + DELTA_HEAD + k, 0, words(k) - k);
        put32(d + size, nvrec_crc32(seq, d, size));
        len += size + 4;
    }
    if (!t->tail[p] || len > page_size - t->tail[p]) return false;
    if (nvrec_tail_append(AGENT_NV_LEAK_PAGE + 2 * p, &t->pair[p], t->tail[p], pair_buf, len) != NVREC_OK)
        return t->tail[p] = 0, false; /* what it left there is unknown: the pair is written anew */
    t->tail[p] += len;
    return true;
}

void leaks_save(leaks_t *t)
{
    uint32_t page_size, per = per_pair(&page_size);
    for (uint32_t p = 0, first = 0; per && first < AGENT_LEAK_CAP && 2 * p < AGENT_NV_LEAK_PAGES;
         p++, first += per) {
        uint32_t n = AGENT_LEAK_CAP - first < per ? AGENT_LEAK_CAP - first : per;
        bool changed = false;
        for (uint32_t i = first; i < first + n; i++) changed |= touched(t, i);
        if (!changed) continue;
        if (!append_rows(t, p, first, n, page_size)) {
            put32(pair_buf, FORMAT);
            put32(pair_buf + 4, t->dropped);
            put32(pair_buf + 8, n);
            uint32_t len = HEAD;
            for (uint32_t i = first; i < first + n; i++) len += put_row(pair_buf + len, &t->row[i]);
            if (nvrec_save_from(AGENT_NV_LEAK_PAGE + 2 * p, pair_buf, len, &t->pair[p]) != NVREC_OK)
                continue; /* stays changed: tried again after the next sample */
            t->tail[p] = NVREC_HEADER + words(len) < page_size ? NVREC_HEADER + words(len) : 0;
        }
        for (uint32_t i = first; i < first + n; i++) t->dirty[i / 32] &= ~(1u << (i % 32));
    }
}

/* Applies the deltas after pair p's record (len bytes, n rows) in turn.
 * Returns where the next one goes, or 0 when what follows the last good
 * one is not erased (a delta cut by a power loss, or damage): the pair is
 * then written anew at its next save. *io: the store failed to read. */
static uint32_t load_deltas(leaks_t *t, uint32_t p, uint32_t first, uint32_t n, uint32_t len,
                            uint32_t page_size, bool *io)
{
    const nvrec_info_t *rec = &t->pair[p];
    uint32_t page = AGENT_NV_LEAK_PAGE + 2 * p, off = NVREC_HEADER + words(len);
    uint8_t *d = pair_buf;
    while (page_size - off >= DELTA_HEAD + 4) {
        if (nvrec_tail_read(page, rec, off, d, DELTA_HEAD) != NVREC_OK) return *io = true, 0;
        uint32_t head = get32(d), k = head >> 16, size = DELTA_HEAD + words(k);
        if (head == 0xffffffffu) break; /* erased: the end */
        if ((head & 255) != DELTA_TAG || (head >> 8 & 255) >= n || k == 0 || k > sizeof(leak_t) ||
            size + 4 > page_size - off)
            return 0;
        if (nvrec_tail_read(page, rec, off + DELTA_HEAD, d + DELTA_HEAD, size - DELTA_HEAD + 4) != NVREC_OK)
            return *io = true, 0;
        if (nvrec_crc32(rec->seq, d, size) != get32(d + size)) return 0;
        leak_t row;
        memset(&row, 0, sizeof row);
        const uint8_t *at = d + DELTA_HEAD;
        if (!get_row(&row, &at, d + DELTA_HEAD + k) || at != d + DELTA_HEAD + k) return 0;
        t->row[first + (head >> 8 & 255)] = row;
        if (get32(d + 4) > t->dropped) t->dropped = get32(d + 4);
        off += size + 4;
    }
    for (uint32_t o = off; o < page_size; o += 32) { /* nothing written after the last */
        uint32_t k = page_size - o < 32 ? page_size - o : 32;
        if (nvrec_tail_read(page, rec, o, d, k) != NVREC_OK) return *io = true, 0;
        for (uint32_t i = 0; i < k; i++)
            if (d[i] != 0xff) return 0;
    }
    return off < page_size ? off : 0;
}

/* The index of rows read back. */
static void index_build(leaks_t *t)
{
#if AGENT_RING_INDEX
    memset(t->index, 0, sizeof t->index);
#endif
    for (const leak_t *l = t->row; l < t->row + AGENT_LEAK_CAP; l++)
        if (used(l)) index_add(t, l);
}

/* Makes a row read from NV safe to use: its texts terminated, printable
 * UTF-8, and no row twice. False if it is to be dropped. */
static bool sane(leaks_t *t, leak_t *l)
{
    size_t rest = text_clean(l->client, sizeof l->client); /* nothing after the ends, */
    memset(l->client + sizeof l->client - rest, 0, rest);    /* as the saved form keeps none */
    rest = text_clean(l->user, sizeof l->user);
    memset(l->user + sizeof l->user - rest, 0, rest);
    if (!used(l)) return false;
    l->key = leaks_key(l->client, l->user);
    for (const leak_t *o = t->row; o < l; o++)
        if (used(o) && text_ieq(o->client, l->client) && text_ieq(o->user, l->user)) return false;
    return true;
}

/* Pair p's rows (first .. first + want, as this build places them) from
 * its record and the changes after it. False when the store failed to
 * read (the caller tries again: a pair the next change writes anew from
 * RAM must not lose what a read error hid). */
static bool load_pair(leaks_t *t, uint32_t p, uint32_t first, uint32_t want, uint32_t page_size)
{
    size_t len;
    nvrec_info_t *info = &t->pair[p];
    nvrec_status_t rc = nvrec_load(AGENT_NV_LEAK_PAGE + 2 * p, pair_buf, sizeof pair_buf, &len, info);
    if (rc != NVREC_OK || len < HEAD)
        return rc != NVREC_EIO; /* (*info still names the newest good record, if any) */
    uint32_t n = get32(pair_buf + 8), format = get32(pair_buf);
    if (n > want) return true;
    if (format == FORMAT_ROWS && len == HEAD + n * sizeof(leak_t)) {
        memcpy(&t->row[first], pair_buf + HEAD, n * sizeof(leak_t));
    } else if (format == FORMAT) {
        const uint8_t *at = pair_buf + HEAD, *end = pair_buf + len;
        uint32_t i = first;
        while (i < first + n && get_row(&t->row[i], &at, end)) i++;
        if (i < first + n || at != end) { /* checked out, yet makes no sense */
            memset(&t->row[first], 0, n * sizeof(leak_t));
            return true;
        }
    } else {
        return true;
    }
    uint32_t dropped = get32(pair_buf + 4);
    if (dropped > t->dropped) t->dropped = dropped;
    if (format == FORMAT) {
        bool io = false;
        uint32_t tail = load_deltas(t, p, first, n, (uint32_t)len, page_size, &io);
        if (io) return false;
        /* changes go after a record of fewer rows than this build's pair
         * (a build with fewer leak rows wrote it) once it is written anew:
         * a change's place must lie within its record */
        t->tail[p] = n == want ? tail : 0;
    }
    return true;
}

void leaks_load(leaks_t *t)
{
    uint32_t page_size, per = per_pair(&page_size);
    leaks_init(t);
    for (uint32_t p = 0, first = 0; per && first < AGENT_LEAK_CAP && 2 * p < AGENT_NV_LEAK_PAGES;
         p++, first += per) {
        uint32_t want = AGENT_LEAK_CAP - first < per ? AGENT_LEAK_CAP - first : per;
        if (!load_pair(t, p, first, want, page_size)) { /* a read failed: once more */
            memset(&t->row[first], 0, want * sizeof(leak_t));
            t->tail[p] = 0;
            if (!load_pair(t, p, first, want, page_size))
                t->tail[p] = 0; /* the rows read so far; what the store cannot read is lost
                                   when a change writes the pair anew */
        }
        for (uint32_t i = first; i < first + want; i++) {
            bool held = used(&t->row[i]);
            if (!sane(t, &t->row[i])) {
                memset(&t->row[i], 0, sizeof t->row[i]);
                if (held) touch(t, &t->row[i]); /* dropped: the next save writes its pair without it */
            }
            t->total[i] = leak_total(&t->row[i]);
            t->loaded_last[i] = used(&t->row[i]) ? t->row[i].last_s : 0;
        }
    }
    index_build(t);
}

#else

void leaks_save(leaks_t *t) { (void)t; }
void leaks_load(leaks_t *t) { leaks_init(t); }

#endif
