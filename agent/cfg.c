#include "cfg.h"

#include <stddef.h>
#include <string.h>

#include "text.h"

#define MIN_S 60u
#define HOUR_S 3600u
#define DAY_S 86400u
#define KEY(n, t, field, lo, hi, d) \
    { n, lo, hi, d, (uint16_t)offsetof(cfg_t, field), t, false }
/* A key that "off" (0) turns off. */
#define KEY_OFF(n, t, field, lo, hi, d) \
    { n, lo, hi, d, (uint16_t)offsetof(cfg_t, field), t, true }
/* A rule that 0 or "off" turns off, as autodisconnect -1 does. */
#define RULE(n, field, lo, hi, d) \
    { n, lo, hi, d, (uint16_t)offsetof(cfg_t, field), CFG_T_DURATION, true }

const cfg_key_t cfg_keys[] = {
    KEY("policy.mode", CFG_T_ENUM, mode, 0, 1, CFG_MODE_REPORT),
    RULE("policy.idle_timeout", idle_timeout_s, MIN_S, 30 * DAY_S, 15 * MIN_S),
    RULE("policy.null_max_age", null_max_age_s, 10, DAY_S, 90),
    RULE("policy.dup_idle", dup_idle_s, 30, DAY_S, 5 * MIN_S),
    KEY("policy.session_limit", CFG_T_UINT, session_limit, 0, 100000, 10),
    KEY("policy.limit_high", CFG_T_PERCENT, limit_high, 1, 100, 80),
    KEY("policy.limit_low", CFG_T_PERCENT, limit_low, 1, 99, 60),
    KEY("policy.limit_min_idle", CFG_T_DURATION, limit_min_idle_s, 0, DAY_S, MIN_S),
    RULE("policy.orphan_idle", orphan_idle_s, 10 * MIN_S, 30 * DAY_S, 24 * HOUR_S),
    KEY("policy.evict_orphans", CFG_T_BOOL, evict_orphans, 0, 1, 0),
    KEY("policy.protect", CFG_T_LIST, protect, 0, AGENT_PROTECT_MAX, 0),
    KEY("policy.evict_rate", CFG_T_UINT, evict_rate, 1, AGENT_EVICT_RATE_MAX, 10),
    KEY("sample.interval", CFG_T_DURATION, sample_interval_s, 1, HOUR_S, 10),
    KEY("mgmt.port", CFG_T_UINT, mgmt_port, 1, 65535, 8443),
    KEY("mgmt.idle_timeout", CFG_T_DURATION, mgmt_idle_timeout_s, 1, HOUR_S, 60),
    KEY("mgmt.request_timeout", CFG_T_DURATION, mgmt_request_timeout_s, 1, 5 * MIN_S, 10),
    KEY("mgmt.handshake_timeout", CFG_T_DURATION, mgmt_handshake_timeout_s, 1, MIN_S, 10),
    KEY("net.address", CFG_T_IPV4, net_address, 0, UINT32_MAX, 0),
    KEY("net.netmask", CFG_T_IPV4, net_netmask, 0, UINT32_MAX, 0xffffff00u),
    KEY("net.gateway", CFG_T_IPV4, net_gateway, 0, UINT32_MAX, 0),
    KEY_OFF("net.ntp", CFG_T_IPV4, net_ntp, 1, UINT32_MAX, 0),
    KEY_OFF("log.server", CFG_T_IPV4, log_server, 1, UINT32_MAX, 0),
    KEY("log.port", CFG_T_UINT, log_port, 0, 65535, 0),
    KEY("log.proto", CFG_T_ENUM, log_proto, 0, 1, CFG_LOG_UDP),
};
const size_t cfg_key_count = sizeof cfg_keys / sizeof cfg_keys[0];
_Static_assert(sizeof cfg_keys / sizeof cfg_keys[0] <= 32, "a uint32_t has a bit for each key (console.c)");


static uint32_t *num(cfg_t *c, const cfg_key_t *k)
{
    return (uint32_t *)(void *)((char *)c + k->offset);
}

static const uint32_t *cnum(const cfg_t *c, const cfg_key_t *k)
{
    return (const uint32_t *)(const void *)((const char *)c + k->offset);
}

static char *str(cfg_t *c, const cfg_key_t *k) { return (char *)c + k->offset; }

static const char *cstr(const cfg_t *c, const cfg_key_t *k)
{
    return (const char *)c + k->offset;
}

void cfg_reset(cfg_t *c, const cfg_key_t *k)
{
    if (k->type == CFG_T_LIST)
        str(c, k)[0] = '\0';
    else
        *num(c, k) = k->def;
}

void cfg_defaults(cfg_t *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < cfg_key_count; i++) cfg_reset(c, &cfg_keys[i]);
}

const cfg_key_t *cfg_key_find(const char *name)
{
    for (size_t i = 0; i < cfg_key_count; i++)
        if (strcmp(cfg_keys[i].name, name) == 0) return &cfg_keys[i];
    return NULL;
}

/* Parses digits with an optional one-letter unit from units[] (a NUL-
 * terminated list) whose multiplier is at the same index in mult[]. */
static bool parse_scaled(const char *s, const char *units, const uint32_t *mult,
                         uint32_t *out)
{
    char digits[12];
    size_t n = strlen(s);
    uint32_t unit = 1, v;
    const char *u = n ? strchr(units, s[n - 1]) : NULL;
    if (u && *u) unit = mult[u - units], n--;
    if (n == 0 || n >= sizeof digits) return false;
    memcpy(digits, s, n);
    digits[n] = '\0';
    if (!text_u32(digits, &v) || v > UINT32_MAX / unit) return false;
    *out = v * unit;
    return true;
}

bool cfg_parse_duration(const char *s, uint32_t *out)
{
    static const uint32_t mult[] = {1, MIN_S, HOUR_S, DAY_S};
    return parse_scaled(s, "smhd", mult, out);
}

static void format_duration(uint32_t v, fmt_t *out)
{
    if (v != 0 && v % DAY_S == 0 && v >= 2 * DAY_S)
        fmt_add(out, "%ud", v / DAY_S);
    else if (v != 0 && v % HOUR_S == 0)
        fmt_add(out, "%uh", v / HOUR_S);
    else if (v != 0 && v % MIN_S == 0)
        fmt_add(out, "%um", v / MIN_S);
    else
        fmt_add(out, "%us", v);
}

/* The two words of an enum or switch key, for its values 0 and 1. */
static const char *const *choices(const cfg_key_t *k)
{
    static const char *const words[3][2] = {{"report", "enforce"}, {"off", "on"}, {"udp", "tls"}};
    return words[k->offset == offsetof(cfg_t, log_proto) ? 2 : k->type == CFG_T_BOOL];
}

static void format_number(const cfg_key_t *k, uint32_t v, fmt_t *out)
{
    if (k->off && v == 0) {
        fmt_add(out, "off");
        return;
    }
    switch (k->type) {
    case CFG_T_BOOL:
    case CFG_T_ENUM: fmt_add(out, "%s", choices(k)[v & 1]); break;
    case CFG_T_DURATION: format_duration(v, out); break;
    case CFG_T_PERCENT: fmt_add(out, "%u%%", v); break;
    case CFG_T_IPV4: fmt_add(out, "%u.%u.%u.%u", v >> 24, v >> 16 & 255, v >> 8 & 255, v & 255); break;
    default: fmt_add(out, "%u", v); break;
    }
}

static bool parse_choice(const cfg_key_t *k, const char *s, uint32_t *v)
{
    for (uint32_t i = 0; i < 2; i++)
        if (text_ieq(s, choices(k)[i])) return *v = i, true;
    return false;
}

/* "a.b.c.d", each 0..255. */
static bool parse_ipv4(const char *s, uint32_t *v)
{
    uint32_t ip = 0;
    for (int i = 0; i < 4; i++) {
        uint32_t part = 0;
        int digits = 0;
        for (; *s >= '0' && *s <= '9' && digits < 3; s++, digits++) part = part * 10 + (uint32_t)(*s - '0');
        if (!digits || part > 255 || *s != (i < 3 ? '.' : '\0')) return false;
        ip = ip << 8 | part;
        s += i < 3;
    }
    *v = ip;
    return true;
}

static bool parse_percent(const char *s, uint32_t *v)
{
    static const uint32_t one[] = {1};
    return parse_scaled(s, "%", one, v);
}

static bool is_space(char c) { return c == ' ' || c == '\t'; }

/* Normalises "a, b ,c" into "a,b,c"; each entry 1..39 printable bytes. */
static cfg_status_t parse_list(const cfg_key_t *k, const char *s, char *dst,
                               fmt_t *err)
{
    fmt_t o;
    fmt_init(&o, dst, k->max);
    if (strcmp(s, "\"\"") == 0) return CFG_OK;
    while (*s) {
        while (is_space(*s)) s++;
        if (!*s) break; /* a trailing comma, with or without spaces */
        while (*s == '\\') s++; /* "\\WS01" names the client WS01 */
        const char *b = s;
        while (*s && *s != ',') s++;
        const char *e = s;
        while (e > b && is_space(e[-1])) e--;
        if (e == b || e - b > 39) {
            fmt_add(err, "%s: every entry needs 1..39 characters", k->name);
            return CFG_EVALUE;
        }
        for (const char *p = b; p < e; p++) {
            if ((unsigned char)*p <= ' ' || *p == '"' || (unsigned char)*p >= 0x7f) {
                fmt_add(err, "%s: an entry has a space, quote or control byte", k->name);
                return CFG_EVALUE;
            }
        }
        if (o.len) fmt_add(&o, ",");
        for (const char *p = b; p < e; p++) fmt_add(&o, "%c", *p);
        if (*s == ',') s++;
    }
    if (o.overflow) {
        fmt_add(err, "%s: longer than %u characters", k->name, k->max - 1);
        return CFG_EVALUE;
    }
    return CFG_OK;
}

void cfg_format_range(const cfg_key_t *k, fmt_t *out)
{
    if (k->type == CFG_T_ENUM || k->type == CFG_T_BOOL) {
        fmt_add(out, "%s|%s", choices(k)[0], choices(k)[1]);
    } else if (k->type == CFG_T_IPV4) {
        fmt_add(out, "%sIPv4 a.b.c.d", k->off ? "off|" : "");
    } else if (k->type == CFG_T_LIST) {
        fmt_add(out, "list, %u chars", k->max - 1);
    } else {
        if (k->off) fmt_add(out, "off|");
        format_number(k, k->min, out);
        fmt_add(out, "..");
        format_number(k, k->max, out);
    }
}

cfg_status_t cfg_parse(cfg_t *c, const cfg_key_t *k, const char *value, fmt_t *err)
{
    uint32_t v = 0;
    bool ok;
    if (k->type == CFG_T_LIST) {
        char tmp[AGENT_PROTECT_MAX] = {0}; /* no stack bytes after the NUL */
        cfg_status_t st = parse_list(k, value, tmp, err);
        if (st == CFG_OK) memcpy(str(c, k), tmp, sizeof tmp);
        return st;
    }
    if (k->off && text_ieq(value, "off")) {
        ok = true; /* 0 */
    } else {
        switch (k->type) {
        case CFG_T_DURATION: ok = cfg_parse_duration(value, &v); break;
        case CFG_T_PERCENT: ok = parse_percent(value, &v); break;
        case CFG_T_BOOL:
        case CFG_T_ENUM: ok = parse_choice(k, value, &v); break;
        case CFG_T_IPV4: ok = parse_ipv4(value, &v); break;
        default: ok = text_u32(value, &v); break;
        }
    }
    if (!ok) {
        fmt_add(err, "%s: '%.40s' is not valid (", k->name, value);
        cfg_format_range(k, err);
        fmt_add(err, ")");
        return CFG_EVALUE;
    }
    if ((v < k->min || v > k->max) && !(k->off && v == 0)) {
        fmt_add(err, "%s: ", k->name);
        format_number(k, v, err);
        fmt_add(err, " is out of range ");
        cfg_format_range(k, err);
        return CFG_EVALUE;
    }
    *num(c, k) = v;
    return CFG_OK;
}

cfg_status_t cfg_check(const cfg_t *c, fmt_t *err)
{
    if (c->limit_low >= c->limit_high) {
        fmt_add(err, "policy.limit_low (%u%%) must be below policy.limit_high (%u%%)",
                c->limit_low, c->limit_high);
        return CFG_ECHECK;
    }
    if (c->log_proto == CFG_LOG_TLS && !AGENT_LOG_TLS) {
        fmt_add(err, "log.proto tls: this board sends syslog over UDP only");
        return CFG_ECHECK;
    }
    return CFG_OK;
}

void cfg_format(const cfg_t *c, const cfg_key_t *k, fmt_t *out)
{
    if (k->type == CFG_T_LIST)
        fmt_add(out, "%s", cstr(c, k)[0] ? cstr(c, k) : "\"\"");
    else
        format_number(k, *cnum(c, k), out);
}

void cfg_format_default(const cfg_key_t *k, fmt_t *out)
{
    if (k->type == CFG_T_LIST)
        fmt_add(out, "\"\"");
    else
        format_number(k, k->def, out);
}

bool cfg_equal(const cfg_t *a, const cfg_t *b, const cfg_key_t *k)
{
    if (k->type == CFG_T_LIST) return strcmp(cstr(a, k), cstr(b, k)) == 0;
    return *cnum(a, k) == *cnum(b, k);
}

bool cfg_serialize(const cfg_t *c, fmt_t *out)
{
    cfg_t def;
    cfg_defaults(&def);
    for (size_t i = 0; i < cfg_key_count; i++) {
        if (cfg_equal(c, &def, &cfg_keys[i])) continue;
        fmt_add(out, "%s ", cfg_keys[i].name);
        cfg_format(c, &cfg_keys[i], out);
        fmt_add(out, "\n");
    }
    return !out->overflow;
}

/* Applies one "key value" line to c; false if it does not parse. */
static bool apply_line(cfg_t *c, const char *line, size_t len)
{
    char buf[AGENT_PROTECT_MAX + 48];
    char errbuf[8];
    fmt_t err;
    if (len >= sizeof buf) return false;
    memcpy(buf, line, len);
    buf[len] = '\0';
    char *sp = strchr(buf, ' ');
    if (!sp) return false;
    *sp = '\0';
    const cfg_key_t *k = cfg_key_find(buf);
    fmt_init(&err, errbuf, sizeof errbuf);
    return k && cfg_parse(c, k, sp + 1, &err) == CFG_OK;
}

cfg_status_t cfg_deserialize(cfg_t *c, const char *text, size_t len, uint32_t *bad)
{
    cfg_t next = *c;
    char errbuf[8];
    fmt_t err;
    *bad = 0;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && text[j] != '\n') j++;
        if (j > i && !apply_line(&next, text + i, j - i)) (*bad)++;
        i = j + 1;
    }
    fmt_init(&err, errbuf, sizeof errbuf);
    if (cfg_check(&next, &err) != CFG_OK) return CFG_ECHECK;
    *c = next;
    return CFG_OK;
}

bool cfg_protected(const cfg_t *c, const char *name)
{
    const char *p = c->protect;
    if (!name[0]) return false;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (text_ieqn(name, p, n)) return true;
        p += n + (e ? 1 : 0);
    }
    return false;
}
