// faxd's idempotency key (docs/design.md §4): UUIDv5(namespace, tenant_id + ":" + job_id), with
// node:crypto only. `node idempotency-key.mjs` checks the design's vectors.
import { createHash } from "node:crypto";
import { argv, exit } from "node:process";
import { fileURLToPath } from "node:url";

const NAMESPACE = Buffer.from("a58da8f116c45398a21abff26ae388c4", "hex");

export function idempotencyKey(tenantId, jobId) {
  const hash = createHash("sha1").update(NAMESPACE).update(`${tenantId}:${jobId}`, "utf8").digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function checkVectors() {
  const vectors = [
    ["acme", "inv-1", "c020cab0-5fa5-575d-8617-acd6fc49e2c0"],
    ["acme", "inv-2", "2733be4f-79a7-5bef-b33f-cb317324cc94"],
    ["globex", "inv-1", "d6ab83ab-2f50-5feb-bd38-8d5ba607e0aa"],
    ["cust_8xk2m", "9c1a2b3d-4e5f-6789-abcd-ef0123456789", "88bd7e36-35f1-5bc1-a9aa-8025c7fa239e"],
    ["t", "ü-日本", "0fd43369-ae93-5162-affc-8d2d3f901f7f"],
  ];
  for (const [tenant, job, expected] of vectors) {
    const key = idempotencyKey(tenant, job);
    if (key !== expected) {
      console.error(`key vector ${tenant}/${job}: got ${key}, expected ${expected}`);
      exit(1);
    }
  }
  console.log(`key vectors ok (${vectors.length})`);
}

if (argv[1] === fileURLToPath(import.meta.url)) checkVectors();
