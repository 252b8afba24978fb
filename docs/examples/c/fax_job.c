/*
 * Enqueue fax jobs with librdkafka from C and follow them on fax.status to their end.
 *
 *   cc -O2 -o fax_job fax_job.c $(pkg-config --cflags --libs rdkafka libcrypto)
 *   KAFKA_BOOTSTRAP=localhost:9092 FAXD_TENANT=acme ./fax_job          # two jobs, followed
 *   ./fax_job vectors                                                  # the key vectors only
 *   FAXD_PLACEMENT_TOPIC=t ./fax_job place                             # tenant-0…99's partitions
 *
 * Environment as the other examples (docs/examples/README.md). faxd's values are compact JSON with
 * sorted keys; this example reads the few string fields it needs with a small scanner instead of a
 * JSON library.
 */
#define _GNU_SOURCE /* memmem */
#include <librdkafka/rdkafka.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* docs/design.md §4: UUIDv5(namespace, tenant_id + ":" + job_id). */
static const unsigned char namespace_bytes[16] = {0xa5, 0x8d, 0xa8, 0xf1, 0x16, 0xc4, 0x53, 0x98,
                                                  0xa2, 0x1a, 0xbf, 0xf2, 0x6a, 0xe3, 0x88, 0xc4};

static void idempotency_key(const char *tenant, const char *job, char out[37]) {
    size_t length = strlen(tenant) + 1 + strlen(job);
    unsigned char *name = malloc(16 + length), digest[SHA_DIGEST_LENGTH];
    memcpy(name, namespace_bytes, 16);
    snprintf((char *)name + 16, length + 1, "%s:%s", tenant, job);
    SHA1(name, 16 + length, digest);
    free(name);
    digest[6] = (digest[6] & 0x0f) | 0x50; /* version 5 */
    digest[8] = (digest[8] & 0x3f) | 0x80; /* RFC 4122 variant */
    char *p = out;
    for (int i = 0; i < 16; i++) {
        p += sprintf(p, "%02x", digest[i]);
        if (i == 3 || i == 5 || i == 7 || i == 9) *p++ = '-';
    }
    *p = '\0';
}

static void check_vectors(void) {
    static const char *vectors[][3] = {
        {"acme", "inv-1", "c020cab0-5fa5-575d-8617-acd6fc49e2c0"},
        {"acme", "inv-2", "2733be4f-79a7-5bef-b33f-cb317324cc94"},
        {"globex", "inv-1", "d6ab83ab-2f50-5feb-bd38-8d5ba607e0aa"},
        {"cust_8xk2m", "9c1a2b3d-4e5f-6789-abcd-ef0123456789", "88bd7e36-35f1-5bc1-a9aa-8025c7fa239e"},
        {"t", "\xc3\xbc-\xe6\x97\xa5\xe6\x9c\xac", "0fd43369-ae93-5162-affc-8d2d3f901f7f"},
    };
    char key[37];
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        idempotency_key(vectors[i][0], vectors[i][1], key);
        if (strcmp(key, vectors[i][2]) != 0) {
            fprintf(stderr, "key vector %s/%s: got %s, expected %s\n", vectors[i][0], vectors[i][1], key, vectors[i][2]);
            exit(1);
        }
    }
    printf("key vectors ok (%zu)\n", sizeof vectors / sizeof vectors[0]);
}

static const char *env(const char *name, const char *fallback) {
    const char *value = getenv(name);
    return value && *value ? value : fallback;
}

static void fail(const char *what, const char *detail) {
    fprintf(stderr, "%s: %s\n", what, detail);
    exit(1);
}

/* Where each record landed, for `place`: the delivery report's partition, by message opaque. */
static int32_t landed[100];
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *message, void *opaque) {
    (void)rk, (void)opaque;
    if (message->err) fail("delivery", rd_kafka_err2str(message->err));
    if (message->_private) landed[(intptr_t)message->_private - 1] = message->partition;
}

static rd_kafka_t *producer(const char *bootstrap) {
    char error[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* murmur2_random: the Java client's partitioner, which faxd's own producers use, so that every
     * producer puts a tenant's jobs on the same partition (librdkafka's default is CRC32). */
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, error, sizeof error) ||
        rd_kafka_conf_set(conf, "partitioner", "murmur2_random", error, sizeof error) ||
        rd_kafka_conf_set(conf, "enable.idempotence", "true", error, sizeof error))
        fail("configuration", error);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    if (!rk) fail("producer", error);
    return rk;
}

static void produce_record(rd_kafka_t *rk, const char *topic, const char *key, const char *value, intptr_t tag) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE((void *)value, strlen(value)),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE((void *)tag), RD_KAFKA_V_END);
    if (err) fail("produce", rd_kafka_err2str(err));
}

static void flush_all(rd_kafka_t *rk) {
    if (rd_kafka_flush(rk, 30000)) fail("flush", "the records were not acknowledged by Kafka");
}

/* The string value of "field" in a compact JSON object, into out; "" when absent or not a string. */
static void field(const char *json, size_t length, const char *name, char *out, size_t size) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", name);
    out[0] = '\0';
    const char *start = memmem(json, length, pattern, strlen(pattern));
    if (!start) return;
    start += strlen(pattern);
    const char *end = memchr(start, '"', (size_t)(json + length - start));
    if (!end || (size_t)(end - start) >= size) return;
    memcpy(out, start, (size_t)(end - start));
    out[end - start] = '\0';
}

static int is_final(const char *type) {
    static const char *finals[] = {"fax.delivered", "fax.failed", "fax.rejected", "fax.dead_lettered", "fax.expired"};
    for (size_t i = 0; i < 5; i++)
        if (strcmp(type, finals[i]) == 0) return 1;
    return 0;
}

int main(int argc, char **argv) {
    check_vectors();
    const char *bootstrap = env("KAFKA_BOOTSTRAP", "localhost:9092");
    if (argc > 1 && strcmp(argv[1], "vectors") == 0) return 0;
    if (argc > 1 && strcmp(argv[1], "place") == 0) {
        rd_kafka_t *rk = producer(bootstrap);
        char key[32];
        for (intptr_t i = 0; i < 100; i++) {
            snprintf(key, sizeof key, "tenant-%ld", (long)i);
            produce_record(rk, env("FAXD_PLACEMENT_TOPIC", "placement"), key, "{}", i + 1);
        }
        flush_all(rk);
        for (int i = 0; i < 100; i++) printf("tenant-%d %d\n", i, landed[i]);
        rd_kafka_destroy(rk);
        return 0;
    }

    const char *tenant = env("FAXD_TENANT", "acme"), *to = env("FAXD_TO", "+15005550001"), *url = env("FAXD_DOCUMENT_URL", "");
    char prefix[96], jobs[2][128], value[1024], key[37];
    snprintf(prefix, sizeof prefix, "%s", env("FAXD_JOB_PREFIX", "c-example"));
    int count = *url ? 2 : 1;
    snprintf(jobs[0], sizeof jobs[0], "%s-inline", prefix);
    snprintf(jobs[1], sizeof jobs[1], "%s-url", prefix);
    rd_kafka_t *rk = producer(bootstrap);
    for (int i = 0; i < count; i++) {
        if (i == 0)
            /* "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", base64 */
            snprintf(value, sizeof value,
                     "{\"document\":{\"content_base64\":\"JVBERi0xLjQKMSAwIG9iajw8Pj5lbmRvYmoKdHJhaWxlcjw8Pj4KJSVFT0YK\","
                     "\"filename\":\"hello.pdf\"},\"job_id\":\"%s\",\"tenant_id\":\"%s\",\"to\":\"%s\"}", jobs[0], tenant, to);
        else
            snprintf(value, sizeof value, "{\"document\":{\"url\":\"%s\"},\"job_id\":\"%s\",\"tenant_id\":\"%s\",\"to\":\"%s\"}", url,
                     jobs[1], tenant, to);
        produce_record(rk, "fax.jobs", tenant, value, 0);
        idempotency_key(tenant, jobs[i], key);
        printf("enqueued %s/%s idempotency_key=%s\n", tenant, jobs[i], key);
    }
    flush_all(rk);
    rd_kafka_destroy(rk);

    /* Follow the jobs: a group of our own, from the beginning (a status topic is read by many). */
    char error[512], group[160];
    snprintf(group, sizeof group, "example-%s", prefix);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, error, sizeof error) ||
        rd_kafka_conf_set(conf, "group.id", group, error, sizeof error) ||
        rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", error, sizeof error))
        fail("configuration", error);
    rd_kafka_t *consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
    if (!consumer) fail("consumer", error);
    rd_kafka_poll_set_consumer(consumer);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, "fax.status", RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(consumer, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    int pending = count, done[2] = {0, 0};
    time_t deadline = time(NULL) + atoi(env("FAXD_TIMEOUT", "120"));
    while (pending > 0 && time(NULL) < deadline) {
        rd_kafka_message_t *message = rd_kafka_consumer_poll(consumer, 1000);
        if (!message) continue;
        if (!message->err) {
            char job[128], type[64], event_tenant[80];
            field(message->payload, message->len, "tenant_id", event_tenant, sizeof event_tenant);
            field(message->payload, message->len, "job_id", job, sizeof job);
            field(message->payload, message->len, "type", type, sizeof type);
            for (int i = 0; i < count; i++) {
                if (done[i] || strcmp(event_tenant, tenant) != 0 || strcmp(job, jobs[i]) != 0 || !is_final(type)) continue;
                done[i] = 1;
                pending--;
                printf("final %s/%s %s\n", tenant, job, type);
            }
        }
        rd_kafka_message_destroy(message);
    }
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    if (pending > 0) {
        fprintf(stderr, "no final state for %d job(s)\n", pending);
        return 1;
    }
    return 0;
}
