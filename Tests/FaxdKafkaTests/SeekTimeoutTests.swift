import Testing

@testable import FaxdKafka

/// librdkafka before 2.0.3 waits a thousandth of `rd_kafka_seek_partitions`' timeout
/// (confluentinc/librdkafka#4230); the consumer gives it what waits the time asked for.
@Suite struct SeekTimeoutTests {
    @Test func theSeekTimeoutIsScaledOnlyWhereLibrdkafkaDividesIt() {
        #expect(KafkaConsumer.seekTimeoutArgument(.seconds(10), version: 0x0200_02ff) == 10_000_000)
        #expect(KafkaConsumer.seekTimeoutArgument(.seconds(10), version: 0x0200_03ff) == 10_000)
        #expect(KafkaConsumer.seekTimeoutArgument(.seconds(10), version: 0x0201_00ff) == 10_000)
        #expect(KafkaConsumer.seekTimeoutArgument(.zero, version: 0x0200_02ff) == 0, "0 stays a seek that does not wait")
        #expect(KafkaConsumer.seekTimeoutArgument(.seconds(3_600), version: 0x0200_02ff) == Int32.max)
        #expect(KafkaConsumer.seekTimeoutArgument(.seconds(-1), version: 0x0201_00ff) == 0)
    }
}
