# runtime/runtime.mk: the Lambda Runtime API client (any C handler can link it).
# Its integration suite (test-runtime) drives the real bootstrap, so it lives
# in lambda/lambda.mk.

RUNTIME_SRCS := runtime/runtime.c
