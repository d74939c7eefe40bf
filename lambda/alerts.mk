# lambda/alerts.mk: SNS alerts (alert policy, SigV4 signer, SNS client and the
# notifier the handler calls), their tests and the alert benchmark.
#
# ALERT_SRCS is linked into build/bootstrap by lambda/lambda.mk.

ALERT_SRCS := lambda/sns.c lambda/sigv4.c lambda/alert.c lambda/notify.c
ALERT_LIBS = $(call libs,libcurl libcrypto) -lm
ALERT_BASE := lambda/buf.c lambda/log.c
