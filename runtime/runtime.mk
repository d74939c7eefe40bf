# runtime/runtime.mk: the Lambda Runtime API client (any C handler can link it).
# Its integration suite (test-runtime) drives the real bootstrap, so it lives
# in lambda/lambda.mk.

RUNTIME_SRCS := runtime/runtime.c runtime/runtime_headers.c runtime/runtime_text.c

UNIT_SRCS_runtime_headers := tests/unit/test_runtime_headers.c runtime/runtime_headers.c \
                             runtime/runtime_text.c common/buf.c
UNIT_LIBS_runtime_headers := -lm
UNIT_SRCS_runtime_text := tests/unit/test_runtime_text.c runtime/runtime_text.c common/buf.c
UNIT_LIBS_runtime_text := -lm
C_UNITS += runtime_headers runtime_text
