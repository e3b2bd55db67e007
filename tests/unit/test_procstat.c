/* /proc/PID/stat as the Samba board reads it: a name with spaces and
 * parentheses, and texts cut short (a fuzz run found the parser reading
 * past the end when the last ')' was the last byte). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "samba.h"

static const char STAT[] = "4242 (smbd: client (x)) S 17 4242 4242 0 -1 4194560 1 0 0 0 "
                           "3 1 0 0 20 0 1 0 98765 1000 10";

static void test_reads_a_real_line(void **state)
{
    (void)state;
    char comm[64];
    pid_t ppid = 0;
    uint64_t start = 0;
    assert_int_equal(samba_parse_stat(STAT, comm, sizeof comm, &ppid, &start), 0);
    assert_string_equal(comm, "smbd: client (x)");
    assert_int_equal(ppid, 17);
    assert_int_equal(start, 98765);
    assert_int_equal(samba_parse_stat(STAT, comm, 5, &ppid, &start), 0);
    assert_string_equal(comm, "smbd");
}

/* Every prefix of the line, each in a buffer of exactly its size: none is
 * read beyond (ASan), and only the whole line parses. */
static void test_every_prefix_stays_inside(void **state)
{
    (void)state;
    size_t n = strlen(STAT);
    for (size_t len = 0; len <= n; len++) {
        char *text = malloc(len + 1), comm[64];
        memcpy(text, STAT, len);
        text[len] = '\0';
        pid_t ppid;
        uint64_t start;
        int rc = samba_parse_stat(text, comm, sizeof comm, &ppid, &start);
        free(text);
        if (len < strlen("4242 (smbd: client (x)) S 17 4242 4242 0 -1 4194560 1 0 0 0 3 1 0 0 20 0 1 0 9"))
            assert_int_equal(rc, -1);
    }
    char comm[8];
    pid_t ppid;
    uint64_t start;
    assert_int_equal(samba_parse_stat("1 (x)", comm, sizeof comm, &ppid, &start), -1);
    assert_int_equal(samba_parse_stat("1 )x( S 1", comm, sizeof comm, &ppid, &start), -1);
    assert_int_equal(samba_parse_stat("1 (x) S -5 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 7", comm,
                                      sizeof comm, &ppid, &start), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_a_real_line),
        cmocka_unit_test(test_every_prefix_stays_inside),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
