package org.memproflimits.integration;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.memproflimits.Result;
import org.memproflimits.Token;

/** Inputs that never end, and a timer that sets a token: the runaway side of these tests. */
final class Endless {
    private Endless() {
    }

    /**
     * A stream of {@code head}, then {@code item} repeated forever: an untrusted upload that
     * never ends.
     */
    static InputStream repeating(String head, String item) {
        byte[] h = head.getBytes(StandardCharsets.UTF_8);
        byte[] it = item.getBytes(StandardCharsets.UTF_8);
        return new InputStream() {
            private long pos;

            @Override
            public int read() {
                byte b = pos < h.length ? h[(int) pos] : it[(int) ((pos - h.length) % it.length)];
                pos++;
                return b & 0xFF;
            }

            @Override
            public int read(byte[] buf, int off, int len) {
                for (int i = 0; i < len; i++) {
                    buf[off + i] = (byte) read();
                }
                return len;
            }
        };
    }

    /** A token that a daemon thread sets after {@code millis}. */
    static Token setAfter(long millis) {
        Token token = new Token();
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                return;
            }
            token.set();
        }, "token-timer");
        t.setDaemon(true);
        t.start();
        return token;
    }

    /** "Ok(value)" or "Interrupted(LIMIT)", for assertion messages and comparisons. */
    static String describe(Result<?> r) {
        if (r instanceof Result.Interrupted<?> i) {
            return "Interrupted(" + i.limit() + ")";
        }
        return "Ok(" + ((Result.Ok<?>) r).value() + ")";
    }
}
