import FaxdCore
import Testing

@Suite struct IdempotencyKeyTests {
    @Test func defaultNamespaceIsDerivedFromTheDNSNamespace() {
        #expect(IdempotencyKey.defaultNamespace.description == "a58da8f1-16c4-5398-a21a-bff26ae388c4")
    }

    /// The test vectors of DESIGN §4.
    @Test(arguments: [
        ("acme", "inv-1", "c020cab0-5fa5-575d-8617-acd6fc49e2c0"),
        ("acme", "inv-2", "2733be4f-79a7-5bef-b33f-cb317324cc94"),
        ("globex", "inv-1", "d6ab83ab-2f50-5feb-bd38-8d5ba607e0aa"),
        ("cust_8xk2m", "9c1a2b3d-4e5f-6789-abcd-ef0123456789", "88bd7e36-35f1-5bc1-a9aa-8025c7fa239e"),
        ("t", "ü-日本", "0fd43369-ae93-5162-affc-8d2d3f901f7f"),
    ])
    func designVectors(tenant: String, job: String, expected: String) {
        #expect(IdempotencyKey(tenantID: tenant, jobID: job).description == expected)
    }

    @Test func aDeploymentNamespaceChangesEveryKey() throws {
        let namespace = try #require(UUIDv5("6ba7b811-9dad-11d1-80b4-00c04fd430c8"))
        let key = IdempotencyKey(tenantID: "acme", jobID: "inv-1", namespace: namespace)
        #expect(key.description != "c020cab0-5fa5-575d-8617-acd6fc49e2c0")
        #expect(key == IdempotencyKey(tenantID: "acme", jobID: "inv-1", namespace: namespace))
    }

    @Test func eventIDsAreDeterministicAndDistinctPerTypeAndDiscriminator() {
        let key = IdempotencyKey(tenantID: "acme", jobID: "inv-1")
        let submitted = key.eventID(type: "fax.submitted", discriminator: "1")
        #expect(submitted == key.eventID(type: "fax.submitted", discriminator: "1"))
        #expect(submitted != key.eventID(type: "fax.submitted", discriminator: "2"))
        #expect(submitted != key.eventID(type: "fax.queued", discriminator: "1"))
        // Same result as Python's uuid.uuid5(ns, f"{key}:fax.submitted:1").
        #expect(
            submitted == UUIDv5(namespace: IdempotencyKey.defaultNamespace, name: "c020cab0-5fa5-575d-8617-acd6fc49e2c0:fax.submitted:1")
        )
    }

    /// The names hashed part by part are the names joined with colons (`UUIDv5(namespace:joining:…)`).
    @Test func aJoinedNameIsTheNameItsPartsSpell() throws {
        let namespace = IdempotencyKey.defaultNamespace
        let key = try #require(UUIDv5("c020cab0-5fa5-575d-8617-acd6fc49e2c0"))
        #expect(UUIDv5(namespace: namespace, joining: "acme", "inv-1") == UUIDv5(namespace: namespace, name: "acme:inv-1"))
        #expect(UUIDv5(namespace: namespace, joining: "t", "usage.balance", "ü") == UUIDv5(namespace: namespace, name: "t:usage.balance:ü"))
        #expect(
            UUIDv5(namespace: namespace, joining: key, "fax.submitted", "1")
                == UUIDv5(namespace: namespace, name: "c020cab0-5fa5-575d-8617-acd6fc49e2c0:fax.submitted:1")
        )
        #expect(UUIDv5(namespace: namespace, joining: "a:b", "c") == UUIDv5(namespace: namespace, joining: "a", "b:c"))
        #expect(Set([key, UUIDv5(key.description)!]).count == 1)
    }

    @Test(arguments: [
        "", "not-a-uuid", "c020cab0-5fa5-575d-8617-acd6fc49e2c", "c020cab0x5fa5-575d-8617-acd6fc49e2c0",
        "g020cab0-5fa5-575d-8617-acd6fc49e2c0",
    ])
    func malformedUUIDsAreRejected(text: String) {
        #expect(UUIDv5(text) == nil)
    }

    @Test func parsingIsCaseInsensitiveAndPrintsLowerCase() {
        #expect(UUIDv5("C020CAB0-5FA5-575D-8617-ACD6FC49E2C0")?.description == "c020cab0-5fa5-575d-8617-acd6fc49e2c0")
    }
}
