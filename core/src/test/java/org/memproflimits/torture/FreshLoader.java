package org.memproflimits.torture;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A class loader that defines the classes of package {@code org.memproflimits.torture.fresh}
 * itself, from the bytes of the test's own class files, so that every instance has brand-new
 * classes: new static initializers to run, new {@code invokedynamic} call sites to link (lambdas,
 * string concatenation, records), new array classes. Every other class comes from the parent.
 *
 * <p>By default the bytes are read once through the parent's {@code getResourceAsStream} and
 * cached. With a NIO directory, every definition reads its class file from that
 * directory through a {@link FileChannel}, which is interruptible (a thread whose interrupt
 * status is set gets {@code ClosedByInterruptException}), as loaders that read jars with NIO
 * channels do (Spring Boot's nested-jar loader, for one).
 */
public final class FreshLoader extends ClassLoader {
    public static final String PACKAGE = "org.memproflimits.torture.fresh";
    public static final String ENTRY = PACKAGE + ".Entry";
    private static final String PREFIX = PACKAGE + ".";
    private static final ConcurrentHashMap<String, byte[]> BYTES = new ConcurrentHashMap<>();
    static final AtomicInteger LOADERS = new AtomicInteger();
    static final AtomicInteger CLASSES_DEFINED = new AtomicInteger();

    static {
        registerAsParallelCapable();
    }

    /** Set by the static initializer of {@code fresh.Entry} through {@link FreshHooks#publish}. */
    volatile FreshWork entry;
    private final AtomicInteger defined = new AtomicInteger();
    /** If not null, class files are read from here through a FileChannel at every definition. */
    private final Path nioDirectory;

    /** A loader that defines the fresh classes from cached bytes. */
    public FreshLoader(ClassLoader parent) {
        this(parent, null);
    }

    /**
     * @param parent where every other class comes from
     * @param nioDirectory where to read class files through a FileChannel (see
     *        {@link #copyClassFiles}), or null to use cached bytes
     */
    public FreshLoader(ClassLoader parent, Path nioDirectory) {
        super("fresh-" + LOADERS.incrementAndGet(), parent);
        this.nioDirectory = nioDirectory;
    }

    /** @return the instance of the entry class, once it is initialized */
    public FreshWork entry() {
        return entry;
    }

    /** @return how many classes this loader defined */
    public int defined() {
        return defined.get();
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (!name.startsWith(PREFIX)) {
            return super.loadClass(name, resolve);
        }
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                byte[] b = bytes(name);
                c = defineClass(name, b, 0, b.length);
                defined.incrementAndGet();
                CLASSES_DEFINED.incrementAndGet();
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }

    private byte[] bytes(String name) throws ClassNotFoundException {
        Path dir = nioDirectory;
        if (dir != null) {
            try (FileChannel ch = FileChannel.open(dir.resolve(name + ".class"))) {
                ByteBuffer buf = ByteBuffer.allocate((int) ch.size());
                while (buf.hasRemaining() && ch.read(buf) >= 0) {
                    // read it all
                }
                return buf.array();
            } catch (IOException e) {
                throw new ClassNotFoundException(name + " (" + e + ")", e);
            }
        }
        byte[] b = BYTES.get(name);
        if (b == null) {
            b = readResource(getParent(), name);
            if (b == null) {
                throw new ClassNotFoundException(name);
            }
            BYTES.putIfAbsent(name, b);
        }
        return b;
    }

    static byte[] readResource(ClassLoader from, String name) {
        try (InputStream in = from.getResourceAsStream(name.replace('.', '/') + ".class")) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Copies the class files of the fresh package into {@code dir}, named by binary name, for a
     * loader that reads them through NIO.
     */
    static void copyClassFiles(ClassLoader from, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path src;
        try {
            src = Path.of(from.getResource(PREFIX.replace('.', '/') + "Entry.class").toURI()).getParent();
        } catch (java.net.URISyntaxException | RuntimeException e) {
            throw new IOException("the fresh classes are not in a directory: " + e, e);
        }
        try (var files = Files.list(src)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String file = p.getFileName().toString();
                if (file.endsWith(".class")) {
                    Files.copy(p, dir.resolve(PREFIX + file),
                            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
