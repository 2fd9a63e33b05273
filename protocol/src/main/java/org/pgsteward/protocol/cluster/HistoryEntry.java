package org.pgsteward.protocol.cluster;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * One entry of the cluster's history, typed: when, whose (the supervisor's, or one agent's own transition), what
 * kind (promote, follow, decision, fence, rejoin, ...), whether it worked, and the text for people. It is kept and
 * sent as its {@link #line} (the supervisor's journal, every agent's {@code <state-dir>/history}) and read back only
 * by {@link #parse}, so nothing else takes a line apart.
 *
 * <p>The line: {@code <ISO instant> [supervisor <kind>] <text>} or {@code <ISO instant> [agent <node id> <kind>] <text>},
 * with {@code FAILED} after the kind when it did not work.
 *
 * @param nodeId the agent's node id; 0 for the supervisor's entries
 */
public record HistoryEntry(Instant at, int nodeId, String kind, boolean ok, String text) {

    private static final String SUPERVISOR = "[supervisor ";
    private static final String AGENT = "[agent ";
    private static final String FAILED = "FAILED";

    public static HistoryEntry supervisor(Instant at, String kind, boolean ok, String text) {
        return new HistoryEntry(at, 0, kind, ok, text);
    }

    public static HistoryEntry agent(Instant at, int nodeId, String kind, boolean ok, String text) {
        return new HistoryEntry(at, nodeId, kind, ok, text);
    }

    public boolean fromSupervisor() {
        return nodeId == 0;
    }

    public String line() {
        return at + " " + (fromSupervisor() ? SUPERVISOR : AGENT + nodeId + " ") + kind + (ok ? "" : " " + FAILED) + "] "
                + text;
    }

    /**
     * The entry of a {@link #line}. A line without a tag was written by a supervisor of an earlier version: the
     * supervisor's, failed when its text says "FAILED" after its first word (as those lines did); a line that does not
     * start with an instant keeps its text, dated at the epoch of the clock.
     */
    public static HistoryEntry parse(String line) {
        int sp = line.indexOf(' ');
        Instant at;
        try {
            at = sp < 0 ? Instant.EPOCH : Instant.parse(line.substring(0, sp));
        } catch (DateTimeParseException e) {
            return supervisor(Instant.EPOCH, "supervisor", true, line);
        }
        String rest = sp < 0 ? "" : line.substring(sp + 1);
        int end = rest.indexOf("] ");
        boolean supervisor = rest.startsWith(SUPERVISOR);
        if ((supervisor || rest.startsWith(AGENT)) && end > 0) {
            String[] tag = rest.substring((supervisor ? SUPERVISOR : AGENT).length(), end).split(" ");
            try {
                int node = supervisor ? 0 : Integer.parseInt(tag[0]);
                int k = supervisor ? 0 : 1;
                boolean ok = !(tag.length > k + 1 && FAILED.equals(tag[k + 1]));
                return new HistoryEntry(at, node, tag[k], ok, rest.substring(end + 2));
            } catch (RuntimeException e) {
                // not a tag of ours after all: the text as it is
            }
        }
        return supervisor(at, "supervisor", !rest.contains(" " + FAILED), rest);
    }
}
