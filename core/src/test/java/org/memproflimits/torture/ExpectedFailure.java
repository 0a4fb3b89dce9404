package org.memproflimits.torture;

/** The torture's own failure, thrown on purpose by tasks, acquisitions and updates. */
final class ExpectedFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ExpectedFailure(String what) {
        super(what, null, false, false);
    }

    /** @return whether {@code t} is one of the torture's expected exceptions */
    static boolean isOwn(Throwable t) {
        return t instanceof ExpectedFailure || t instanceof org.memproflimits.PoisonedException;
    }
}
