# common/common.mk: the growable buffer and the JSON log lines that every
# part of the bootstrap (runtime/, aws/, lambda/) and the connector stand-in use.

COMMON_SRCS := common/buf.c common/bigmem.c common/log.c

UNIT_SRCS_buf := tests/unit/test_buf.c common/buf.c common/bigmem.c
UNIT_LIBS_buf := -lm
C_UNITS += buf

# The metrics line's level under Lambda's log-level filtering.
UNIT_SRCS_log := tests/unit/test_log.c common/log.c common/buf.c common/bigmem.c
UNIT_LIBS_log := -lm
C_UNITS += log

# Lines from many threads: whole, never mixed (ASan+UBSan, and ThreadSanitizer
# under make test-tsan).
UNIT_SRCS_log_threads := tests/unit/test_log_threads.c common/log.c common/buf.c common/bigmem.c
UNIT_LIBS_log_threads := -lm
C_UNITS += log_threads
TSAN_SRCS_log_threads := $(UNIT_SRCS_log_threads)
TSAN_LIBS_log_threads := -lm
TSAN_UNITS += log_threads

# The secrets a program never prints, masked by what they are.
UNIT_SRCS_secrets := tests/unit/test_secrets.c common/secrets.c
UNIT_LIBS_secrets :=
C_UNITS += secrets
# The same set masking on many threads at once (ASan+UBSan, and ThreadSanitizer
# under make test-tsan): librdkafka logs on its own threads.
UNIT_SRCS_secrets_threads := tests/unit/test_secrets_threads.c common/secrets.c
UNIT_LIBS_secrets_threads := -pthread
C_UNITS += secrets_threads
TSAN_SRCS_secrets_threads := $(UNIT_SRCS_secrets_threads)
TSAN_LIBS_secrets_threads := -pthread
TSAN_UNITS += secrets_threads

# The one hexadecimal digit reader (header-only, common/hex.h).
UNIT_SRCS_hex := tests/unit/test_hex.c
UNIT_LIBS_hex :=
C_UNITS += hex

# The numbers a command line gives (build/producer, build/train, the connector stand-in).
UNIT_SRCS_opts := tests/unit/test_opts.c common/opts.c
UNIT_LIBS_opts := -lm
C_UNITS += opts

# Large blocks in kept regions of huge pages: bytes kept across growth, reuse,
# bounds (ASan+UBSan), and many threads at once (also ThreadSanitizer under
# make test-tsan).
UNIT_SRCS_bigmem := tests/unit/test_bigmem.c common/bigmem.c
UNIT_LIBS_bigmem := -pthread
C_UNITS += bigmem
UNIT_SRCS_bigmem_threads := tests/unit/test_bigmem_threads.c common/bigmem.c
UNIT_LIBS_bigmem_threads := -pthread
C_UNITS += bigmem_threads
TSAN_SRCS_bigmem_threads := $(UNIT_SRCS_bigmem_threads)
TSAN_LIBS_bigmem_threads := -pthread
TSAN_UNITS += bigmem_threads
