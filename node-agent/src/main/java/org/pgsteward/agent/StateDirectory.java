package org.pgsteward.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.pgsteward.agent.cluster.EpochStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whose state the agent's state directory holds: {@value #FILE_NAME} records the cluster name, the node id and,
 * once the local PostgreSQL has been seen, its system identifier:
 *
 * <pre>
 * cluster=test
 * node-id=1
 * system-identifier=7301234567890123456
 * </pre>
 *
 * <p>An agent refuses to start on the directory of another cluster (another name, node id, or a data directory
 * with another system identifier: clones copy their upstream's, so a different one means another cluster), since
 * that directory's epoch and journal would fence or mislead it. Nothing is ever deleted: the refusal says how to
 * reset. A directory from before this file (an epoch file, a journal) is adopted. The directory is created 0700,
 * the file written 0600 atomically (temp file, fsync, rename, fsync of the directory).
 */
public final class StateDirectory {

    private static final Logger log = LoggerFactory.getLogger(StateDirectory.class);

    public static final String FILE_NAME = "cluster-id";
    private static final String CLUSTER = "cluster";
    private static final String NODE_ID = "node-id";
    private static final String SYSTEM_IDENTIFIER = "system-identifier";

    /** What a state directory belongs to. */
    public record Identity(String cluster, int nodeId, Optional<Long> systemIdentifier) {

        String describe() {
            return "cluster " + cluster + ", node id " + nodeId + ", PostgreSQL system identifier "
                    + systemIdentifier.map(Long::toUnsignedString).orElse("not recorded yet");
        }
    }

    /** The directory is another cluster's; the message names it, what it holds and how to reset. */
    public static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message);
        }
    }

    private final Path dir;
    private final Path file;
    private volatile Identity identity;

    private StateDirectory(Path dir, Identity identity) {
        this.dir = dir;
        this.file = dir.resolve(FILE_NAME);
        this.identity = identity;
    }

    /**
     * Opens {@code dir} for this agent: creates it (0700) if missing, checks or records its identity.
     *
     * @param systemIdentifier the local data directory's, when it has one now
     * @throws Refused              when the directory belongs to another cluster or node
     * @throws UncheckedIOException when it cannot be created, read or written
     * @throws IllegalStateException when {@value #FILE_NAME} is malformed (the message names it)
     */
    public static StateDirectory open(Path dir, String cluster, int nodeId, Optional<Long> systemIdentifier) {
        createPrivate(dir);
        Path file = dir.resolve(FILE_NAME);
        Optional<Identity> recorded = read(file);
        var wanted = new Identity(cluster, nodeId, systemIdentifier);
        if (recorded.isEmpty()) {
            var fresh = new StateDirectory(dir, wanted);
            if (holdsState(dir)) {
                log.info("state directory {} has no {} (an earlier version's): adopting it for {} (epoch {})", dir,
                        FILE_NAME, wanted.describe(), epochOf(dir));
            }
            fresh.write(wanted);
            return fresh;
        }
        Identity r = recorded.get();
        Optional<String> mismatch = Optional.empty();
        if (!r.cluster().equals(cluster)) {
            mismatch = Optional.of("this agent is of cluster " + cluster);
        } else if (r.nodeId() != nodeId) {
            mismatch = Optional.of("this agent is node id " + nodeId);
        } else if (r.systemIdentifier().isPresent() && systemIdentifier.isPresent()
                && !r.systemIdentifier().equals(systemIdentifier)) {
            mismatch = Optional.of("the data directory's PostgreSQL has system identifier "
                    + Long.toUnsignedString(systemIdentifier.get()) + " (another cluster's: clones keep their upstream's)");
        }
        if (mismatch.isPresent()) {
            throw new Refused("state directory " + dir + " holds another cluster's state: " + r.describe() + ", epoch "
                    + epochOf(dir) + " (from " + file + "); " + mismatch.get() + ". Refusing to start on it; nothing"
                    + " was changed. To start this node afresh, move the directory away (mv " + dir + " " + dir
                    + ".old) or set agent.state-dir to a new directory.");
        }
        var opened = new StateDirectory(dir, r);
        if (r.systemIdentifier().isEmpty() && systemIdentifier.isPresent()) {
            opened.recordSystemIdentifier(systemIdentifier.get());
        }
        return opened;
    }

    public Path dir() {
        return dir;
    }

    public Identity identity() {
        return identity;
    }

    /**
     * Records the local PostgreSQL's system identifier the first time it is known; afterwards nothing changes
     * here (a different one is checked at the next start, which refuses).
     *
     * @return false when another one is recorded
     */
    public synchronized boolean recordSystemIdentifier(long systemIdentifier) {
        Identity current = identity;
        if (current.systemIdentifier().isPresent()) {
            return current.systemIdentifier().get() == systemIdentifier;
        }
        var updated = new Identity(current.cluster(), current.nodeId(), Optional.of(systemIdentifier));
        write(updated);
        identity = updated;
        log.info("state directory {}: recorded PostgreSQL system identifier {}", dir, Long.toUnsignedString(systemIdentifier));
        return true;
    }

    /** Whether a system identifier is recorded already (then nothing needs to be read). */
    public boolean systemIdentifierKnown() {
        return identity.systemIdentifier().isPresent();
    }

    /**
     * The system identifier of the data directory at {@code dataDir}: the first 8 bytes of {@code global/pg_control}
     * (in the server's byte order, this host's), as {@code pg_controldata} prints it. Empty when there is no data
     * directory (yet) or it cannot be read.
     */
    public static Optional<Long> systemIdentifierOf(Path dataDir) {
        Path control = dataDir.resolve("global").resolve("pg_control");
        try (FileChannel ch = FileChannel.open(control, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.nativeOrder());
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // read the first 8 bytes
            }
            if (buf.hasRemaining()) {
                return Optional.empty();
            }
            long id = buf.flip().getLong();
            return id == 0 ? Optional.empty() : Optional.of(id);
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
    }

    private static void createPrivate(Path dir) {
        try {
            if (!Files.isDirectory(dir)) {
                Path parent = dir.toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the state directory " + dir + ": " + e, e);
        }
    }

    private static boolean holdsState(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.findAny().isPresent();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the state directory " + dir + ": " + e, e);
        }
    }

    private static String epochOf(Path dir) {
        if (!Files.exists(dir.resolve(EpochStore.FILE_NAME))) {
            return "0 (no epoch file)";
        }
        try {
            EpochStore store = new EpochStore(dir);
            return store.current() + store.primaryOfCurrentEpoch().map(p -> " with primary node " + p).orElse("");
        } catch (RuntimeException e) {
            return "unreadable (" + e.getMessage() + ")";
        }
    }

    static Optional<Identity> read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e, e);
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            int eq = l.indexOf('=');
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            if (eq <= 0) {
                throw new IllegalStateException(file + ": malformed line \"" + l + "\" (expected key=value)");
            }
            fields.put(l.substring(0, eq).strip(), l.substring(eq + 1).strip());
        }
        String cluster = fields.get(CLUSTER);
        String nodeId = fields.get(NODE_ID);
        if (cluster == null || cluster.isEmpty() || nodeId == null) {
            throw new IllegalStateException(file + ": needs " + CLUSTER + "= and " + NODE_ID + "= (move the state"
                    + " directory away or fix the file)");
        }
        try {
            return Optional.of(new Identity(cluster, Integer.parseInt(nodeId),
                    Optional.ofNullable(fields.get(SYSTEM_IDENTIFIER)).map(Long::parseUnsignedLong)));
        } catch (NumberFormatException e) {
            throw new IllegalStateException(file + ": unreadable number: " + e.getMessage(), e);
        }
    }

    static String format(Identity id) {
        return "# pgsteward: whose state this directory holds (see README, \"State directory\")\n"
                + CLUSTER + "=" + id.cluster() + "\n" + NODE_ID + "=" + id.nodeId() + "\n"
                + id.systemIdentifier().map(s -> SYSTEM_IDENTIFIER + "=" + Long.toUnsignedString(s) + "\n").orElse("");
    }

    private void write(Identity id) {
        try {
            org.pgsteward.agent.cluster.StateFiles.writeDurably(file, format(id).getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e, e);
        }
    }
}
