/* client: the Schema Registry REST calls over libcurl. */
#include "registry/client.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_BODY (16 * 1024 * 1024)
#define CONTENT_TYPE "application/vnd.schemaregistry.v1+json"

struct cached {
    int32_t id;
    enum registry_format format;
    char *schema;
};

struct registry {
    CURL *curl;
    struct curl_slist *headers;
    char *url;   /* as given, credentials included: never printed */
    char *shown; /* without userinfo */
    char *user_info;
    long timeout_ms;
    pthread_mutex_t lock; /* the cache, for registry_schema on several threads */
    struct cached *cache;
    size_t n_cache;
};

struct body {
    char *data;
    size_t len;
};

const char *registry_format_name(enum registry_format f)
{
    return f == REGISTRY_PROTOBUF ? "PROTOBUF" : f == REGISTRY_JSON ? "JSON" : "AVRO";
}

/* The schemaType of a response: absent means AVRO (the API reference:
 * "schemaType ... defaults to AVRO"). */
static int format_of(const cJSON *type, enum registry_format *f)
{
    if (!type || cJSON_IsNull(type) || (cJSON_IsString(type) && !strcmp(type->valuestring, "AVRO")))
        *f = REGISTRY_AVRO;
    else if (cJSON_IsString(type) && strcmp(type->valuestring, "JSON") == 0)
        *f = REGISTRY_JSON;
    else if (cJSON_IsString(type) && strcmp(type->valuestring, "PROTOBUF") == 0)
        *f = REGISTRY_PROTOBUF;
    else
        return -1;
    return 0;
}

/* url without its userinfo ("https://KEY:SECRET@host" -> "https://host"). */
static char *shown_url(const char *url)
{
    const char *scheme = strstr(url, "://");
    const char *host = scheme ? scheme + 3 : url;
    const char *at = strrchr(host, '@');
    char *out = malloc(strlen(url) + 1);
    if (!out)
        return NULL;
    size_t head = (size_t)(host - url);
    memcpy(out, url, head);
    strcpy(out + head, at ? at + 1 : host);
    size_t len = strlen(out);
    while (len > 0 && out[len - 1] == '/')
        out[--len] = '\0';
    return out;
}

struct registry *registry_new(const struct registry_config *cfg, char *err, size_t errlen)
{
    struct registry *r = NULL, *result = NULL;
    const char *source = cfg->credentials_source ? cfg->credentials_source : "URL";
    if (!cfg->url || !*cfg->url) {
        snprintf(err, errlen,
                 "no Schema Registry: give --schema-registry URL or "
                 "schema.registry.url in a -F properties file");
        goto cleanup;
    }
    if (strcasecmp(source, "USER_INFO") == 0 && (!cfg->user_info || !*cfg->user_info)) {
        snprintf(err, errlen,
                 "basic.auth.credentials.source=USER_INFO needs "
                 "basic.auth.user.info=KEY:SECRET");
        goto cleanup;
    }
    if (strcasecmp(source, "USER_INFO") != 0 && strcasecmp(source, "URL") != 0) {
        snprintf(err, errlen, "basic.auth.credentials.source: expected USER_INFO or URL");
        goto cleanup;
    }
    if (!(r = calloc(1, sizeof(*r))) || !(r->url = strdup(cfg->url)) ||
        !(r->shown = shown_url(cfg->url)) || !(r->curl = curl_easy_init())) {
        snprintf(err, errlen, "out of memory");
        goto cleanup;
    }
    size_t len = strlen(r->url);
    while (len > 0 && r->url[len - 1] == '/')
        r->url[--len] = '\0';
    if (strcasecmp(source, "USER_INFO") == 0 && !(r->user_info = strdup(cfg->user_info))) {
        snprintf(err, errlen, "out of memory");
        goto cleanup;
    }
    r->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 10000;
    pthread_mutex_init(&r->lock, NULL);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: " CONTENT_TYPE);
    if (h)
        r->headers = h;
    h = h ? curl_slist_append(h, "Accept: " CONTENT_TYPE ", application/vnd.schemaregistry+json, "
                                 "application/json")
          : NULL;
    if (!h) {
        snprintf(err, errlen, "out of memory");
        goto cleanup;
    }
    r->headers = h;
    result = r;
    r = NULL;
cleanup:
    registry_free(r);
    return result;
}

void registry_free(struct registry *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_cache; i++)
        free(r->cache[i].schema);
    free(r->cache);
    pthread_mutex_destroy(&r->lock);
    if (r->curl)
        curl_easy_cleanup(r->curl);
    curl_slist_free_all(r->headers);
    free(r->url);
    free(r->shown);
    if (r->user_info)
        memset(r->user_info, 0, strlen(r->user_info));
    free(r->user_info);
    free(r);
}

const char *registry_shown_url(const struct registry *r)
{
    return r->shown;
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    struct body *b = ctx;
    size_t add = size * n;
    if (b->len + add > MAX_BODY)
        return 0;
    char *grown = realloc(b->data, b->len + add + 1);
    if (!grown)
        return 0;
    memcpy(grown + b->len, data, add);
    b->data = grown;
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

/* One request: path is appended to the URL; post NULL for a GET.  Returns
 * the HTTP status with the parsed JSON body in *json (NULL when the body is
 * not JSON), or -1 with the transport error in why. */
static long request(struct registry *r, CURL *c, const char *path, const char *post,
                    cJSON **json, char *why, size_t whylen)
{
    struct body b = {0};
    long status = -1;
    char *url = NULL;
    char curl_err[CURL_ERROR_SIZE] = "";
    *json = NULL;
    if (asprintf(&url, "%s%s", r->url, path) < 0) {
        url = NULL;
        snprintf(why, whylen, "out of memory");
        goto cleanup;
    }
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, r->timeout_ms < 5000 ? r->timeout_ms : 5000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, r->timeout_ms);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, r->headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (r->user_info) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, r->user_info);
    }
    if (post)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        snprintf(why, whylen, "cannot reach the registry: %s",
                 *curl_err ? curl_err : curl_easy_strerror(rc));
        goto cleanup;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    *json = b.data ? cJSON_ParseWithLength(b.data, b.len) : NULL;
cleanup:
    free(b.data);
    free(url);
    return status;
}

/* "HTTP 409: <message> (error_code 409)" from an error answer. */
static void describe_error(long status, const cJSON *json, char *out, size_t outlen)
{
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(json, "message");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(json, "error_code");
    if (cJSON_IsString(msg) && cJSON_IsNumber(code))
        snprintf(out, outlen, "HTTP %ld: %s (error_code %d)", status, msg->valuestring,
                 code->valueint);
    else if (cJSON_IsString(msg))
        snprintf(out, outlen, "HTTP %ld: %s", status, msg->valuestring);
    else
        snprintf(out, outlen, "HTTP %ld (no error message in the answer)", status);
    if (status == 401)
        snprintf(out + strlen(out), outlen - strlen(out),
                 "; check basic.auth.credentials.source=USER_INFO and basic.auth.user.info");
}

int registry_register(struct registry *r, const char *subject, enum registry_format f,
                      const char *schema, int32_t *id, char *err, size_t errlen)
{
    int status = -1;
    char *path = NULL, *body = NULL, why[1024];
    cJSON *req = cJSON_CreateObject(), *json = NULL;
    char *escaped = curl_easy_escape(r->curl, subject, 0);
    if (!req || !escaped || !cJSON_AddStringToObject(req, "schema", schema) ||
        (f != REGISTRY_AVRO &&
         !cJSON_AddStringToObject(req, "schemaType", registry_format_name(f))) ||
        !(body = cJSON_PrintUnformatted(req)) ||
        asprintf(&path, "/subjects/%s/versions", escaped) < 0) {
        path = NULL;
        snprintf(err, errlen, "out of memory");
        goto cleanup;
    }
    long http = request(r, r->curl, path, body, &json, why, sizeof(why));
    if (http < 0) {
        snprintf(err, errlen, "schema registry %s: subject %s: %s", r->shown, subject, why);
        goto cleanup;
    }
    const cJSON *got = cJSON_GetObjectItemCaseSensitive(json, "id");
    if (http != 200 || !cJSON_IsNumber(got) || got->valuedouble < 0 ||
        got->valuedouble > INT32_MAX) {
        if (http == 200)
            snprintf(why, sizeof(why), "HTTP 200 without a schema id in the answer");
        else
            describe_error(http, json, why, sizeof(why));
        snprintf(err, errlen, "schema registry %s: subject %s: registering the %s schema: %s",
                 r->shown, subject, registry_format_name(f), why);
        goto cleanup;
    }
    *id = (int32_t)got->valueint;
    status = 0;
cleanup:
    cJSON_Delete(json);
    cJSON_Delete(req);
    curl_free(escaped);
    free(body);
    free(path);
    return status;
}

/* The cached schema with this id (under the lock), or -1. */
static int cached_schema(struct registry *r, int32_t id, enum registry_format *f,
                         const char **schema)
{
    int found = -1;
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->n_cache && found < 0; i++)
        if (r->cache[i].id == id) {
            *f = r->cache[i].format;
            *schema = r->cache[i].schema;
            found = 0;
        }
    pthread_mutex_unlock(&r->lock);
    return found;
}

/* Caches a fetched schema (a copy of text); another thread may have cached
 * it meanwhile: that copy is the one served.  Returns 0 or -1. */
static int cache_schema(struct registry *r, int32_t id, enum registry_format f, const char *text,
                        const char **schema)
{
    int status = -1;
    char *copy = strdup(text);
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->n_cache; i++)
        if (r->cache[i].id == id) {
            *schema = r->cache[i].schema;
            status = 0;
        }
    struct cached *grown =
        status == 0 || !copy ? NULL : realloc(r->cache, (r->n_cache + 1) * sizeof(*grown));
    if (grown) {
        r->cache = grown;
        r->cache[r->n_cache++] = (struct cached){.id = id, .format = f, .schema = copy};
        *schema = copy;
        copy = NULL;
        status = 0;
    }
    pthread_mutex_unlock(&r->lock);
    free(copy);
    return status;
}

int registry_schema(struct registry *r, int32_t id, enum registry_format *f, const char **schema,
                    char *err, size_t errlen)
{
    int status = -1;
    char path[64], why[1024];
    cJSON *json = NULL;
    if (cached_schema(r, id, f, schema) == 0)
        return 0;
    /* a handle of this call's own: the fetch holds no lock */
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(path, sizeof(path), "/schemas/ids/%d", (int)id);
    long http = request(r, c, path, NULL, &json, why, sizeof(why));
    if (http < 0) {
        snprintf(err, errlen, "schema registry %s: schema id %d: %s", r->shown, (int)id, why);
        goto cleanup;
    }
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(json, "schema");
    enum registry_format got;
    if (http != 200 || !cJSON_IsString(text) ||
        format_of(cJSON_GetObjectItemCaseSensitive(json, "schemaType"), &got) != 0) {
        if (http == 200)
            snprintf(why, sizeof(why), "HTTP 200 without a schema of a known schemaType");
        else
            describe_error(http, json, why, sizeof(why));
        snprintf(err, errlen, "schema registry %s: schema id %d: %s", r->shown, (int)id, why);
        goto cleanup;
    }
    if (cache_schema(r, id, got, text->valuestring, schema) != 0) {
        snprintf(err, errlen, "out of memory");
        goto cleanup;
    }
    *f = got;
    status = 0;
cleanup:
    cJSON_Delete(json);
    curl_easy_cleanup(c);
    return status;
}
