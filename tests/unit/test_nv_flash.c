/* The LM3S6965 flash driver against a register model of the flash
 * controller: program ANDs bits into one word, erase sets a 1 KiB page to
 * 0xFF, commands take a few polls, protected pages fault, and power can be
 * cut in the middle of any operation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "flashc.h"
#include "hal_nv.h"
#include "nvrec.h"

#define FLASH_SIZE (256u * 1024u)
#define NV_BASE 0x3C000u

static struct {
    uint8_t mem[FLASH_SIZE];
    uint32_t fma, fmd, fmc, fcris;
    int busy_polls;      /* reads of FMC that still show the command running */
    int ops_left;        /* -1: no cut; else the op that loses power halfway */
    bool powered;
    bool stuck;          /* the controller never finishes */
    uint32_t protect_lo, protect_hi; /* a protected address range */
    int ops;
} m;

static void model_reset(void)
{
    memset(&m, 0, sizeof m);
    memset(m.mem, 0xff, sizeof m.mem);
    m.ops_left = -1;
    m.powered = true;
}

/* The model acts when a command with the right key is written to FMC. */
static void run_command(uint32_t cmd)
{
    if (!m.powered) return;
    bool cut = m.ops_left == 0;
    if (m.ops_left >= 0) m.ops_left--;
    m.ops++;
    if (m.fma >= m.protect_lo && m.fma < m.protect_hi) {
        m.fcris |= FLASHC_ARIS;
        return;
    }
    if (cmd == FLASHC_ERASE) {
        uint32_t page = m.fma & ~(FLASHC_PAGE - 1);
        memset(m.mem + page, 0xff, cut ? FLASHC_PAGE / 2 : FLASHC_PAGE);
    } else if (cmd == FLASHC_WRITE) {
        uint32_t v = cut ? (m.fmd | 0xffff0000u) : m.fmd; /* half the bits land */
        for (int i = 0; i < 4; i++) m.mem[(m.fma & ~3u) + (uint32_t)i] &= (uint8_t)(v >> (8 * i));
    }
    if (cut) m.powered = false;
}

uint32_t flashc_read(uint32_t reg)
{
    switch (reg) {
    case FLASHC_FMC:
        if (m.stuck) return m.fmc;
        if (m.busy_polls > 0) return m.busy_polls--, m.fmc;
        return 0;
    case FLASHC_FCRIS: return m.fcris;
    case FLASHC_FMA: return m.fma;
    default: return 0;
    }
}

void flashc_write(uint32_t reg, uint32_t v)
{
    switch (reg) {
    case FLASHC_FMA: m.fma = v; break;
    case FLASHC_FMD: m.fmd = v; break;
    case FLASHC_FCMISC: m.fcris &= ~v; break;
    case FLASHC_FMC:
        if ((v & 0xffff0000u) != FLASHC_WRKEY) break; /* wrong key: ignored */
        m.fmc = v & 0xffffu;
        m.busy_polls = 3;
        run_command(m.fmc);
        break;
    default: break;
    }
}

const uint8_t *flashc_mem(uint32_t addr) { return m.mem + addr; }

static int setup(void **state)
{
    (void)state;
    model_reset();
    return 0;
}

static void test_geometry_and_ranges(void **state)
{
    (void)state;
    hal_nv_geometry_t g;
    uint8_t b[8] = {0};
    hal_nv_geometry(&g);
    assert_int_equal(g.page_size, 1024);
    assert_int_equal(g.page_count, 22);
    assert_int_equal(hal_nv_read(22 * 1024 - 8, b, 8), HAL_NV_OK);
    assert_int_equal(hal_nv_read(22 * 1024 - 7, b, 8), HAL_NV_ERANGE);
    assert_int_equal(hal_nv_erase(22), HAL_NV_ERANGE);
    assert_int_equal(hal_nv_program(2, b, 4), HAL_NV_ERANGE);
    assert_int_equal(hal_nv_program(0, b, 3), HAL_NV_ERANGE);
    assert_int_equal(hal_nv_program(22 * 1024, b, 4), HAL_NV_ERANGE);
    assert_int_equal(m.ops, 0);
}

static void test_program_ands_and_erase_restores(void **state)
{
    (void)state;
    uint8_t a[4] = {0xf0, 0x0f, 0xaa, 0x55}, b[4] = {0x3c, 0xff, 0xff, 0x00}, r[4];
    assert_int_equal(hal_nv_program(1024 + 8, a, 4), HAL_NV_OK);
    assert_int_equal(m.fma, NV_BASE + 1024 + 8);
    assert_int_equal(hal_nv_program(1024 + 8, b, 4), HAL_NV_OK);
    assert_int_equal(hal_nv_read(1024 + 8, r, 4), HAL_NV_OK);
    uint8_t want[4] = {0x30, 0x0f, 0xaa, 0x00};
    assert_memory_equal(r, want, 4);
    assert_int_equal(m.mem[NV_BASE + 1024 + 8], 0x30); /* at the right flash address */
    assert_int_equal(hal_nv_erase(1), HAL_NV_OK);
    assert_int_equal(m.fma, NV_BASE + 1024);
    assert_int_equal(hal_nv_read(1024 + 8, r, 4), HAL_NV_OK);
    uint8_t ff[4] = {0xff, 0xff, 0xff, 0xff};
    assert_memory_equal(r, ff, 4);
    assert_int_equal(m.mem[NV_BASE], 0xff);
}

/* Pages 16 on came later: they sit below the first sixteen, which stay
 * where an earlier firmware wrote them, growing down (16 at BASE - 1 KiB,
 * 21 at BASE - 6 KiB); a read across the seam joins the two places. */
static void test_added_pages_sit_below_the_first(void **state)
{
    (void)state;
    uint8_t w[8] = {1, 2, 3, 4, 5, 6, 7, 8}, r[8];
    assert_int_equal(hal_nv_program(15 * 1024, w, 4), HAL_NV_OK);
    assert_int_equal(m.fma, NV_BASE + 15 * 1024);
    assert_int_equal(hal_nv_program(16 * 1024 - 4, w, 8), HAL_NV_OK);
    assert_int_equal(hal_nv_program(16 * 1024 + 4, w, 4), HAL_NV_OK);
    assert_int_equal(m.fma, NV_BASE - 1024 + 4);
    assert_int_equal(m.mem[NV_BASE - 1024], 5); /* page 16's first word */
    assert_int_equal(hal_nv_read(16 * 1024 - 4, r, 8), HAL_NV_OK);
    assert_memory_equal(r, w, 8);
    assert_int_equal(hal_nv_program(17 * 1024, w, 4), HAL_NV_OK);
    assert_int_equal(m.fma, NV_BASE - 2048);
    assert_int_equal(hal_nv_program(21 * 1024 + 1020, w, 4), HAL_NV_OK);
    assert_int_equal(m.fma, NV_BASE - 6 * 1024 + 1020);
    assert_int_equal(hal_nv_erase(16), HAL_NV_OK);
    assert_int_equal(m.fma, NV_BASE - 1024);
    assert_int_equal(m.mem[NV_BASE - 1024], 0xff);
    assert_int_equal(m.mem[NV_BASE - 2048], 1); /* page 17 untouched */
    assert_int_equal(m.mem[NV_BASE + 15 * 1024], 1); /* page 15 untouched */
}

static void test_faults_are_reported(void **state)
{
    (void)state;
    uint8_t a[4] = {0};
    m.protect_lo = NV_BASE + 2048;
    m.protect_hi = NV_BASE + 3072;
    assert_int_equal(hal_nv_erase(2), HAL_NV_EIO);
    assert_int_equal(hal_nv_program(2048, a, 4), HAL_NV_EIO);
    assert_int_equal(hal_nv_erase(3), HAL_NV_OK); /* the error was cleared */
    m.stuck = true;
    assert_int_equal(hal_nv_erase(3), HAL_NV_EIO);
}

static void test_records_survive_a_power_cut_at_every_step(void **state)
{
    (void)state;
    char old[300], new_[300], buf[400];
    size_t len;
    nvrec_info_t info;
    memset(old, 'o', sizeof old);
    memset(new_, 'n', sizeof new_);
    assert_int_equal(nvrec_save(0, old, sizeof old), NVREC_OK);
    int before = m.ops;
    assert_int_equal(nvrec_save(0, new_, sizeof new_), NVREC_OK);
    int per_save = m.ops - before;
    assert_true(per_save > 10);
    static uint8_t keep[FLASH_SIZE];
    for (int k = 0; k < per_save; k++) {
        memcpy(keep, m.mem, sizeof keep);
        assert_int_equal(nvrec_save(0, old, sizeof old), NVREC_OK); /* newest is "old" again */
        m.ops_left = k;
        (void)nvrec_save(0, new_, sizeof new_); /* the CPU "runs on" without power */
        assert_false(m.powered);
        m.powered = true; /* reboot: the contents stay as the cut left them */
        m.ops_left = -1;
        assert_int_equal(nvrec_load(0, buf, sizeof buf, &len, &info), NVREC_OK);
        assert_int_equal(len, sizeof old);
        assert_memory_equal(buf, old, sizeof old);
        assert_int_equal(nvrec_save(0, new_, sizeof new_), NVREC_OK); /* and it works again */
        assert_int_equal(nvrec_load(0, buf, sizeof buf, &len, &info), NVREC_OK);
        assert_memory_equal(buf, new_, sizeof new_);
        memcpy(m.mem, keep, sizeof keep);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_geometry_and_ranges, setup),
        cmocka_unit_test_setup(test_program_ands_and_erase_restores, setup),
        cmocka_unit_test_setup(test_added_pages_sit_below_the_first, setup),
        cmocka_unit_test_setup(test_faults_are_reported, setup),
        cmocka_unit_test_setup(test_records_survive_a_power_cut_at_every_step, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
