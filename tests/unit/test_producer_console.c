/* Unit tests for producer/console: secrets are masked in all output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "producer/console.h"

static void expect_redacted(const char *in, const char *want)
{
    char *got = console_redact(in);
    assert_non_null(got);
    if (strcmp(got, want) != 0)
        fail_msg("redact(\"%s\"): expected \"%s\", got \"%s\"", in, want, got);
    free(got);
}

static void console_masks_every_secret(void **state)
{
    (void)state;
    console_add_secret("hunter2");
    console_add_secret("hunter2-long"); /* the longer match wins */
    console_add_secret("");             /* ignored, or everything would be masked */
    expect_redacted("Invalid value \"hunter2\" and hunter2-long, hunter2!",
                    "Invalid value \"***\" and ***, ***!");
    expect_redacted("nothing to hide", "nothing to hide");
    expect_redacted("cut short: hunte", "cut short: ***");
    console_clear_secrets();
    expect_redacted("hunter2", "hunter2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(console_masks_every_secret),
    };
    return cmocka_run_group_tests_name("producer_console", tests, NULL, NULL);
}
