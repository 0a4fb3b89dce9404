package org.memproflimits.torture.fresh;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import org.memproflimits.torture.FreshHooks;

/**
 * A static initializer that reads a data file through a {@link FileChannel}, as many do (to map
 * or read a table): NIO channels are interruptible, so a thread whose interrupt status is set
 * gets ClosedByInterruptException here.
 */
final class IoInit {
    static final String CONFIG;

    static {
        try (FileChannel ch = FileChannel.open(FreshHooks.configFile())) {
            ByteBuffer buf = ByteBuffer.allocate((int) ch.size());
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // read it all
            }
            CONFIG = new String(buf.array(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        FreshHooks.initialized();
    }

    private IoInit() {
    }

    static long run(long x) {
        return CONFIG.length() + x;
    }
}
