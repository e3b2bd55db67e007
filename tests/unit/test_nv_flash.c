/* The LM3S6965 flash driver against the register model of the flash
 * controller (flash_model.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fake_hal.h"
#include "flash_model.h"
#include "flashc.h"
#include "hal_nv.h"
#include "nvrec.h"

#define NV_BASE 0x3C000u

static int setup(void **state)
{
    (void)state;
    fake_nv_reset();
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
    assert_int_equal(fake_nv_ops, 0);
}

static void test_program_ands_and_erase_restores(void **state)
{
    (void)state;
    uint8_t a[4] = {0xf0, 0x0f, 0xaa, 0x55}, b[4] = {0x3c, 0xff, 0xff, 0x00}, r[4];
    assert_int_equal(hal_nv_program(1024 + 8, a, 4), HAL_NV_OK);
    assert_int_equal(fm.fma, NV_BASE + 1024 + 8);
    assert_int_equal(hal_nv_program(1024 + 8, b, 4), HAL_NV_OK);
    assert_int_equal(hal_nv_read(1024 + 8, r, 4), HAL_NV_OK);
    uint8_t want[4] = {0x30, 0x0f, 0xaa, 0x00};
    assert_memory_equal(r, want, 4);
    assert_int_equal(fm.mem[NV_BASE + 1024 + 8], 0x30); /* at the right flash address */
    assert_int_equal(hal_nv_erase(1), HAL_NV_OK);
    assert_int_equal(fm.fma, NV_BASE + 1024);
    assert_int_equal(hal_nv_read(1024 + 8, r, 4), HAL_NV_OK);
    uint8_t ff[4] = {0xff, 0xff, 0xff, 0xff};
    assert_memory_equal(r, ff, 4);
    assert_int_equal(fm.mem[NV_BASE], 0xff);
}

/* Pages 16 on came later: they sit below the first sixteen, which stay
 * where an earlier firmware wrote them, growing down (16 at BASE - 1 KiB,
 * 21 at BASE - 6 KiB); a read across the seam joins the two places. */
static void test_added_pages_sit_below_the_first(void **state)
{
    (void)state;
    uint8_t w[8] = {1, 2, 3, 4, 5, 6, 7, 8}, r[8];
    assert_int_equal(hal_nv_program(15 * 1024, w, 4), HAL_NV_OK);
    assert_int_equal(fm.fma, NV_BASE + 15 * 1024);
    assert_int_equal(hal_nv_program(16 * 1024 - 4, w, 8), HAL_NV_OK);
    assert_int_equal(hal_nv_program(16 * 1024 + 4, w, 4), HAL_NV_OK);
    assert_int_equal(fm.fma, NV_BASE - 1024 + 4);
    assert_int_equal(fm.mem[NV_BASE - 1024], 5); /* page 16's first word */
    assert_int_equal(hal_nv_read(16 * 1024 - 4, r, 8), HAL_NV_OK);
    assert_memory_equal(r, w, 8);
    assert_int_equal(hal_nv_program(17 * 1024, w, 4), HAL_NV_OK);
    assert_int_equal(fm.fma, NV_BASE - 2048);
    assert_int_equal(hal_nv_program(21 * 1024 + 1020, w, 4), HAL_NV_OK);
    assert_int_equal(fm.fma, NV_BASE - 6 * 1024 + 1020);
    assert_int_equal(hal_nv_erase(16), HAL_NV_OK);
    assert_int_equal(fm.fma, NV_BASE - 1024);
    assert_int_equal(fm.mem[NV_BASE - 1024], 0xff);
    assert_int_equal(fm.mem[NV_BASE - 2048], 1); /* page 17 untouched */
    assert_int_equal(fm.mem[NV_BASE + 15 * 1024], 1); /* page 15 untouched */
}

static void test_faults_are_reported(void **state)
{
    (void)state;
    uint8_t a[4] = {0};
    fm.protect_lo = NV_BASE + 2048;
    fm.protect_hi = NV_BASE + 3072;
    assert_int_equal(hal_nv_erase(2), HAL_NV_EIO);
    assert_int_equal(hal_nv_program(2048, a, 4), HAL_NV_EIO);
    assert_int_equal(hal_nv_erase(3), HAL_NV_OK); /* the error was cleared */
    fm.stuck = true;
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
    int before = fake_nv_ops;
    assert_int_equal(nvrec_save(0, new_, sizeof new_), NVREC_OK);
    int per_save = fake_nv_ops - before;
    assert_true(per_save > 10);
    for (int k = 0; k < per_save; k++) {
        fake_nv_keep(0);
        assert_int_equal(nvrec_save(0, old, sizeof old), NVREC_OK); /* newest is "old" again */
        fake_nv_ops_left = k;
        (void)nvrec_save(0, new_, sizeof new_); /* the CPU "runs on" without power */
        assert_false(fake_nv_powered());
        fake_nv_reset_power(); /* reboot: the contents stay as the cut left them */
        fake_nv_ops_left = -1;
        assert_int_equal(nvrec_load(0, buf, sizeof buf, &len, &info), NVREC_OK);
        assert_int_equal(len, sizeof old);
        assert_memory_equal(buf, old, sizeof old);
        assert_int_equal(info.damaged, k > 0); /* the torn page, told (a cut erase of this
                                                  short record leaves the page erased) */
        assert_int_equal(nvrec_save(0, new_, sizeof new_), NVREC_OK); /* and it works again */
        assert_int_equal(nvrec_load(0, buf, sizeof buf, &len, &info), NVREC_OK);
        assert_memory_equal(buf, new_, sizeof new_);
        fake_nv_back(0);
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
