#include "evstore.h"

#include <stddef.h>
#include <string.h>

#include "hal_nv.h"
#include "nvrec.h"


/*
 * One slot: the event's CRC-32 and the event. Only the bytes an event uses
 * are summed: its fixed fields, then its subject and the texts in `more`
 * each up to and including their terminators. The slot is programmed up to
 * the end of those texts (the subject's unused tail as zeros); the rest
 * stays erased. A slot of the first format, the whole event summed with
 * zeroed tails, still reads back; so does one whose subject's tail was left
 * erased (written in two parts by earlier versions).
 */
typedef struct {
    uint32_t crc;
    event_t e;
} slot_t;

#define SLOT_SIZE ((uint32_t)sizeof(slot_t))
#define FIXED ((uint32_t)offsetof(event_t, subject))
_Static_assert(sizeof(slot_t) % 4 == 0 && offsetof(slot_t, e) == 4 && FIXED % 4 == 0 &&
               offsetof(event_t, more) % 4 == 0, "slots are programmed in words");

/* Bytes of t (cap bytes) up to and including its terminator (cap: none). */
static uint32_t text_used(const char *t, uint32_t cap)
{
    const char *end = memchr(t, '\0', cap);
    return end ? (uint32_t)(end - t) + 1 : cap;
}

/* The bytes e uses of its subject and of more (two texts), and their sum. */
static uint32_t used_crc(const event_t *e, uint32_t *subject, uint32_t *more)
{
    *subject = text_used(e->subject, sizeof e->subject);
    *more = text_used(e->more, sizeof e->more);
    if (*more < sizeof e->more) *more += text_used(e->more + *more, (uint32_t)sizeof e->more - *more);
    uint32_t crc = nvrec_crc32(0, e, FIXED + *subject); /* the subject follows the fixed fields */
    return nvrec_crc32(crc, e->more, *more);
}

static uint32_t words(uint32_t n) { return (n + 3) & ~3u; }

static struct {
    uint32_t mark;     /* the number in the store: without a log, every number
                          below it may be in use; with one, a floor */
    uint32_t logged;   /* the next event to write to the log */
    uint32_t slot;     /* where it goes: slot index over the whole log */
    uint32_t per_page; /* slots in one page; 0: no log */
    bool erased_ahead; /* the slots from `slot` to its page's end are erased: this
                          start erased the page (else each is read first) */
    evstore_stats_t st;
} es;


const evstore_stats_t *evstore_stats(void) { return &es.st; }

static uint32_t slot_count(void) { return es.per_page * AGENT_NV_EVENT_PAGES; }

/* Whether the board keeps the log (a board without leaves its code out). */
static bool has_log(void) { return AGENT_NV_EVENT_PAGES && es.per_page; }

static uint32_t slot_offset(uint32_t slot, uint32_t page_size)
{
    return (AGENT_NV_EVENT_PAGE + slot / es.per_page) * page_size + slot % es.per_page * SLOT_SIZE;
}

/* Reads slot i; 1 when it holds a good event, 0 when erased, -1 when it
 * does not (torn or damaged), -2 when the store could not read it. */
static int read_slot(uint32_t i, uint32_t page_size, slot_t *s)
{
    if (hal_nv_read(slot_offset(i, page_size), s, sizeof *s) != HAL_NV_OK) return -2;
    uint32_t all = 0xffffffffu; /* erased flash reads all ones: a word at a time */
    for (size_t k = 0; k < sizeof *s; k += 4) {
        uint32_t w;
        memcpy(&w, (const uint8_t *)s + k, 4);
        all &= w;
    }
    if (all == 0xffffffffu) return 0;
    uint32_t subject, more;
    if (s->crc == used_crc(&s->e, &subject, &more)) { /* the erased rest reads as zeros */
        memset(s->e.subject + subject, 0, sizeof s->e.subject - subject);
        memset(s->e.more + more, 0, sizeof s->e.more - more);
    } else if (s->crc != nvrec_crc32(0, &s->e, sizeof s->e)) { /* nor the first format */
        return -1;
    }
    if (s->e.type >= EV_TYPE_COUNT) return -1;
    events_clean(&s->e); /* checked, but still from outside */
    return 1;
}

/* es.mark is what the store holds: a save that failed is tried again
 * before the next event. */
static void save_mark(uint32_t value)
{
    if (nvrec_save(AGENT_NV_SEQ_PAGE, &value, sizeof value) != NVREC_OK) {
        es.st.failures++;
        return;
    }
    es.mark = value;
}

void evstore_reserve(const events_t *ev)
{
    uint32_t next = events_next(ev);
    if ((int32_t)(es.mark - next) < AGENT_EVENT_SEQ_BLOCK / 2) save_mark(next + AGENT_EVENT_SEQ_BLOCK);
}

void evstore_stop(const events_t *ev)
{
    evstore_poll(ev);
    if (has_log()) save_mark(events_next(ev));
}

/* How far below the newest a restored event may be: the ring's numbers
 * must lie within half the range of 32 bits (they are compared as serial
 * numbers), the numbers after the newest included. */
#define OLDEST 0x40000000u

/* Log slots a page holds at most (more room in a page is left unused), so
 * that restore() can list every slot's number. */
#define PER_PAGE_MAX 8u

static struct {
    uint32_t seq;
    uint32_t slot;
} found[AGENT_NV_EVENT_PAGES * PER_PAGE_MAX + 1];

/* Puts into ev the newest events of the log by number, at most a ring's
 * worth, whatever their places: a page that failed to erase keeps events
 * of a lap before among newer ones, and a power cut tears slots anywhere in
 * a page (the numbers between are gaps: events not kept, numbers a restart
 * passed over). Events too far below the newest to be told apart are left.
 * Returns the number to go on from: after the newest, and after as many
 * more as slots the store could not read (each may hold one of the next
 * numbers); 0 when the log holds no good event. *unread: those slots. */
static uint32_t restore(events_t *ev, uint32_t page_size, uint32_t *unread, bool marked, uint32_t cut)
{
    slot_t s;
    uint32_t newest = 0, newest_slot = 0, n = 0;
    *unread = 0;
    for (uint32_t i = 0; i < slot_count(); i++) {
        int rc = read_slot(i, page_size, &s);
        *unread += rc == -2;
        if (rc != 1) continue;
        /* newest: the least age below the mark's reach (a total order on
         * any numbers), else (no mark) serial order */
        if (!n || (marked ? (uint32_t)(cut - s.e.seq) < (uint32_t)(cut - newest)
                          : (int32_t)(s.e.seq - newest) > 0))
            newest = s.e.seq, newest_slot = i;
        found[n].seq = s.e.seq, found[n].slot = i, n++;
    }
    es.slot = n ? (newest_slot + 1) % slot_count() : 0;
    es.st.torn = (uint8_t)(es.st.torn + (read_slot(es.slot, page_size, &s) < 0));
    if (!n) return 0;
    /* Newest first (by insertion: a few hundred slots, once at start). */
    uint32_t sorted = 0;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t seq = found[k].seq, slot = found[k].slot, age = newest - seq, j = sorted;
        if (age >= OLDEST) continue; /* too far below the newest to be told apart */
        while (j > 0 && newest - found[j - 1].seq > age) j--;
        if (j > 0 && found[j - 1].seq == seq) continue; /* one number twice (an event written again
                                                           after a program that failed yet landed) */
        memmove(&found[j + 1], &found[j], (sorted - j) * sizeof found[0]);
        found[j].seq = seq, found[j].slot = slot;
        sorted++;
    }
    uint32_t take = sorted < AGENT_EVENT_CAP ? sorted : AGENT_EVENT_CAP;
    events_start_at(ev, found[take - 1].seq);
    for (uint32_t k = take; k-- > 0;) {
        if (read_slot(found[k].slot, page_size, &s) != 1 || s.e.seq != found[k].seq) continue;
        events_put(ev, &s.e); /* (a slot the store fails to read now is passed over) */
        es.st.restored++;
    }
    return newest + 1 + *unread;
}

void evstore_boot(events_t *ev)
{
    hal_nv_geometry_t geo;
    uint32_t stored = 0, next = 1;
    size_t len;
    nvrec_info_t info;
    memset(&es, 0, sizeof es);
    hal_nv_geometry(&geo);
    nvrec_status_t rc = nvrec_load(AGENT_NV_SEQ_PAGE, &stored, sizeof stored, &len, &info);
    bool marked = rc == NVREC_OK && len == sizeof stored && stored; /* a mark was read */
    if (marked) next = stored;
    /* A copy that is damaged or was not read may have been the newer; the
     * older is at most a block below it (each save: a number handed out
     * and a block, or the next number itself at a stop). */
    bool unsure = info.damaged || rc == NVREC_EIO;
    es.st.torn = info.damaged;
    if (AGENT_NV_EVENT_PAGES && geo.page_size >= SLOT_SIZE &&
        geo.page_count >= AGENT_NV_EVENT_PAGE + AGENT_NV_EVENT_PAGES)
        es.per_page = geo.page_size / SLOT_SIZE < PER_PAGE_MAX ? geo.page_size / SLOT_SIZE : PER_PAGE_MAX;
    if (has_log()) { /* a mark saved by an earlier version is a floor under the log */
        uint32_t unread, after = restore(ev, geo.page_size, &unread, marked,
                                        next + 2u * AGENT_EVENT_SEQ_BLOCK);
        if (!after && unread) after = next + AGENT_EVENT_SEQ_BLOCK / 2; /* past that mark's reach */
        if (after && (int32_t)(after - next) > 0) next = after;
    }
    if (unsure) next += AGENT_EVENT_SEQ_BLOCK;
    if ((int32_t)(next - events_next(ev)) >= 0 && next - events_first(ev) < 0x80000000u) {
        events_skip(ev, next); /* a gap up to it */
    } else { /* (sequence numbers tell order within half their range only) */
        events_start_at(ev, next);
        es.st.restored = 0;
    }
    es.logged = next;
    es.mark = next; /* all the store may hold: the save is tried again if it fails */
    save_mark(next + AGENT_EVENT_SEQ_BLOCK);
}

/* The slots of one page a poll fills after this start erased it, put
 * together and programmed at once (one sync on a file-backed store for
 * up to a page of events, not one each): the bytes
 * from the first slot's sum to the last slot's texts, erased bytes between
 * them. The events they hold stay in the RAM ring meanwhile (written
 * before the poll ends), for a retry one slot at a time. */
static struct {
    slot_t img[PER_PAGE_MAX]; /* as the page's slots lie */
    const event_t *ev[PER_PAGE_MAX];
    uint32_t n;      /* slots put together */
    uint32_t page;   /* of the log */
    uint32_t lo, hi; /* their bytes in the page */
} run;

static int write_slot(const event_t *e, uint32_t page_size, bool together);

/* Programs the slots put together. When the flash fails that, each slot
 * is read back in turn: one that holds its event stays, one left erased
 * is programmed where it is; from the first that is neither (torn, or
 * failing again) on, the events go to the next slots (write_slot), so
 * that numbers still rise with the slots (a start goes on after the
 * newest). Failures counted. */
static void flush_run(uint32_t page_size)
{
    uint32_t n = run.n;
    bool moved = false;
    run.n = 0;
    if (!n || hal_nv_program((AGENT_NV_EVENT_PAGE + run.page) * page_size + run.lo,
                             (const uint8_t *)run.img + run.lo, run.hi - run.lo) == HAL_NV_OK)
        return;
    for (uint32_t k = 0, i = run.page * es.per_page + run.lo / SLOT_SIZE; k < n; k++, i++) {
        slot_t s;
        int rc = moved ? -1 : read_slot(i, page_size, &s);
        if (rc == 1 && s.e.seq == run.ev[k]->seq) continue; /* it landed */
        if (rc == 0 && hal_nv_program(slot_offset(i, page_size), &run.img[i % es.per_page], SLOT_SIZE) == HAL_NV_OK)
            continue; /* (the slot's unused bytes are erased ones in the image) */
        moved = true;
        if (write_slot(run.ev[k], page_size, false) != 0) es.st.failures++;
    }
}

/* Writes e into the next slot, erasing a page when the log enters it, in
 * one program from the sum to the end of the texts in `more` (one write and
 * one sync on a file-backed store, not two): a slot cut short leaves erased
 * bytes under the sum and never sums right. In a page this start erased,
 * with together, the slot is put with the others of the page (flush_run
 * programs them). A slot the flash failed to program is
 * left as it is and e goes to the next (a start passes over it). A page
 * the flash failed to erase keeps its old events (read back as the older
 * events they are) and e goes to the page after; when that one fails too,
 * e is not kept. */
static int write_slot(const event_t *e, uint32_t page_size, bool together)
{
    slot_t s;
    for (uint32_t tries = 0, erases = 0; tries < es.per_page + 1; tries++) {
        if (es.slot % es.per_page == 0) flush_run(page_size); /* the page before's, before this one's erase
                                                                 (a retry there takes slots from here) */
        uint32_t i = es.slot;
        es.slot = (es.slot + 1) % slot_count();
        if (i % es.per_page == 0) {
            es.erased_ahead = hal_nv_erase(AGENT_NV_EVENT_PAGE + i / es.per_page) == HAL_NV_OK;
            if (!es.erased_ahead) {
                es.slot = (i + es.per_page) % slot_count(); /* the next page */
                if (++erases == 2) return -1;
                continue;
            }
        } else if (!es.erased_ahead && read_slot(i, page_size, &s) != 0) {
            continue; /* a slot torn by a power cut: left alone */
        }
        bool put = together && es.erased_ahead;
        slot_t *to = put ? &run.img[i % es.per_page] : &s;
        uint32_t subject, more;
        to->e = *e;
        to->crc = used_crc(&to->e, &subject, &more);
        (void)subject; /* its tail is zeros in RAM, programmed with the rest */
        uint32_t len = 4 + (uint32_t)offsetof(event_t, more) + words(more);
        if (put) {
            memset((uint8_t *)to + len, 0xff, SLOT_SIZE - len); /* left erased */
            if (!run.n) run.page = i / es.per_page, run.lo = i % es.per_page * SLOT_SIZE;
            run.hi = i % es.per_page * SLOT_SIZE + len;
            run.ev[run.n++] = e;
            return 0;
        }
        if (hal_nv_program(slot_offset(i, page_size), &s, len) == HAL_NV_OK) return 0;
    }
    return -1;
}

/* What the log keeps: every event but a session seen and a session closed.
 * Every session makes one of each: kept, a busy server's turnover would
 * fill the log with them within a sample or two, pushing out the decisions
 * and the audit trail it is for, and cost two writes a session. */
static bool kept(const event_t *e) { return e->type != EV_SEEN && e->type != EV_CLOSED; }

void evstore_poll(const events_t *ev)
{
    hal_nv_geometry_t geo;
    if (!has_log() || es.logged == events_next(ev)) { /* no log, or nothing new */
        es.logged = events_next(ev);
        return;
    }
    hal_nv_geometry(&geo);
    if ((int32_t)(events_first(ev) - es.logged) > 0) es.logged = events_first(ev);
    /* Only the last slot_count() kept events can stay in the log: the ones
     * before them would be written over in this same call. (Fewer numbers
     * than slots hold fewer kept events: nothing to pass over.) */
    if (events_next(ev) - es.logged > slot_count()) {
        uint32_t from = events_next(ev), room = slot_count();
        for (; from != es.logged && room; from--) {
            const event_t *e = events_get(ev, from - 1);
            room -= e && kept(e);
        }
        es.logged = from;
    }
    for (; es.logged != events_next(ev); es.logged++) {
        const event_t *e = events_get(ev, es.logged);
        if (e && kept(e) && write_slot(e, geo.page_size, true) != 0) es.st.failures++;
    }
    flush_run(geo.page_size);
}
