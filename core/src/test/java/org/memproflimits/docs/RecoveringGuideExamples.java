package org.memproflimits.docs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import org.memproflimits.Guarded;
import org.memproflimits.InterruptibleCharSequence;
import org.memproflimits.Masking;
import org.memproflimits.MemprofLimits;
import org.memproflimits.Resource;
import org.memproflimits.Result;
import org.memproflimits.Token;

/**
 * The snippets of docs/recovering.md, compiled (and run by RecoveringGuideTest). Each region
 * between "// snippet:NAME" and "// end" appears in the guide as it is here.
 */
public final class RecoveringGuideExamples {
    final ReentrantLock lock = new ReentrantLock();
    final Map<String, Integer> shared = new HashMap<>();
    final Guarded<Map<String, Integer>> counts = Guarded.withRollback(new HashMap<>(), HashMap::new);
    final Map<String, Object> cache = new ConcurrentHashMap<>();
    static final ThreadLocal<StringBuilder> SCRATCH = ThreadLocal.withInitial(StringBuilder::new);

    // snippet:monitor
    String handle(String request) {
        Token token = new Token();                        // set by a timeout, a cancel button...
        Result<String> r = MemprofLimits.limitWithToken(token, () -> render(request));
        if (r instanceof Result.Ok<String> ok) {
            return ok.value();
        }
        // Interrupted: whatever exception ended the task is in r; don't look at its type.
        return "503 too much work";
    }
    // end

    // snippet:catchall
    int parseAll(List<String> inputs) throws Throwable {
        int parsed = 0;
        for (String in : inputs) {
            try {
                parse(in);
                parsed++;
            } catch (Throwable t) {
                if (MemprofLimits.isInterrupted()) {
                    throw t;                              // re-raise promptly: the task is ending
                }
                log("skipping bad input: " + t);          // a real, local failure
            }
        }
        return parsed;
    }
    // end

    // snippet:lock
    void increment(String key) {
        try (Resource<ReentrantLock> held = Masking.acquire(() -> {
            lock.lock();
            return lock;
        }, ReentrantLock::unlock)) {
            shared.merge(key, 1, Integer::sum);           // interruptible; unlock always runs
        }
    }
    // end

    // snippet:commit-or-rollback
    void transfer(Map<String, Integer> accounts, String from, String to, int amount) {
        Map<String, Integer> before = new HashMap<>();
        Masking.withResource(
                () -> {                                   // masked: take the snapshot whole
                    before.putAll(accounts);
                    return accounts;
                },
                a -> {                                    // interruptible
                    a.merge(from, -amount, Integer::sum);
                    a.merge(to, amount, Integer::sum);
                    return null;
                },
                a -> {                                    // masked: commit or roll back
                    if (MemprofLimits.isInterrupted()) {
                        a.clear();
                        a.putAll(before);
                    }
                });
    }
    // end

    // snippet:guarded
    void countWords(List<String> words) {
        counts.update(m -> {
            for (String w : words) {
                m.merge(w, 1, Integer::sum);              // interrupted midway? rolled back
            }
            return null;
        });
    }
    // end

    // snippet:finally
    void writeReport(Path out, String body) throws IOException {
        Path tmp = Files.createTempFile(out.getParent(), "report", ".tmp");
        try {
            Files.writeString(tmp, body);                 // may be interrupted
            Files.move(tmp, out);
        } finally {
            // An unmasked finally that allocates can be interrupted again (the interrupt is
            // sticky); deleting a file must not be cut short, so mask it.
            Masking.mask(() -> Files.deleteIfExists(tmp));
        }
    }
    // end

    // snippet:threadlocal
    String format(List<String> items) {
        StringBuilder sb = SCRATCH.get();
        sb.setLength(0);                                  // reset on entry, not only on exit:
        for (String i : items) {                          // an interrupted task may have left
            sb.append(i).append(';');                     // it half-filled on this pooled thread
        }
        return sb.toString();
    }
    // end

    // snippet:cache
    Object lookup(String key) {
        // computeIfAbsent publishes nothing if the function throws: an interrupt leaves no entry.
        return cache.computeIfAbsent(key, k -> expensive(k));
    }
    // end

    // snippet:mask-package
    void maskStorageEngine() {
        Masking.maskPackage("org.h2.mvstore");      // no interrupt arises while this package is on the stack
    }
    // end

    // snippet:regex
    Result<Boolean> matches(Pattern pattern, String userInput, Token token) {
        return MemprofLimits.limitWithToken(token,
                () -> pattern.matcher(InterruptibleCharSequence.of(userInput)).matches());
    }
    // end

    String render(String request) {
        return request.toUpperCase();
    }

    void parse(String in) {
        Integer.parseInt(in);
    }

    void log(String s) {
    }

    Object expensive(String k) {
        return k.repeat(2);
    }
}
