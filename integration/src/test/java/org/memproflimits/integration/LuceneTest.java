package org.memproflimits.integration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.queryparser.classic.QueryParser;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.memproflimits.Masking;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Result;

/**
 * Lucene: an {@code IndexWriter} closes itself for good (a "tragic event", by design) when any
 * error arises while it flushes a segment - an {@code OutOfMemoryError}, or an interrupt. With
 * {@code org.apache.lucene.index} masked, indexing and searching are interrupted anywhere else and
 * the same writer indexes on.
 */
class LuceneTest {
    private static final String INDEX = "org.apache.lucene.index";

    @BeforeAll
    static void maskTheIndexPackage() {
        Masking.maskPackage(INDEX);
    }

    @Test
    void indexingAndSearchInterruptedAnywhereLeaveTheWriterRight() throws Exception {
        try (IndexWriter writer = new IndexWriter(new ByteBuffersDirectory(),
                new IndexWriterConfig(new StandardAnalyzer()))) {
            AtomicInteger batch = new AtomicInteger();
            // Measured 1500 of 1500 on JDK 17 and twice on JDK 25; at a conservative 0.90 (see
            // InterruptedAnywhere), the floor at CI size is 109 of 150:
            // P(Binomial(150, 0.90) < 109) = 4.8e-10 (false failure).
            InterruptedAnywhere.check("Lucene (" + INDEX + " masked)", 150, 10, 0.90, () -> batch(writer, batch));
        }
    }

    /**
     * Searching stays interruptible with the index package masked: a search that runs away
     * (here, wildcard queries over a growing vocabulary, forever) is stopped by its token, and
     * the interrupt arises inside Lucene's search code.
     */
    @Test
    void aRunawaySearchIsStoppedInsideLucene() throws Exception {
        try (IndexWriter writer = new IndexWriter(new ByteBuffersDirectory(),
                new IndexWriterConfig(new StandardAnalyzer()))) {
            for (int i = 0; i < 20_000; i++) {
                Document d = new Document();
                d.add(new TextField("body", "term" + i + " w" + (i % 97) + " v" + (i % 13), Field.Store.NO));
                writer.addDocument(d);
            }
            writer.commit();
            try (DirectoryReader reader = DirectoryReader.open(writer)) {
                IndexSearcher searcher = new IndexSearcher(reader);
                QueryParser parser = new QueryParser("body", new StandardAnalyzer());
                parser.setAllowLeadingWildcard(true);
                Query query = parser.parse("*erm*1* OR w1* OR *3");
                Result<Long> r = MemprofLimits.limitWithToken(Endless.setAfter(200), () -> {
                    long hits = 0;
                    while (true) {                  // all that allocates here is the search
                        hits += searcher.count(query);
                    }
                });
                Result.Interrupted<?> i = (Result.Interrupted<?>) r;
                String trace = Arrays.toString(i.exception().getStackTrace());
                assertTrue(trace.contains("org.apache.lucene.search.IndexSearcher.count"),
                        "interrupted outside the search: " + trace);
                assertEquals(20_000, searcher.count(new MatchAllDocsQuery()));
            }
        }
    }

    /**
     * Why the package is masked: the same work on fresh writers, first unmasked (how many writers
     * an interrupt broke - closed, or failing the next batch - is printed, not asserted: it is
     * Lucene's behaviour, not ours), then masked (none may break).
     */
    @Test
    void withItsIndexPackageMaskedNoInterruptBreaksTheWriter() throws Exception {
        int runs = 100;
        int brokenUnmasked = InterruptedAnywhere.withPackageUnmasked(INDEX, () -> brokenWriters(runs));
        int brokenMasked = brokenWriters(runs);
        System.out.printf("Lucene: interrupts in %d batches broke %d writers with %s unmasked, %d with it masked%n",
                runs, brokenUnmasked, INDEX, brokenMasked);
        assertEquals(0, brokenMasked, "writers broken by an interrupt with " + INDEX + " masked");
    }

    private static int brokenWriters(int runs) throws Exception {
        Random random = new Random(11);
        AtomicInteger batch = new AtomicInteger();
        String expected = null;
        IndexWriter writer = null;
        int broken = 0;
        for (int i = 0; i < runs; i++) {
            if (writer == null) {
                writer = new IndexWriter(new ByteBuffersDirectory(), new IndexWriterConfig(new StandardAnalyzer()));
                if (expected == null) {
                    expected = batch(writer, batch);
                }
            }
            IndexWriter w = writer;
            MemprofLimits.limitAllocations(random.nextInt(4 << 20), () -> batch(w, batch));
            String next;
            try {
                next = writer.isOpen() ? batch(writer, batch) : "closed";
            } catch (Exception | AssertionError e) {    // Lucene's own assertions run under -ea
                next = e.toString();
            }
            if (!next.equals(expected)) {
                broken++;
                discard(writer);
                writer = null;
            }
        }
        if (writer != null) {
            writer.close();
        }
        return broken;
    }

    /**
     * Drops a broken writer: its close may fail too, and nothing of it is used again. A writer
     * whose close was interrupted stays "closing" for good, and its rollback would wait for that
     * close forever (a CI hang, JDK 25): such a writer is only dropped.
     */
    private static void discard(IndexWriter writer) {
        if (!writer.isOpen()) {
            return;
        }
        try {
            writer.rollback();
        } catch (Exception | AssertionError e) {
            // broken already: the test counted it
        }
    }

    /**
     * Indexes 100 documents of a new batch, searches them, deletes them and commits. An
     * interrupted batch may leave documents behind; each batch counts only its own.
     */
    private static String batch(IndexWriter writer, AtomicInteger batches) throws Exception {
        String id = "b" + batches.incrementAndGet();
        for (int i = 0; i < 100; i++) {
            Document d = new Document();
            d.add(new StringField("batch", id, Field.Store.NO));
            d.add(new TextField("body", "the quick brown fox " + i + " jumps over the lazy dog " + (i % 7),
                    Field.Store.YES));
            writer.addDocument(d);
        }
        String counts;
        try (DirectoryReader reader = DirectoryReader.open(writer)) {
            IndexSearcher searcher = new IndexSearcher(reader);
            QueryParser parser = new QueryParser("body", new StandardAnalyzer());
            counts = searcher.count(parser.parse("+batch:" + id + " +fox +lazy")) + ":"
                    + searcher.count(parser.parse("+batch:" + id + " +body:3"));
        }
        writer.deleteDocuments(new Term("batch", id));
        writer.commit();
        return counts;
    }
}
