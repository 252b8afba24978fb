// Enqueue fax jobs with sarama (pure Go) and follow them on fax.status to their end.
//
//	go run .                                        # with go.mod (Go modules)
//	GO111MODULE=off GOPATH=/usr/share/gocode go run main.go   # Debian's golang-github-shopify-sarama-dev
//	KAFKA_BOOTSTRAP=localhost:9092 FAXD_TENANT=acme go run .  # two jobs, followed
//	go run . vectors                                # the key vectors only
//	FAXD_PLACEMENT_TOPIC=t go run . place           # tenant-0…99's partitions
//
// sarama's default partitioner hashes keys with FNV-1a, not murmur2 like Kafka's Java client and
// faxd's own producers: this example sets a murmur2 partitioner so that a tenant's jobs land on the
// partition every other producer puts them on. Environment as the other examples (README.md).
package main

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/Shopify/sarama"
)

// docs/design.md §4: UUIDv5(namespace, tenant_id + ":" + job_id).
var namespace = []byte{0xa5, 0x8d, 0xa8, 0xf1, 0x16, 0xc4, 0x53, 0x98, 0xa2, 0x1a, 0xbf, 0xf2, 0x6a, 0xe3, 0x88, 0xc4}

func idempotencyKey(tenant, job string) string {
	hash := sha1.Sum(append(append([]byte{}, namespace...), []byte(tenant+":"+job)...))
	hash[6] = hash[6]&0x0f | 0x50
	hash[8] = hash[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", hash[0:4], hash[4:6], hash[6:8], hash[8:10], hash[10:16])
}

func checkVectors() {
	vectors := [][3]string{
		{"acme", "inv-1", "c020cab0-5fa5-575d-8617-acd6fc49e2c0"},
		{"acme", "inv-2", "2733be4f-79a7-5bef-b33f-cb317324cc94"},
		{"globex", "inv-1", "d6ab83ab-2f50-5feb-bd38-8d5ba607e0aa"},
		{"cust_8xk2m", "9c1a2b3d-4e5f-6789-abcd-ef0123456789", "88bd7e36-35f1-5bc1-a9aa-8025c7fa239e"},
		{"t", "ü-日本", "0fd43369-ae93-5162-affc-8d2d3f901f7f"},
	}
	for _, v := range vectors {
		if key := idempotencyKey(v[0], v[1]); key != v[2] {
			fail(fmt.Sprintf("key vector %s/%s: got %s, expected %s", v[0], v[1], key, v[2]))
		}
	}
	fmt.Printf("key vectors ok (%d)\n", len(vectors))
}

// murmur2 as Kafka's Java client computes it (Utils.murmur2), and its partition (toPositive % n).
func murmur2(data []byte) uint32 {
	const seed, m, r = uint32(0x9747b28c), uint32(0x5bd1e995), 24
	h := seed ^ uint32(len(data))
	tail := len(data) &^ 3
	for i := 0; i < tail; i += 4 {
		k := uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h = h*m ^ k
	}
	switch len(data) & 3 {
	case 3:
		h ^= uint32(data[tail+2]) << 16
		fallthrough
	case 2:
		h ^= uint32(data[tail+1]) << 8
		fallthrough
	case 1:
		h ^= uint32(data[tail])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return h
}

type murmur2Partitioner struct{}

func (murmur2Partitioner) Partition(message *sarama.ProducerMessage, partitions int32) (int32, error) {
	key, err := message.Key.Encode()
	if err != nil {
		return 0, err
	}
	return int32(murmur2(key)&0x7fffffff) % partitions, nil
}

func (murmur2Partitioner) RequiresConsistency() bool { return true }

func env(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, message)
	os.Exit(1)
}

// The protocol version sarama speaks: 0.11 (record batches) is what this example is tested with,
// against librdkafka's mock cluster; set your cluster's version in production.
var version = sarama.V0_11_0_0

func producer(brokers []string) sarama.SyncProducer {
	config := sarama.NewConfig()
	config.Version = version
	config.Producer.RequiredAcks = sarama.WaitForAll
	config.Producer.Return.Successes = true
	config.Producer.Partitioner = func(string) sarama.Partitioner { return murmur2Partitioner{} }
	out, err := sarama.NewSyncProducer(brokers, config)
	if err != nil {
		fail("producer: " + err.Error())
	}
	return out
}

func main() {
	checkVectors()
	brokers := strings.Split(env("KAFKA_BOOTSTRAP", "localhost:9092"), ",")
	if len(os.Args) > 1 && os.Args[1] == "vectors" {
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "place" {
		out := producer(brokers)
		for i := 0; i < 100; i++ {
			key := fmt.Sprintf("tenant-%d", i)
			partition, _, err := out.SendMessage(&sarama.ProducerMessage{Topic: os.Getenv("FAXD_PLACEMENT_TOPIC"), Key: sarama.StringEncoder(key), Value: sarama.StringEncoder("{}")})
			if err != nil {
				fail("produce: " + err.Error())
			}
			fmt.Printf("%s %d\n", key, partition)
		}
		out.Close()
		return
	}

	tenant, to := env("FAXD_TENANT", "acme"), env("FAXD_TO", "+15005550001")
	prefix := env("FAXD_JOB_PREFIX", "go-"+strconv.FormatInt(time.Now().Unix(), 10))
	pdf := base64.StdEncoding.EncodeToString([]byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"))
	documents := map[string]map[string]string{prefix + "-inline": {"content_base64": pdf, "filename": "hello.pdf"}}
	if url := os.Getenv("FAXD_DOCUMENT_URL"); url != "" {
		documents[prefix+"-url"] = map[string]string{"url": url}
	}
	out := producer(brokers)
	for job, document := range documents {
		value, _ := json.Marshal(map[string]interface{}{"job_id": job, "tenant_id": tenant, "to": to, "document": document})
		if _, _, err := out.SendMessage(&sarama.ProducerMessage{Topic: "fax.jobs", Key: sarama.StringEncoder(tenant), Value: sarama.ByteEncoder(value)}); err != nil {
			fail("produce: " + err.Error())
		}
		fmt.Printf("enqueued %s/%s idempotency_key=%s\n", tenant, job, idempotencyKey(tenant, job))
	}
	out.Close()

	// Follow the jobs: every partition of fax.status from the oldest record (no group needed).
	config := sarama.NewConfig()
	config.Version = version
	consumer, err := sarama.NewConsumer(brokers, config)
	if err != nil {
		fail("consumer: " + err.Error())
	}
	partitions, err := consumer.Partitions("fax.status")
	if err != nil {
		fail("partitions: " + err.Error())
	}
	events := make(chan *sarama.ConsumerMessage)
	for _, partition := range partitions {
		reader, err := consumer.ConsumePartition("fax.status", partition, sarama.OffsetOldest)
		if err != nil {
			fail("consume: " + err.Error())
		}
		go func() {
			for message := range reader.Messages() {
				events <- message
			}
		}()
	}
	final := map[string]bool{"fax.delivered": true, "fax.failed": true, "fax.rejected": true, "fax.dead_lettered": true, "fax.expired": true}
	seconds, _ := strconv.Atoi(env("FAXD_TIMEOUT", "120"))
	deadline := time.After(time.Duration(seconds) * time.Second)
	for len(documents) > 0 {
		select {
		case message := <-events:
			var event struct {
				TenantID string `json:"tenant_id"`
				JobID    string `json:"job_id"`
				Type     string `json:"type"`
			}
			if json.Unmarshal(message.Value, &event) != nil || event.TenantID != tenant || documents[event.JobID] == nil || !final[event.Type] {
				continue
			}
			delete(documents, event.JobID)
			fmt.Printf("final %s/%s %s\n", tenant, event.JobID, event.Type)
		case <-deadline:
			fail(fmt.Sprintf("no final state for %d job(s)", len(documents)))
		}
	}
}
