package org.pgsteward.agent.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The highest epoch this agent has accepted, and who is primary in it, kept durably in the file
 * {@value #FILE_NAME} of the agent's state directory:
 *
 * <pre>
 * epoch=7
 * primary=2
 * </pre>
 *
 * <p>A higher epoch is on disk before {@link #accept} returns (temp file, fsync, atomic rename,
 * fsync of the directory), so after a crash the agent never acts on an epoch lower than one it
 * has already acted on. A missing file means epoch 0 with no primary; an unreadable or
 * malformed file is an error naming it (guessing could make the agent obey a stale primary).
 * One store per state directory; all methods are thread-safe.
 */
public final class EpochStore {

    private static final Logger log = LoggerFactory.getLogger(EpochStore.class);

    public static final String FILE_NAME = "epoch";
    private static final String TEMP_NAME = FILE_NAME + ".tmp";
    private static final String EPOCH = "epoch";
    private static final String PRIMARY = "primary";

    private final Path stateDir;
    private final Path file;
    private long epoch;
    private Optional<Integer> primary;

    /**
     * Loads {@code stateDir/epoch}; the directory is created on the first {@link #accept}.
     *
     * @throws IllegalStateException when the file is malformed (the message names the file)
     * @throws UncheckedIOException  when it exists but cannot be read
     */
    public EpochStore(Path stateDir) {
        this.stateDir = stateDir;
        this.file = stateDir.resolve(FILE_NAME);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            this.epoch = 0;
            this.primary = Optional.empty();
            return;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the epoch file " + file + ": " + e, e);
        }
        Stored s = parse(text, file);
        this.epoch = s.epoch();
        this.primary = s.primary();
    }

    /** The epoch file this store keeps. */
    public Path file() {
        return file;
    }

    /** The highest epoch accepted; 0 when none. */
    public synchronized long current() {
        return epoch;
    }

    /** The primary of {@link #current()}, if one has been accepted with it. */
    public synchronized Optional<Integer> primaryOfCurrentEpoch() {
        return primary;
    }

    /**
     * Accepts {@code epoch} with {@code primaryNodeId} as its primary.
     *
     * <ul>
     *   <li>lower than {@link #current()}: false, nothing changes (a stale command);
     *   <li>equal, same primary: true, nothing written (a repeated command);
     *   <li>equal, no primary recorded yet: the primary is recorded (persisted), true;
     *   <li>equal, another primary: false, nothing changes (an epoch has one primary; a conflicting
     *       announcement is refused and logged, never obeyed);
     *   <li>higher: persisted (fsync) before this returns, then true.
     * </ul>
     *
     * @throws IllegalArgumentException for a negative epoch or a node id below 1
     * @throws UncheckedIOException     when the file cannot be written; then nothing has changed
     */
    public synchronized boolean accept(long epoch, int primaryNodeId) {
        if (epoch < 0) {
            throw new IllegalArgumentException("negative epoch " + epoch);
        }
        if (primaryNodeId < 1) {
            throw new IllegalArgumentException("invalid primary node id " + primaryNodeId);
        }
        if (epoch < this.epoch) {
            return false;
        }
        if (epoch == this.epoch && primary.isPresent()) {
            if (primary.get() != primaryNodeId) {
                log.warn("refusing epoch {} with primary {}: already accepted with primary {}", epoch, primaryNodeId,
                        primary.get());
                return false;
            }
            return true;
        }
        write(epoch, primaryNodeId);
        this.epoch = epoch;
        this.primary = Optional.of(primaryNodeId);
        return true;
    }

    // ---------------------------------------------------------------- file format and I/O

    private record Stored(long epoch, Optional<Integer> primary) {}

    private static Stored parse(String text, Path file) {
        Long epoch = null;
        Integer primary = null;
        for (String raw : text.split("\n", -1)) {
            String line = raw.strip();
            if (line.isEmpty()) {
                continue;
            }
            int eq = line.indexOf('=');
            String key = eq < 0 ? line : line.substring(0, eq).strip();
            String value = eq < 0 ? "" : line.substring(eq + 1).strip();
            try {
                if (key.equals(EPOCH) && epoch == null) {
                    epoch = Long.parseLong(value);
                    if (epoch < 0) {
                        throw corrupt(file, "negative epoch " + epoch);
                    }
                } else if (key.equals(PRIMARY) && primary == null) {
                    primary = Integer.parseInt(value);
                    if (primary < 1) {
                        throw corrupt(file, "invalid primary node id " + primary);
                    }
                } else {
                    throw corrupt(file, "unexpected line \"" + line + "\"");
                }
            } catch (NumberFormatException e) {
                throw corrupt(file, "not a number in line \"" + line + "\"");
            }
        }
        if (epoch == null) {
            throw corrupt(file, "no epoch= line");
        }
        return new Stored(epoch, Optional.ofNullable(primary));
    }

    private static IllegalStateException corrupt(Path file, String detail) {
        return new IllegalStateException("corrupt epoch file " + file + ": " + detail
                + "; fix or remove it (removing it makes this agent accept any epoch)");
    }

    /** Temp file, fsync, atomic rename over the file, fsync of the directory. */
    private void write(long epoch, int primaryNodeId) {
        byte[] content = (EPOCH + "=" + epoch + "\n" + PRIMARY + "=" + primaryNodeId + "\n").getBytes(StandardCharsets.UTF_8);
        Path tmp = stateDir.resolve(TEMP_NAME);
        try {
            Files.createDirectories(stateDir);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel dir = FileChannel.open(stateDir, StandardOpenOption.READ)) {
                dir.force(true);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the write error is the one to report
            }
            throw new UncheckedIOException("cannot write the epoch file " + file + ": " + e, e);
        }
    }
}
