// Enqueue fax jobs with kafkajs and follow them on fax.status to their end.
//
//   npm install kafkajs
//   KAFKA_BOOTSTRAP=localhost:9092 FAXD_TENANT=acme node fax-job.mjs
//
// kafkajs's default partitioner is the Java client's murmur2, which faxd's own producers use, so every
// producer puts a tenant's jobs on the same partition (do not pick the LegacyPartitioner). Environment
// as the other examples (docs/examples/README.md).
import { Kafka } from "kafkajs";
import { env, exit } from "node:process";
import { checkVectors, idempotencyKey } from "./idempotency-key.mjs";

const FINAL = new Set(["fax.delivered", "fax.failed", "fax.rejected", "fax.dead_lettered", "fax.expired"]);
checkVectors();
const tenant = env.FAXD_TENANT ?? "acme";
const prefix = env.FAXD_JOB_PREFIX ?? `node-${Date.now()}`;
const to = env.FAXD_TO ?? "+15005550001";
const pdf = Buffer.from("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n").toString("base64");
const documents = { [`${prefix}-inline`]: { content_base64: pdf, filename: "hello.pdf" } };
if (env.FAXD_DOCUMENT_URL) documents[`${prefix}-url`] = { url: env.FAXD_DOCUMENT_URL };

const kafka = new Kafka({ clientId: "faxd-example", brokers: (env.KAFKA_BOOTSTRAP ?? "localhost:9092").split(",") });
const producer = kafka.producer({ idempotent: true });
await producer.connect();
for (const [jobId, document] of Object.entries(documents)) {
  const job = { job_id: jobId, tenant_id: tenant, to, document };
  await producer.send({ topic: "fax.jobs", messages: [{ key: tenant, value: JSON.stringify(job) }] });
  console.log(`enqueued ${tenant}/${jobId} idempotency_key=${idempotencyKey(tenant, jobId)}`);
}
await producer.disconnect();

// Follow the jobs: a group of our own, from the beginning (a status topic is read by many).
const pending = new Set(Object.keys(documents));
const consumer = kafka.consumer({ groupId: `example-${prefix}` });
await consumer.connect();
await consumer.subscribe({ topic: "fax.status", fromBeginning: true });
const timeout = setTimeout(async () => {
  console.error(`no final state for ${[...pending]}`);
  await consumer.disconnect();
  exit(1);
}, 1000 * Number(env.FAXD_TIMEOUT ?? 120));
await consumer.run({
  eachMessage: async ({ message }) => {
    const event = JSON.parse(message.value.toString());
    if (event.tenant_id !== tenant || !pending.has(event.job_id) || !FINAL.has(event.type)) return;
    pending.delete(event.job_id);
    console.log(`final ${tenant}/${event.job_id} ${event.type}`);
    if (pending.size === 0) {
      clearTimeout(timeout);
      setImmediate(async () => { await consumer.disconnect(); exit(0); });
    }
  },
});
