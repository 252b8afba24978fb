#ifndef FAXD_CLIBRDKAFKA_SHIM_H
#define FAXD_CLIBRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#endif
