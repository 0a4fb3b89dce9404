package org.memproflimits.tools;

/** A bad command line: the runner prints the message and the usage, and exits with status 2. */
final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
