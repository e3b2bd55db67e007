/*
 * agent_opt.h - compile-time options of the core, lwIP-style: the project's
 * options file first, then a documented default for each option, then
 * checks that turn impossible combinations into build errors.
 */
#ifndef AGENT_OPT_H
#define AGENT_OPT_H

#ifdef AGENT_OPTS_FILE
#include AGENT_OPTS_FILE
#else
#include "agent_opts.h"
#endif

/* Session records in the ring: live sessions plus the most recently ended
 * ones. Sessions beyond it are counted as untracked. */
#ifndef AGENT_RING_CAP
#define AGENT_RING_CAP 64
#endif

/* Events kept for `show events` and pollers; older ones are lost. */
#ifndef AGENT_EVENT_CAP
#define AGENT_EVENT_CAP 64
#endif

/* Bytes (incl. NUL) of an event's subject: a client, a key, or why a
 * sample failed; longer ones are cut. A board whose failures explain
 * themselves at length (the Samba board's smbstatus) takes more. */
#ifndef AGENT_EVENT_SUBJECT_MAX
#define AGENT_EVENT_SUBJECT_MAX 24
#endif

/* Bytes of an event's audit text: who acted (an API client's CN) and the
 * detail (a setting's old and new value, a fingerprint). Cut to fit. */
#ifndef AGENT_EVENT_MORE_MAX
#define AGENT_EVENT_MORE_MAX 96
#endif

/* Event numbers taken at a time and kept in the NV store, so that numbers
 * go on after a restart and none is used twice (see evstore.h). */
#ifndef AGENT_EVENT_SEQ_BLOCK
#define AGENT_EVENT_SEQ_BLOCK 1024
#endif

/* First NV page of the two that hold the next free event number. */
/* Events to a syslog collector over TLS (RFC 5425) as well as UDP: the
 * Linux boards (mbedTLS's client side, MBEDTLS_SSL_CLI_C). */
#ifndef AGENT_LOG_TLS
#define AGENT_LOG_TLS 0
#endif

#ifndef AGENT_NV_SEQ_PAGE
#define AGENT_NV_SEQ_PAGE 16
#endif

/* NV pages that keep the events themselves across restarts, from
 * AGENT_NV_EVENT_PAGE; 0 keeps only their numbering (flash that would wear
 * out under an event a minute). At least two pages (entering a page
 * erases it); a log smaller than the event ring gives back what it holds. */
#ifndef AGENT_NV_EVENT_PAGES
#define AGENT_NV_EVENT_PAGES 0
#endif
#ifndef AGENT_NV_EVENT_PAGE
#define AGENT_NV_EVENT_PAGE 32
#endif

/* Rows of the table of leak sources (leaks.h): (client, user) pairs whose
 * sessions went stale. 124 bytes a row. The Linux boards have 40. */
#ifndef AGENT_LEAK_CAP
#define AGENT_LEAK_CAP 8
#endif

/* Sources /metrics gives series of (the top ones, by rate): a bound on the
 * series a scrape carries, whatever the clients are called. */
#ifndef AGENT_LEAK_METRICS
#define AGENT_LEAK_METRICS 5
#endif

/* NV pages that keep the leak table where the event log is kept too
 * (AGENT_NV_EVENT_PAGES), from AGENT_NV_LEAK_PAGE: pairs of pages, each
 * holding as many rows as a page has room for (eight in 1 KiB). Rows
 * beyond what they hold are kept in RAM only. */
#ifndef AGENT_NV_LEAK_PAGE
#define AGENT_NV_LEAK_PAGE 22
#endif
#ifndef AGENT_NV_LEAK_PAGES
#define AGENT_NV_LEAK_PAGES 10
#endif

/* Indexes that make a sample cost the same per session at any table size:
 * live records by server session id, records in id order, ended ones in
 * the order they are reused, and each sample's groups by client and by
 * connection (policy.h). About 60 bytes a slot. Off, every rule scans the
 * ring: N^2 work a sample, for the RAM of a small ring (the firmware). */
#ifndef AGENT_RING_INDEX
#define AGENT_RING_INDEX 1
#endif

/* A sample that lists every live session again is finished by one walk
 * that judges only the records whose verdict may have changed (FIN_KEPT
 * in agent.c) instead of the general sweep. Off only in the reference the
 * traces compare against (tests/integration/test_ring_index.sh). */
#ifndef AGENT_KEPT_PASS
#define AGENT_KEPT_PASS 1
#endif

/* The CRC-32 of the NV store (every event written is summed) eight bytes
 * at a time from 8 KB of tables in RAM, filled at first use: 3.5
 * instructions a byte on x86-64 (four at a time took 4.3; the 64-byte
 * nibble table used otherwise, 14). The Linux boards have it. */
#ifndef AGENT_CRC_TABLE_BYTES
#define AGENT_CRC_TABLE_BYTES 0
#endif

/* Records fetched from the HAL per hal_smb_sample() call. */
#ifndef AGENT_SAMPLE_BATCH
#define AGENT_SAMPLE_BATCH 8
#endif

/* Batches taken per agent_poll(); bounds the work of one poll. */
#ifndef AGENT_SAMPLE_BATCHES_PER_POLL
#define AGENT_SAMPLE_BATCHES_PER_POLL 8
#endif

/* Work one agent_poll() may spend finishing a sample (ending the sessions
 * gone, classifying, choosing what to end), in records visited (a step of
 * the candidates' heap counts 4, an eviction or a newcomer placed by a
 * replay 8): bounds the cost of one poll at any table size. */
#ifndef AGENT_FINISH_WORK
#define AGENT_FINISH_WORK 512
#endif

/* Longest wait between two calls while the HAL takes a snapshot (it
 * reported HAL_SMB_PENDING). A board that can wake the loop when the
 * snapshot is ready may use a long one. */
#ifndef AGENT_PENDING_MS
#define AGENT_PENDING_MS 20
#endif

/* Highest policy.evict_rate (evictions a minute); sizes the rate window. */
#ifndef AGENT_EVICT_RATE_MAX
#define AGENT_EVICT_RATE_MAX 60
#endif

/* Seconds before an eviction that did not take effect is tried again. */
#ifndef AGENT_EVICT_RETRY_S
#define AGENT_EVICT_RETRY_S 60
#endif

/* Bytes of policy.protect (comma-separated clients and users). */
#ifndef AGENT_PROTECT_MAX
#define AGENT_PROTECT_MAX 128
#endif

/* First NV page of the two that hold the configuration record. */
#ifndef AGENT_NV_CFG_PAGE
#define AGENT_NV_CFG_PAGE 0
#endif

/* Largest saved configuration record (bytes of text). */
#ifndef AGENT_CFG_NV_MAX
#define AGENT_CFG_NV_MAX 768
#endif

/* Console input line, and the output buffer drained to hal_console_write. */
#ifndef AGENT_CONSOLE_LINE_MAX
#define AGENT_CONSOLE_LINE_MAX 160
#endif
#ifndef AGENT_CONSOLE_OUT_MAX
#define AGENT_CONSOLE_OUT_MAX 512
#endif

/* Version string reported by `show status` and the API. */
#ifndef AGENT_VERSION
#define AGENT_VERSION "0.1.0"
#endif

#if AGENT_RING_CAP < 2 || AGENT_RING_CAP > 4096
#error "AGENT_RING_CAP must be 2..4096"
#endif
#if AGENT_EVENT_CAP < 8 || (AGENT_EVENT_CAP & (AGENT_EVENT_CAP - 1))
#error "AGENT_EVENT_CAP must be a power of two >= 8"
#endif
#if AGENT_NV_EVENT_PAGES == 1
#error "AGENT_NV_EVENT_PAGES must be 0 or at least 2"
#endif
#if AGENT_EVENT_SUBJECT_MAX < 16 || AGENT_EVENT_SUBJECT_MAX > 255
#error "AGENT_EVENT_SUBJECT_MAX must be 16..255"
#endif
#if AGENT_EVENT_MORE_MAX < 16 || AGENT_EVENT_MORE_MAX > 255
#error "AGENT_EVENT_MORE_MAX must be 16..255"
#endif
#if AGENT_EVENT_SEQ_BLOCK < 16 || AGENT_EVENT_SEQ_BLOCK > 0x1000000
#error "AGENT_EVENT_SEQ_BLOCK must be 16..2^24"
#endif
#if AGENT_LEAK_CAP < 1 || AGENT_LEAK_CAP > 1024 || AGENT_NV_LEAK_PAGES % 2
#error "AGENT_LEAK_CAP must be 1..1024 and AGENT_NV_LEAK_PAGES even"
#endif
#if AGENT_SAMPLE_BATCH < 1 || AGENT_SAMPLE_BATCHES_PER_POLL < 1
#error "sampling needs at least one record per batch and one batch per poll"
#endif
#if AGENT_CONSOLE_OUT_MAX < 2 * AGENT_CONSOLE_LINE_MAX
#error "AGENT_CONSOLE_OUT_MAX must hold two full lines"
#endif

#endif
