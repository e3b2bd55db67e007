/*
 * cfg.h - the agent's settings: typed keys with units, ranges and defaults,
 * parsed and printed as text (the console, the API and the NV record all
 * use the same text), validated all-or-nothing.
 */
#ifndef CFG_H
#define CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent_opt.h"
#include "fmt.h"

typedef enum { CFG_MODE_REPORT = 0, CFG_MODE_ENFORCE = 1 } cfg_mode_t;
typedef enum { CFG_LOG_UDP = 0, CFG_LOG_TLS = 1 } cfg_log_proto_t;

typedef struct {
    uint32_t mode;             /* cfg_mode_t */
    uint32_t idle_timeout_s;
    uint32_t null_max_age_s;
    uint32_t dup_idle_s;
    uint32_t session_limit;    /* sessions; 0 = no limit rule */
    uint32_t limit_high;       /* percent */
    uint32_t limit_low;        /* percent */
    uint32_t limit_min_idle_s;
    uint32_t orphan_idle_s;
    uint32_t evict_orphans;    /* 0/1 */
    uint32_t evict_rate;       /* evictions a minute */
    uint32_t sample_interval_s;
    uint32_t mgmt_port;              /* TCP port of the management channel */
    uint32_t mgmt_idle_timeout_s;    /* idle keep-alive connections close */
    uint32_t mgmt_request_timeout_s; /* a request or response stalls */
    uint32_t mgmt_handshake_timeout_s; /* a TLS handshake takes longer */
    uint32_t net_address;            /* IPv4, a<<24|b<<16|c<<8|d; 0 = DHCP */
    uint32_t net_netmask;
    uint32_t net_gateway;
    uint32_t net_ntp;                /* SNTP server; 0 = the one DHCP offers */
    uint32_t log_server;             /* syslog collector, IPv4; 0 = none */
    uint32_t log_port;               /* 0 = the protocol's (514 UDP, 6514 TLS) */
    uint32_t log_proto;              /* cfg_log_proto_t */
    char protect[AGENT_PROTECT_MAX]; /* comma-separated clients and users */
} cfg_t;

typedef enum {
    CFG_OK = 0,
    CFG_EKEY = -1,   /* no such key */
    CFG_EVALUE = -2, /* value malformed or out of range; message says which */
    CFG_ECHECK = -3, /* values valid alone but not together */
} cfg_status_t;

typedef enum { CFG_T_ENUM, CFG_T_DURATION, CFG_T_UINT, CFG_T_PERCENT,
               CFG_T_BOOL, CFG_T_LIST, CFG_T_IPV4 } cfg_type_t;

typedef struct {
    const char *name; /* "policy.idle_timeout" */
    uint32_t min, max, def; /* numeric types; for LIST max is the size */
    uint16_t offset;  /* into cfg_t */
    uint8_t type;     /* cfg_type_t */
    bool off;         /* 0 (written "off") turns the rule off, beside min..max */
} cfg_key_t;

/* The key table, in display order, and its length. */
extern const cfg_key_t cfg_keys[];
extern const size_t cfg_key_count;

/* Fills c with every default. */
void cfg_defaults(cfg_t *c);

/* The key called name, or NULL. */
const cfg_key_t *cfg_key_find(const char *name);

/*
 * Parses value for key into c. On error returns CFG_EVALUE, writes a
 * one-line message into err and leaves c unchanged. Cross-key rules are
 * not checked here (see cfg_check), so several keys can be set in turn.
 */
cfg_status_t cfg_parse(cfg_t *c, const cfg_key_t *key, const char *value,
                       fmt_t *err);

/* Sets key to its default in c. */
void cfg_reset(cfg_t *c, const cfg_key_t *key);

/* Checks the rules between keys. CFG_OK, or CFG_ECHECK with a message. */
cfg_status_t cfg_check(const cfg_t *c, fmt_t *err);

/* Writes key's value in c as text that cfg_parse accepts. */
void cfg_format(const cfg_t *c, const cfg_key_t *key, fmt_t *out);

/* Writes the key's range/unit/choices ("1m..30d", "report|enforce"). */
void cfg_format_range(const cfg_key_t *key, fmt_t *out);

/* Writes the key's default as text. */
void cfg_format_default(const cfg_key_t *key, fmt_t *out);

/* Whether key has the same value in a and b. */
bool cfg_equal(const cfg_t *a, const cfg_t *b, const cfg_key_t *key);

/*
 * Serialises the keys that differ from the defaults as "key value\n" lines.
 * Returns false if it did not fit in out.
 */
bool cfg_serialize(const cfg_t *c, fmt_t *out);

/*
 * Applies "key value\n" lines (as written by cfg_serialize) onto c. A line
 * that does not parse is skipped; *bad counts them. If the result fails
 * cfg_check, c is left unchanged and CFG_ECHECK returned.
 */
cfg_status_t cfg_deserialize(cfg_t *c, const char *text, size_t len,
                             uint32_t *bad);

/* Parses a duration ("90", "90s", "15m", "2h", "1d") into seconds. */
bool cfg_parse_duration(const char *s, uint32_t *out);

/* Whether name matches an entry of the protect list (case-insensitive). */
bool cfg_protected(const cfg_t *c, const char *name);

#endif
