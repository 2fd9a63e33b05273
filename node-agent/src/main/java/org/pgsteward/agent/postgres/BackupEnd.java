package org.pgsteward.agent.postgres;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a non-exclusive backup's stop returns; the clone writes these files itself.
 *
 * @param labelFile     content for {@code backup_label}
 * @param tablespaceMap content for {@code tablespace_map}, when there are tablespaces
 * @param stopLsn       the backup's end LSN
 * @param stopWalFile   the WAL segment holding {@code stopLsn}
 */
public record BackupEnd(String labelFile, Optional<String> tablespaceMap, String stopLsn, String stopWalFile) {

    private static final Pattern START_FILE = Pattern.compile("START WAL LOCATION: \\S+ \\(file ([0-9A-F]{24})\\)");

    /** The segment the backup starts in, from the label's "START WAL LOCATION: 0/2000028 (file 0000...)" line. */
    public Optional<String> startWalFile() {
        Matcher m = START_FILE.matcher(labelFile);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }
}
