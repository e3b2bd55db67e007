/*
 * fake_hal.h - the HAL seam for unit tests: a settable clock, a scripted
 * console, a flash model that can lose power, an SMB table that can fail.
 * Each fake lives in its own fake_*.c so a test can swap one for a real
 * implementation (test_scenario uses the real simulator).
 */
#ifndef FAKE_HAL_H
#define FAKE_HAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal_smb.h"

/* clock */
extern uint32_t fake_ms;
extern int64_t fake_wall_s; /* what hal_clock_wall_s() answers; 0: no wall time */

/* console: input is consumed as the core reads it; output accumulates. */
void fake_console_reset(void);
void fake_console_type(const char *s);
void fake_console_type_n(const char *s, size_t n); /* any bytes, NULs too */
size_t fake_console_out_len(void);
const char *fake_console_out(void); /* NUL-terminated copy of all output */
void fake_console_clear_out(void);
extern size_t fake_console_max_write; /* bytes taken per write call; 0 = all */
extern bool fake_console_lost;         /* the next poll sees an input overrun */

/* NV: 128 pages of 1 KiB (as the Linux boards' NV store: four event-log
 * slots to a page), flash semantics: room for the event log of the Linux
 * boards (agent_opt.h: pages 32..127) in tests. */
#ifndef FAKE_NV_PAGE
#define FAKE_NV_PAGE 1024u
#endif
#define FAKE_NV_PAGES 128u
void fake_nv_reset(void);              /* all erased, power on */
extern uint8_t fake_nv_mem[FAKE_NV_PAGE * FAKE_NV_PAGES];
extern int fake_nv_ops_left;           /* -1: no cut; else the op that many
                                          erases/programs later loses power */
extern int fake_nv_ops;                /* erases + programs so far */
extern int fake_nv_erases;             /* of which erases */
extern int fake_nv_erase_errors;       /* erases still to fail, power on (reset: 0) */
extern int fake_nv_program_errors;     /* programs still to fail, power on (reset: 0) */
extern int32_t fake_nv_flaky_at;       /* a read covering this offset fails once, */
extern int fake_nv_flaky_after;        /* after this many good ones (reset: -1, none) */
extern bool fake_nv_word_cuts;         /* count (and cut) each programmed
                                          word as an op, as a flash stops
                                          after its Nth word (reset: off) */
extern int fake_nv_refuse_nth;         /* the program that many programs on is
                                          refused once (reset: -1, none) */
extern int fake_nv_refused_lands;      /* what a refused program leaves: 0 nothing,
                                          1 its first half, 2 all of it (a file
                                          written whose sync failed) (reset: 0) */
bool fake_nv_powered(void);
void fake_nv_reset_power(void);        /* power back, contents as they are */
extern uint32_t fake_nv_pages;         /* pages the geometry reports (reset: all) */
/* Snapshots of the whole store, in slot 0 or 1: taken, put back, and
 * whether anything was programmed since (a byte now other than both its
 * snapshot value and erased). */
void fake_nv_keep(int slot);
void fake_nv_back(int slot);
bool fake_nv_programmed(int slot);

/* SMB table */
#ifndef FAKE_SMB_MAX
#define FAKE_SMB_MAX 200 /* more for tests/bench/bench_core.c */
#endif
extern hal_smb_session_t fake_smb[FAKE_SMB_MAX];
extern size_t fake_smb_n;
extern uint32_t fake_smb_caps_v;
extern int fake_smb_fail;        /* samples left to fail */
extern int fake_smb_pending;     /* calls left to answer PENDING */
extern int fake_smb_end_rc;      /* what end_* returns */
extern bool fake_smb_end_removes;/* end_* removes the sessions */
extern uint32_t fake_smb_ends;   /* end_* calls */
extern bool fake_smb_no_rewind;  /* hal_smb_rewind() says ENOTSUP */
extern uint32_t fake_smb_rewinds; /* hal_smb_rewind() calls */
extern uint32_t fake_smb_handed;  /* records hal_smb_sample() returned */
extern uint32_t fake_smb_opens_lost;
extern char fake_smb_log[1024];  /* "S4097 C5001 Kname " for each end call */
void fake_smb_reset(uint32_t caps);
hal_smb_session_t *fake_smb_add(uint32_t sid, uint32_t conn, const char *client,
                                const char *user, uint32_t opens, uint32_t idle_s);
bool fake_smb_has(uint32_t sid);

/* watchdog, reset and exit */
extern int fake_resets;
extern int fake_exits;      /* hal_system_exit calls */
extern bool fake_can_exit;  /* what it answers */

#endif
