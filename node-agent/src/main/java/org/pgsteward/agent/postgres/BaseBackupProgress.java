package org.pgsteward.agent.postgres;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns pg_basebackup's stderr ({@code -P -v}) into progress lines for a user: its
 * {@code NNN/MMM kB (PP%), ...} lines become "copied NNN of MMM kB (PP%)", at most one per
 * interval plus the last one; its verbose {@code pg_basebackup: ...} messages pass through
 * without the prefix. A line equal to the previous one is dropped. Thread-safe (stderr is read on its own thread).
 */
final class BaseBackupProgress implements Consumer<String> {

    private static final Pattern PROGRESS = Pattern.compile("^\\s*(\\d+)/(\\d+) kB \\((\\d+)%\\)");
    private static final String PREFIX = "pg_basebackup: ";

    private final Consumer<String> sink;
    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private long lastReportNanos;
    private boolean reportedAny;
    private Optional<String> pending = Optional.empty();
    private String lastEmitted = "";

    BaseBackupProgress(Consumer<String> sink, Duration interval, LongSupplier nanoClock) {
        this.sink = sink;
        this.intervalNanos = interval.toNanos();
        this.nanoClock = nanoClock;
    }

    /** One stderr line of pg_basebackup. */
    @Override
    public synchronized void accept(String line) {
        Optional<String> progress = parse(line);
        if (progress.isPresent()) {
            long now = nanoClock.getAsLong();
            if (!reportedAny || now - lastReportNanos >= intervalNanos) {
                emit(progress.get(), now);
            } else {
                pending = progress; // reported later if nothing newer comes: the final line is never lost
            }
        } else if (line.startsWith(PREFIX)) {
            flush();
            sink.accept(line.substring(PREFIX.length()).strip());
        }
    }

    /** Reports the last throttled progress line, if any; call when pg_basebackup has exited. */
    synchronized void finish() {
        flush();
    }

    /** "copied NNN of MMM kB (PP%)" for a pg_basebackup progress line. */
    static Optional<String> parse(String line) {
        Matcher m = PROGRESS.matcher(line);
        if (!m.find()) {
            return Optional.empty();
        }
        return Optional.of("copied " + m.group(1) + " of " + m.group(2) + " kB (" + m.group(3) + "%)");
    }

    private void flush() {
        pending.ifPresent(p -> emit(p, nanoClock.getAsLong()));
    }

    private void emit(String text, long now) {
        pending = Optional.empty();
        if (text.equals(lastEmitted)) {
            return; // pg_basebackup prints its final line twice (before and after the WAL end)
        }
        lastEmitted = text;
        reportedAny = true;
        lastReportNanos = now;
        sink.accept(text);
    }
}
