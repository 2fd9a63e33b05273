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
 * The highest epoch this agent has accepted, who is primary in it, and the vote it gave in a later
 * election, kept durably in the file {@value #FILE_NAME} of the agent's state directory:
 *
 * <pre>
 * epoch=7
 * primary=2
 * voted=8:3
 * </pre>
 *
 * <p>A vote is not a decision (DESIGN, safety model 7): {@link #vote} records only "voted for node 3
 * in epoch 8" and never changes the accepted epoch or its primary; an agent acts on an epoch only
 * once the supervisor's decision for it arrives ({@link #accept}). One vote per epoch: a second
 * candidate in the same or an older election is refused, so two majorities cannot both elect.
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
    private static final String VOTED = "voted";

    private final Path stateDir;
    private final Path file;
    private long epoch;
    private Optional<Integer> primary;
    private Optional<Vote> vote = Optional.empty();

    /** A vote given for {@code candidate} in the election of {@code epoch}. */
    public record Vote(long epoch, int candidate) {}

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
        this.vote = s.vote().filter(v -> v.epoch() > s.epoch());
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

    /** The vote given in an election later than {@link #current()}, if any. */
    public synchronized Optional<Vote> vote() {
        return vote;
    }

    /** The highest epoch this agent accepted or voted in: it never takes part in a lower one again. */
    public synchronized long highestSeen() {
        return Math.max(epoch, vote.map(Vote::epoch).orElse(0L));
    }

    /**
     * Votes for {@code candidate} in the election of {@code epoch}, persisted (fsync) before it returns true.
     *
     * <ul>
     *   <li>{@code epoch} already decided for this candidate ({@link #current()}, same primary): true, a repeat;
     *   <li>not higher than {@link #current()} otherwise: false;
     *   <li>a vote already given in this epoch: true for the same candidate, false for another;
     *   <li>a vote already given in a later epoch: false (that election may still be running);
     *   <li>else the vote is written, then true. The accepted epoch and its primary do not change.
     * </ul>
     *
     * @throws UncheckedIOException when the file cannot be written; then nothing has changed
     */
    public synchronized boolean vote(long epoch, int candidate) {
        if (candidate < 1) {
            throw new IllegalArgumentException("invalid candidate node id " + candidate);
        }
        if (epoch == this.epoch && primary.equals(Optional.of(candidate))) {
            return true;
        }
        if (epoch <= this.epoch) {
            return false;
        }
        if (vote.isPresent()) {
            Vote v = vote.get();
            if (v.epoch() == epoch) {
                return v.candidate() == candidate;
            }
            if (v.epoch() > epoch) {
                return false;
            }
        }
        Vote next = new Vote(epoch, candidate);
        write(this.epoch, primary, Optional.of(next));
        vote = Optional.of(next);
        return true;
    }

    /**
     * Accepts {@code epoch} with {@code primaryNodeId} as its primary: the supervisor's decision, never a vote.
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
        Optional<Vote> keptVote = vote.filter(v -> v.epoch() > epoch);
        write(epoch, Optional.of(primaryNodeId), keptVote);
        this.epoch = epoch;
        this.primary = Optional.of(primaryNodeId);
        this.vote = keptVote;
        return true;
    }

    // ---------------------------------------------------------------- file format and I/O

    private record Stored(long epoch, Optional<Integer> primary, Optional<Vote> vote) {}

    private static Stored parse(String text, Path file) {
        Long epoch = null;
        Integer primary = null;
        Vote vote = null;
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
                } else if (key.equals(VOTED) && vote == null) {
                    int colon = value.indexOf(':');
                    if (colon < 0) {
                        throw corrupt(file, "voted= needs EPOCH:NODE in line \"" + line + "\"");
                    }
                    vote = new Vote(Long.parseLong(value.substring(0, colon)), Integer.parseInt(value.substring(colon + 1)));
                    if (vote.epoch() < 0 || vote.candidate() < 1) {
                        throw corrupt(file, "invalid vote in line \"" + line + "\"");
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
        return new Stored(epoch, Optional.ofNullable(primary), Optional.ofNullable(vote));
    }

    private static IllegalStateException corrupt(Path file, String detail) {
        return new IllegalStateException("corrupt epoch file " + file + ": " + detail
                + "; fix or remove it (removing it makes this agent accept any epoch)");
    }

    /** Temp file, fsync, atomic rename over the file, fsync of the directory. */
    private void write(long epoch, Optional<Integer> primaryNodeId, Optional<Vote> vote) {
        String text = EPOCH + "=" + epoch + "\n" + primaryNodeId.map(p -> PRIMARY + "=" + p + "\n").orElse("")
                + vote.map(v -> VOTED + "=" + v.epoch() + ":" + v.candidate() + "\n").orElse("");
        try {
            StateFiles.writeDurably(file, text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the epoch file " + file + ": " + e, e);
        }
    }
}
