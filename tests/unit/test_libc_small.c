/* The firmware's own C library functions (firmware/libc_small.c), built
 * for the host under other names: each gives the standard function's
 * result, at every alignment and length, wherever two buffers differ. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define memcmp small_memcmp
#define strcmp small_strcmp
#define strncmp small_strncmp
#define strlen small_strlen
#define strstr small_strstr
#define strchr small_strchr
#define memchr small_memchr
#define memmove small_memmove
#define memset small_memset
char *strstr(const char *haystack, const char *needle);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
size_t strlen(const char *s);
int memcmp(const void *a, const void *b, size_t n);
char *strchr(const char *s, int c);
void *memchr(const void *s, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
#include "../../firmware/libc_small.c"
#undef memcmp
#undef memset

static int sign(int v) { return (v > 0) - (v < 0); }

/* memcmp, the word-at-a-time way included: every offset of either buffer,
 * lengths up to 40, equal, and differing at each place either way. */
static void test_memcmp(void **state)
{
    (void)state;
    _Alignas(8) unsigned char a[64], b[64];
    for (size_t oa = 0; oa < 4; oa++)
        for (size_t ob = 0; ob < 4; ob++)
            for (size_t n = 0; n <= 40; n++) {
                for (size_t i = 0; i < n; i++) a[oa + i] = b[ob + i] = (unsigned char)(i * 37 + 1);
                assert_int_equal(small_memcmp(a + oa, b + ob, n), 0);
                for (size_t at = 0; at < n; at++) {
                    unsigned char keep = b[ob + at];
                    b[ob + at] = (unsigned char)(keep + 0x81); /* above, or wrapped below */
                    assert_int_equal(sign(small_memcmp(a + oa, b + ob, n)),
                                     sign(memcmp(a + oa, b + ob, n)));
                    assert_int_equal(sign(small_memcmp(b + ob, a + oa, n)),
                                     sign(memcmp(b + ob, a + oa, n)));
                    b[ob + at] = keep;
                }
            }
}

static void test_memset(void **state)
{
    (void)state;
    _Alignas(8) unsigned char buf[64];
    for (size_t off = 0; off < 4; off++)
        for (size_t n = 0; n <= 40; n++) {
            memset(buf, 0x11, sizeof buf);
            small_memset(buf + off, 0xa5, n);
            for (size_t i = 0; i < sizeof buf; i++)
                assert_int_equal(buf[i], i >= off && i < off + n ? 0xa5 : 0x11);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memcmp),
        cmocka_unit_test(test_memset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
