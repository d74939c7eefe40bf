# common/common.mk: the growable buffer and the JSON log lines that every
# part of the bootstrap (runtime/, aws/, lambda/) and the connector stand-in use.

COMMON_SRCS := common/buf.c common/log.c

UNIT_SRCS_buf := tests/unit/test_buf.c common/buf.c
UNIT_LIBS_buf := -lm
C_UNITS += buf

# The metrics line's level under Lambda's log-level filtering.
UNIT_SRCS_log := tests/unit/test_log.c common/log.c common/buf.c
UNIT_LIBS_log := -lm
C_UNITS += log
