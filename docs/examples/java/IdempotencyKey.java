import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.UUID;

/**
 * faxd's idempotency key (docs/design.md §4): UUIDv5(namespace, tenant_id + ":" + job_id). The JDK's
 * UUID.nameUUIDFromBytes is version 3 (MD5), so version 5 is built here from SHA-1.
 * `java IdempotencyKey.java` checks the design's vectors.
 */
public final class IdempotencyKey {
    public static final UUID NAMESPACE = UUID.fromString("a58da8f1-16c4-5398-a21a-bff26ae388c4");

    public static String of(String tenantId, String jobId) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(ByteBuffer.allocate(16).putLong(NAMESPACE.getMostSignificantBits()).putLong(NAMESPACE.getLeastSignificantBits()).array());
            byte[] hash = sha1.digest((tenantId + ":" + jobId).getBytes(StandardCharsets.UTF_8));
            hash[6] = (byte) ((hash[6] & 0x0f) | 0x50);
            hash[8] = (byte) ((hash[8] & 0x3f) | 0x80);
            ByteBuffer bytes = ByteBuffer.wrap(hash, 0, 16);
            return new UUID(bytes.getLong(), bytes.getLong()).toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void main(String[] args) {
        String[][] vectors = {
            {"acme", "inv-1", "c020cab0-5fa5-575d-8617-acd6fc49e2c0"},
            {"acme", "inv-2", "2733be4f-79a7-5bef-b33f-cb317324cc94"},
            {"globex", "inv-1", "d6ab83ab-2f50-5feb-bd38-8d5ba607e0aa"},
            {"cust_8xk2m", "9c1a2b3d-4e5f-6789-abcd-ef0123456789", "88bd7e36-35f1-5bc1-a9aa-8025c7fa239e"},
            {"t", "\u00fc-\u65e5\u672c", "0fd43369-ae93-5162-affc-8d2d3f901f7f"},
        };
        for (String[] vector : vectors) {
            String key = of(vector[0], vector[1]);
            if (!key.equals(vector[2])) {
                System.err.println("key vector " + vector[0] + "/" + vector[1] + ": got " + key + ", expected " + vector[2]);
                System.exit(1);
            }
        }
        System.out.println("key vectors ok (" + vectors.length + ")");
    }
}
