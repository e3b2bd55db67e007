#!/usr/bin/env bash
# The core's objects (Cortex-M3 build) must not reference the heap or stdio.
set -u
objs=(build/core-arm/agent/*.o build/core-arm/agent/mgmt/*.o)
n=0
fail=0
check() { # check DESCRIPTION PATTERN
    n=$((n + 1))
    local hits
    hits=$(arm-none-eabi-nm -u "${objs[@]}" | grep -Ew "$2" | sort -u | tr '\n' ' ')
    if [ -z "$hits" ]; then
        echo "ok $n - core references no $1"
    else
        echo "not ok $n - core references $1: $hits"
        fail=1
    fi
}
n=$((n + 1))
if [ -e "${objs[0]}" ]; then echo "ok $n - core objects built (${#objs[@]})"; else echo "not ok $n - no core objects"; exit 1; fi
check "heap" 'malloc|calloc|realloc|free|_malloc_r|_free_r|aligned_alloc|sbrk|_sbrk'
check "stdio" 'printf|fprintf|sprintf|snprintf|vsnprintf|puts|putchar|fwrite|fopen|_printf_r|iprintf|siprintf'
check "OS call" 'open|read|write|close|_read|_write|time|clock_gettime|getrandom|exit|abort'
n=$((n + 1))
bad=$(grep -hoE '#include <[^>]+>' agent/*.c agent/*.h agent/mgmt/*.c agent/mgmt/*.h | sort -u |
      grep -vE '<(stdint|stddef|stdbool|stdarg|string)\.h>' | tr '\n' ' ')
if [ -z "$bad" ]; then echo "ok $n - core includes only freestanding headers and string.h"
else echo "not ok $n - core includes $bad"; fail=1; fi
exit $fail
