package org.pgsteward.agent.postgres;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The fields of {@code pg_controldata} output (run with LC_ALL=C) that decide whether a data
 * directory can be rewound.
 *
 * @param clusterState      "Database cluster state", e.g. "shut down", "in production"
 * @param systemIdentifier  "Database system identifier" (unsigned 64 bit, kept as the bit pattern)
 * @param walLogHints       "wal_log_hints setting" is on
 * @param checksumVersion   "Data page checksum version"; 0 means no checksums
 * @param timeline          "Latest checkpoint's TimeLineID"
 */
record ControlData(String clusterState, long systemIdentifier, boolean walLogHints, int checksumVersion, int timeline) {

    static final String STATE = "Database cluster state";
    static final String SYSTEM_IDENTIFIER = "Database system identifier";
    static final String WAL_LOG_HINTS = "wal_log_hints setting";
    static final String CHECKSUM_VERSION = "Data page checksum version";
    static final String TIMELINE = "Latest checkpoint's TimeLineID";

    /** @throws IllegalArgumentException naming the missing or unreadable field */
    static ControlData parse(String output) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : output.split("\n")) {
            int colon = line.indexOf(':'); // labels have no colon; values (dates) may
            if (colon > 0) {
                fields.putIfAbsent(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
            }
        }
        try {
            return new ControlData(
                    field(fields, STATE),
                    Long.parseUnsignedLong(field(fields, SYSTEM_IDENTIFIER)),
                    field(fields, WAL_LOG_HINTS).equals("on"),
                    Integer.parseInt(field(fields, CHECKSUM_VERSION)),
                    Integer.parseInt(field(fields, TIMELINE)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("unreadable pg_controldata output: " + e.getMessage(), e);
        }
    }

    private static String field(Map<String, String> fields, String name) {
        return Optional.ofNullable(fields.get(name))
                .orElseThrow(() -> new IllegalArgumentException("pg_controldata output has no \"" + name + "\""));
    }

    /** Shut down cleanly (as a primary or as a standby): nothing to recover. */
    boolean cleanlyShutDown() {
        return clusterState.equals("shut down") || clusterState.equals("shut down in recovery");
    }

    /**
     * Last ran as a primary: shut down or crashed "in production". A crash during crash recovery
     * counts too (it cannot tell, so the careful answer).
     */
    boolean ranAsPrimary() {
        return !clusterState.equals("shut down in recovery") && !clusterState.equals("in archive recovery");
    }

    /** pg_rewind needs hint-bit changes WAL-logged: by wal_log_hints or by data checksums. */
    boolean rewindable() {
        return walLogHints || checksumVersion != 0;
    }
}
