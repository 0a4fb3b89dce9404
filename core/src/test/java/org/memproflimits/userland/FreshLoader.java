package org.memproflimits.userland;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * A class loader that defines a class and its nested classes itself, from the bytes of the class
 * files on its parent's class path, so that each loader has fresh copies of them; other classes
 * come from the parent. Its {@link #findClass} allocates heavily on purpose: {@code scratch}
 * bytes per class, in 4 KiB arrays.
 */
public final class FreshLoader extends ClassLoader {
    private final String root;
    private final long scratch;
    private volatile int defined;

    /**
     * @param parent where the class files are read and other classes come from
     * @param root the binary name of the top-level class to load afresh
     * @param scratch bytes to allocate (and drop) in each findClass
     */
    public FreshLoader(ClassLoader parent, String root, long scratch) {
        super("fresh-" + root, parent);
        this.root = root;
        this.scratch = scratch;
    }

    /** @return how many classes this loader defined */
    public int defined() {
        return defined;
    }

    private boolean mine(String name) {
        return name.equals(root) || name.startsWith(root + "$");
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (!mine(name)) {
            return super.loadClass(name, resolve);
        }
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                c = findClass(name);
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        if (!mine(name)) {
            throw new ClassNotFoundException(name);
        }
        // Heavy allocation, many samples.
        for (long done = 0; done < scratch; done += 4096) {
            Userland.sink = new byte[4096];
        }
        String resource = name.replace('.', '/') + ".class";
        byte[] bytes;
        try (InputStream in = getParent().getResourceAsStream(resource)) {
            if (in == null) {
                throw new ClassNotFoundException(name + " (no " + resource + ")");
            }
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Class<?> c = defineClass(name, bytes, 0, bytes.length);
        defined++;
        return c;
    }
}
