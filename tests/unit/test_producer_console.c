/* Unit tests for producer/console: secrets are masked in all output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "producer/console.h"

static void console_masks_every_secret(void **state)
{
    (void)state;
    char out[256];
    console_add_secret("hunter2");
    console_add_secret("hunter2-long"); /* the longer match wins */
    console_add_secret("");             /* ignored, or everything would be masked */
    console_redact("Invalid value \"hunter2\" and hunter2-long, hunter2!", out, sizeof(out));
    assert_string_equal(out, "Invalid value \"***\" and ***, ***!");
    console_redact("nothing to hide", out, sizeof(out));
    assert_string_equal(out, "nothing to hide");
    console_redact("hunter2", out, 3); /* truncation never shows part of it */
    assert_string_equal(out, "**");
    console_clear_secrets();
    console_redact("hunter2", out, sizeof(out));
    assert_string_equal(out, "hunter2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(console_masks_every_secret),
    };
    return cmocka_run_group_tests_name("producer_console", tests, NULL, NULL);
}
