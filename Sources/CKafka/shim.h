// librdkafka from Debian's librdkafka-dev. Only HubCore/Messaging may import this module.
//
// rd_kafka_producev() is a variadic function driven by macros, which Swift cannot call;
// this inline helper gives it a plain signature. Everything else is used as librdkafka
// declares it.
#ifndef HUB_CKAFKA_SHIM_H
#define HUB_CKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>

/// Produces one message; the headers (may be NULL) are owned by librdkafka on success.
static inline rd_kafka_resp_err_t hub_kafka_produce(rd_kafka_t *rk,
                                                    const char *topic,
                                                    int32_t partition,
                                                    const void *key, size_t key_len,
                                                    const void *value, size_t value_len,
                                                    rd_kafka_headers_t *headers,
                                                    int64_t timestamp_ms,
                                                    void *opaque) {
    return rd_kafka_producev(rk,
                             RD_KAFKA_V_TOPIC(topic),
                             RD_KAFKA_V_PARTITION(partition),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_KEY((void *)key, key_len),
                             RD_KAFKA_V_VALUE((void *)value, value_len),
                             RD_KAFKA_V_HEADERS(headers),
                             RD_KAFKA_V_TIMESTAMP(timestamp_ms),
                             RD_KAFKA_V_OPAQUE(opaque),
                             RD_KAFKA_V_END);
}
#endif
