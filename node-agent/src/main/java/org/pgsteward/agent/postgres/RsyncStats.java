package org.pgsteward.agent.postgres;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The numbers of one rsync run, from its {@code --stats} output (run with LC_ALL=C, so
 * thousands are separated by commas). A number rsync did not print is 0.
 *
 * @param files                    files and directories in the source
 * @param regularFilesTransferred  files whose content differed and was updated
 * @param deletedFiles             files removed on our side ({@code --delete})
 * @param totalFileSize            bytes of all source files
 * @param transferredFileSize      bytes of the files that were updated
 * @param literalData              bytes actually sent (the rest matched blocks we already had)
 */
public record RsyncStats(long files, long regularFilesTransferred, long deletedFiles, long totalFileSize,
                         long transferredFileSize, long literalData) {

    public static RsyncStats parse(String statsOutput) {
        return new RsyncStats(
                number(statsOutput, "Number of files"),
                number(statsOutput, "Number of regular files transferred"),
                number(statsOutput, "Number of deleted files"),
                number(statsOutput, "Total file size"),
                number(statsOutput, "Total transferred file size"),
                number(statsOutput, "Literal data"));
    }

    private static long number(String text, String label) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(label) + ": ([0-9][0-9,.]*)").matcher(text);
        return m.find() ? Long.parseLong(m.group(1).replaceAll("[,.]", "")) : 0;
    }

    /** E.g. "12 files transferred (1,234 of 40,000 bytes differed, 567 bytes of literal data), 3 deleted". */
    public String summary() {
        return String.format("%d files transferred (%,d of %,d bytes differed, %,d bytes of literal data), %d deleted",
                regularFilesTransferred, transferredFileSize, totalFileSize, literalData, deletedFiles);
    }
}
