/**
 * memprof-limits for the JVM: allocation limits, global heap limits and token cancellation of
 * running code, raised inside the limited thread at allocation points, with masking for safe
 * acquisition and release of resources.
 *
 * <p>The module has no runtime dependency beyond the JDK. It loads a small native library; on
 * JDK 22 and later, run with {@code --enable-native-access=org.memproflimits} (module path) or
 * {@code --enable-native-access=ALL-UNNAMED} (class path) to avoid the JDK's warning.
 */
module org.memproflimits {
    requires java.management;
    requires jdk.management;
    exports org.memproflimits;
}
