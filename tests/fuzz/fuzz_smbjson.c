/* smbstatus --json output: any bytes parse to a table or to an error, and
 * every name the table keeps is well-formed UTF-8 that fits its field (it
 * goes into JSON bodies and onto the console). */
#include <string.h>

#include "fuzz.h"
#include "smbjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    smb_table_t t;
    char err[128];
    memset(&t, 0, sizeof t);
    if (smbjson_parse((const char *)data, size, "nobody", &t, err, sizeof err) != 0) {
        FUZZ_CHECK(t.count == 0);
        FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL);
        return 0;
    }
    for (size_t i = 0; i < t.count; i++) {
        const hal_smb_session_t *s = &t.entry[i].rec;
        FUZZ_CHECK(memchr(s->client, '\0', sizeof s->client) && fuzz_utf8((const uint8_t *)s->client, strlen(s->client)));
        FUZZ_CHECK(memchr(s->user, '\0', sizeof s->user) && fuzz_utf8((const uint8_t *)s->user, strlen(s->user)));
        FUZZ_CHECK(memchr(s->type, '\0', sizeof s->type) && fuzz_utf8((const uint8_t *)s->type, strlen(s->type)));
    }
    smbjson_free(&t);
    return 0;
}
