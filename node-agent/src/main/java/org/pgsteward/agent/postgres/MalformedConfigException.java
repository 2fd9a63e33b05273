package org.pgsteward.agent.postgres;

/**
 * A configuration file ({@code postgresql.conf} syntax) could not be parsed. The message has the form
 * {@code <file>:<line>: <problem>} and never contains the offending line's text, which may hold a
 * password (e.g. inside {@code primary_conninfo}).
 */
public final class MalformedConfigException extends RuntimeException {

    private final String file;
    private final int lineNumber;

    /**
     * @param file the file name or path, for the message
     * @param lineNumber 1-based line number of the bad line
     * @param problem what is wrong, without secret content
     */
    public MalformedConfigException(String file, int lineNumber, String problem) {
        this(file, lineNumber, problem, null);
    }

    /** Same as {@link #MalformedConfigException(String, int, String)} with a cause. */
    public MalformedConfigException(String file, int lineNumber, String problem, Throwable cause) {
        super(file + ":" + lineNumber + ": " + problem, cause);
        this.file = file;
        this.lineNumber = lineNumber;
    }

    /** The file name or path as given. */
    public String file() {
        return file;
    }

    /** 1-based line number of the bad line. */
    public int lineNumber() {
        return lineNumber;
    }
}
