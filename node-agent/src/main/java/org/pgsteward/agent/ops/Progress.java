package org.pgsteward.agent.ops;

/** Where a long operation reports what it is doing; lines reach the console as they come. */
@FunctionalInterface
public interface Progress {

    void report(String line);

    static Progress discard() {
        return line -> { };
    }
}
