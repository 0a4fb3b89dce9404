package org.memproflimits;

/**
 * The memprof-limits engine cannot run in this JVM; the message says why and what to do.
 *
 * <p>Reasons include an unsupported operating system or architecture, a native library that
 * cannot be found or loaded, native access denied by the JVM's options, and a JVM without heap
 * sampling (JVMTI {@code SampledObjectAlloc}, JEP 331). Nothing is left half-started: after this
 * exception no limit is active and no engine state remains.
 *
 * <pre>{@code
 * try {
 *     MemprofLimits.start();
 * } catch (EngineUnavailableException e) {
 *     log.warn("running without limits: " + e.getMessage());
 * }
 * }</pre>
 */
public final class EngineUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message why the engine cannot run, and what to do about it
     * @param cause the underlying failure, or {@code null}
     */
    public EngineUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
