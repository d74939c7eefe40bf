/* fleet_ddb.h: the fleet's shared items in a DynamoDB table (the fleet_store
 * of lambda/fleet.h on aws/dynamodb.h).
 *
 * The table has a string partition key "pk" and TTL on the number attribute
 * "expires" (template.yaml).  One item per test, pk "<function>#<test>":
 *   phase    N  episodes so far x 2 (+1 while one is open)
 *   expires  N  Unix seconds, refreshed by every write (TTL)
 *   e_<env>  M  {"v": evidence, "p": its phase, "t": Unix seconds}, one per environment
 *   by, at      who moved the phase last, and when (for people reading the table)
 * report is one UpdateItem (SET or REMOVE the caller's entry, phase created at
 * 0 with if_not_exists, ReturnValues ALL_NEW); advance is one UpdateItem with
 * ConditionExpression "phase = :from" (or attribute_not_exists(phase) for 0)
 * and, when DynamoDB answers ConditionalCheckFailedException, one GetItem
 * with ConsistentRead to learn the phase.  DynamoDB's TTL deletes an expired
 * item within days, and reads return it until then (developer guide,
 * "Working with expired items"): only the phase outlives the entries (each
 * ignored after FLEET_STALE_S), so a leftover item is used as it is.
 * IAM: dynamodb:GetItem and dynamodb:UpdateItem on the table.
 */
#ifndef IRIS_FLEET_DDB_H
#define IRIS_FLEET_DDB_H

#include <stddef.h>

#include "aws/dynamodb.h"
#include "lambda/fleet.h"

typedef struct fleet_ddb fleet_ddb;

/* A store on table in client c (borrowed: the caller frees it after
 * fleet_ddb_free).  Fills *iface.  NULL with err on failure. */
fleet_ddb *fleet_ddb_new(ddb_client *c, const char *table, fleet_store *iface, char *err,
                         size_t errlen);
void fleet_ddb_free(fleet_ddb *s); /* accepts NULL; frees what fleet_ddb_from_env made */

/* The function's fleet from its environment: ALERT_STATE_TABLE (unset or "":
 * none, *out = NULL, each environment alone as before), AWS_REGION, the
 * credentials Lambda sets, and the endpoint as the AWS SDKs choose it
 * (AWS_ENDPOINT_URL_DYNAMODB, else AWS_ENDPOINT_URL, neither when
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true).  Puts m in shared mode; keys
 * are "<function_name>#<test>".  Opens no connection.  Returns 0, or -1 with
 * err naming the variable.  Free *out with fleet_ddb_free. */
int fleet_ddb_from_env(monitor *m, const char *function_name, fleet_ddb **out, char *err,
                       size_t errlen);
fleet *fleet_ddb_fleet(const fleet_ddb *s);

/* Reads the item of an UpdateItem (Attributes) or GetItem (Item) answer into
 * *out (phase 0 and no entries when absent); entries that are not
 * well-formed are skipped.  Returns the number of entries skipped. */
size_t fleet_ddb_parse_item(const cJSON *attributes, fleet_item *out);

#endif
