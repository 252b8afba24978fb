import java.time.Duration;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Enqueue fax jobs with Kafka's Java client and follow them on fax.status to their end.
 *
 *   javac -cp kafka-clients-3.9.1.jar:slf4j-api.jar IdempotencyKey.java FaxJob.java
 *   KAFKA_BOOTSTRAP=localhost:9092 FAXD_TENANT=acme java -cp .:kafka-clients-3.9.1.jar:slf4j-api.jar FaxJob
 *
 * The Java client's default partitioner (murmur2 of the key) is the one faxd's producers use, and the
 * one other clients are set to: every producer puts a tenant's jobs on one partition. Environment as
 * the other examples (docs/examples/README.md). Use a JSON library in real code; the status values are
 * compact JSON with sorted keys, read here with a pattern to keep the example to the Kafka client.
 */
public final class FaxJob {
    private static final Set<String> FINAL = Set.of("fax.delivered", "fax.failed", "fax.rejected", "fax.dead_lettered", "fax.expired");
    private static final Pattern FIELD = Pattern.compile("\"(job_id|tenant_id|type)\":\"([^\"]*)\"");

    public static void main(String[] args) {
        IdempotencyKey.main(args);
        Map<String, String> env = System.getenv();
        String bootstrap = env.getOrDefault("KAFKA_BOOTSTRAP", "localhost:9092");
        String tenant = env.getOrDefault("FAXD_TENANT", "acme");
        String prefix = env.getOrDefault("FAXD_JOB_PREFIX", "java-" + System.currentTimeMillis());
        String to = env.getOrDefault("FAXD_TO", "+15005550001");
        String pdf = Base64.getEncoder().encodeToString("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".getBytes());
        Map<String, String> jobs = new java.util.LinkedHashMap<>();
        jobs.put(prefix + "-inline", "{\"content_base64\":\"" + pdf + "\",\"filename\":\"hello.pdf\"}");
        if (env.containsKey("FAXD_DOCUMENT_URL")) jobs.put(prefix + "-url", "{\"url\":\"" + env.get("FAXD_DOCUMENT_URL") + "\"}");

        Properties producerProperties = new Properties();
        producerProperties.put("bootstrap.servers", bootstrap);
        producerProperties.put("enable.idempotence", "true");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProperties, new StringSerializer(), new StringSerializer())) {
            for (Map.Entry<String, String> job : jobs.entrySet()) {
                String value = "{\"document\":" + job.getValue() + ",\"job_id\":\"" + job.getKey() + "\",\"tenant_id\":\"" + tenant + "\",\"to\":\"" + to + "\"}";
                producer.send(new ProducerRecord<>("fax.jobs", tenant, value)).get();
                System.out.println("enqueued " + tenant + "/" + job.getKey() + " idempotency_key=" + IdempotencyKey.of(tenant, job.getKey()));
            }
        } catch (Exception e) {
            throw new RuntimeException("the jobs were not acknowledged by Kafka", e);
        }

        Properties consumerProperties = new Properties();
        consumerProperties.put("bootstrap.servers", bootstrap);
        consumerProperties.put("group.id", "example-" + prefix);
        consumerProperties.put("auto.offset.reset", "earliest");
        Set<String> pending = new HashSet<>(jobs.keySet());
        long deadline = System.currentTimeMillis() + 1000L * Long.parseLong(env.getOrDefault("FAXD_TIMEOUT", "120"));
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProperties, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("fax.status"));
            while (!pending.isEmpty() && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofSeconds(1))) {
                    Map<String, String> fields = new java.util.HashMap<>();
                    for (Matcher m = FIELD.matcher(record.value()); m.find(); ) fields.putIfAbsent(m.group(1), m.group(2));
                    String job = fields.get("job_id"), type = fields.get("type");
                    if (tenant.equals(fields.get("tenant_id")) && pending.contains(job) && FINAL.contains(type)) {
                        pending.remove(job);
                        System.out.println("final " + tenant + "/" + job + " " + type);
                    }
                }
            }
        }
        if (!pending.isEmpty()) {
            System.err.println("no final state for " + pending);
            System.exit(1);
        }
    }
}
