package org.memproflimits.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.memproflimits.Allocated;
import org.memproflimits.Limit;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Result;

/**
 * Jackson: a shared {@code ObjectMapper} whose work is interrupted - an endless upload, the
 * first (introspecting) use of a type - and which then serves the next request correctly.
 */
class JacksonTest {
    public static final class Order {
        public long id;
        public String customer;
        public List<Line> lines;
        public Map<String, String> attributes;
    }

    public static final class Line {
        public String sku;
        public int quantity;
        public double price;
    }

    static final String ORDER = "{\"id\":42,\"customer\":\"ACME\",\"lines\":[{\"sku\":\"A-1\",\"quantity\":3,"
            + "\"price\":9.5},{\"sku\":\"B-2\",\"quantity\":1,\"price\":120.0}],\"attributes\":{\"rush\":\"yes\"}}";

    @Test
    void anEndlessUploadIsStoppedByEachLimitAndTheMapperServesTheNextRequest() throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        String item = "{\"id\":123,\"name\":\"abcdef\",\"tags\":[\"x\",\"y\",\"z\"],\"score\":1.25},";

        Result<Allocated<JsonNode>> byAllocations = MemprofLimits.limitAllocations(64L << 20,
                () -> mapper.readTree(Endless.repeating("[", item)));
        assertEquals(Limit.ALLOCATIONS, ((Result.Interrupted<?>) byAllocations).limit());
        assertServes(mapper);

        // readTree keeps every node of the endless array it has read: the heap fills.
        GlobalLimit.stop("Jackson: an endless upload read into a tree",
                () -> mapper.readTree(Endless.repeating("[", item)));
        assertServes(mapper);

        Result<JsonNode> byToken = MemprofLimits.limitWithToken(Endless.setAfter(100),
                () -> mapper.readTree(Endless.repeating("[", item)));
        assertEquals(Limit.TOKEN, ((Result.Interrupted<?>) byToken).limit());
        assertServes(mapper);

        Result<Order> streaming = MemprofLimits.limitWithToken(Endless.setAfter(100),
                () -> mapper.readValue(Endless.repeating("{\"id\":1,\"lines\":[",
                        "{\"sku\":\"C-3\",\"quantity\":2,\"price\":1.0},"), Order.class));
        assertEquals(Limit.TOKEN, ((Result.Interrupted<?>) streaming).limit());
        assertServes(mapper);
    }

    /**
     * The first use of a type builds and caches its deserializer and serializer (reflection,
     * annotations, bean properties): interrupted at a random point of that, on a fresh shared
     * mapper each time, the mapper still reads and writes the type correctly afterwards.
     */
    @Test
    void aFirstUseInterruptedAnywhereLeavesTheMapperCorrect() throws Exception {
        long firstUse = firstUseBytes();
        Random random = new Random(1);
        int interrupted = 0;
        int trials = 200;
        for (int t = 0; t < trials; t++) {
            ObjectMapper mapper = new ObjectMapper();
            long limit = (long) (firstUse * random.nextDouble());
            Result<Allocated<String>> r = MemprofLimits.limitAllocations(limit, () -> {
                Order o = mapper.readValue(ORDER, Order.class);
                return mapper.writeValueAsString(o);
            });
            if (r instanceof Result.Interrupted<?>) {
                interrupted++;
            }
            assertServes(mapper);
        }
        System.out.printf("Jackson first use: %d bytes; %d of %d trials interrupted in it, mapper correct after each%n",
                firstUse, interrupted, trials);
        // Measured 138 of 200 (0.69) on JDK 17, 131 and 129 of 200 (0.65) on JDK 25; at a
        // conservative 0.50 (0.15 below: six standard deviations of 400 trials; see
        // InterruptedAnywhere), the floor is 58 of 200: P(Binomial(200, 0.50) < 58) = 5.1e-10
        // (false failure).
        InterruptedAnywhere.assertInterruptedAtLeast("Jackson first use", interrupted, trials, 0.50);
    }

    /** Reading, converting and writing documents on one shared mapper, interrupted anywhere. */
    @Test
    void workInterruptedAnywhereLeavesTheMapperRight() throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        StringBuilder orders = new StringBuilder("[");
        for (int i = 0; i < 50; i++) {
            orders.append(i == 0 ? "" : ",").append(ORDER.replace("42", Integer.toString(i)));
        }
        String json = orders.append(']').toString();
        // Measured 1313 of 1500 (0.88) on JDK 17, 1315 and 1306 (0.87) on JDK 25; at a conservative
        // 0.75 (see InterruptedAnywhere), the floor at CI size is 78 of 150:
        // P(Binomial(150, 0.75) < 78) = 3.6e-10 (false failure).
        InterruptedAnywhere.check("Jackson", 150, 5, 0.75, () -> {
            Order[] read = mapper.readValue(json, Order[].class);
            JsonNode tree = mapper.valueToTree(read);
            return mapper.writeValueAsString(tree);     // every field of every order, as read
        });
    }

    /** The least of a few counts of a first use, each on a fresh mapper (see InterruptedAnywhere.steadyBytes). */
    private static long firstUseBytes() throws Exception {
        long least = Long.MAX_VALUE;
        for (int i = 0; i < InterruptedAnywhere.MEASURED_RUNS; i++) {
            ObjectMapper mapper = new ObjectMapper();
            Result<Allocated<String>> r = MemprofLimits.limitAllocations(MemprofLimits.MAX_ALLOCATION_LIMIT,
                    () -> mapper.writeValueAsString(mapper.readValue(ORDER, Order.class)));
            least = Math.min(least, r.orElseThrow().bytes());
        }
        return least;
    }

    private static void assertServes(ObjectMapper mapper) throws Exception {
        Order o = mapper.readValue(ORDER, Order.class);
        assertEquals(42, o.id);
        assertEquals("ACME", o.customer);
        assertEquals(2, o.lines.size());
        assertEquals(120.0, o.lines.get(1).price);
        assertEquals("yes", o.attributes.get("rush"));
        assertEquals(mapper.readTree(ORDER), mapper.readTree(mapper.writeValueAsString(o)));
    }
}
