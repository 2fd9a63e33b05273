package org.pgsteward.agent.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.time.Instant;
import org.pgsteward.protocol.cluster.HistoryEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This agent's copy of the supervisor's history (issue 7.3): every agent keeps the lines the supervisor sends it in
 * {@value #FILE_NAME} of its state directory (0600), so `cluster event` on any survivor lists the decisions made on
 * a host that is gone. Lines are unique (a moved supervisor resends its journal's history; repeats are dropped) and
 * the newest {@value #KEEP} are kept. Losing the tail in a crash loses history, never a decision: no fsync.
 *
 * <p>This agent's own state changes (fenced, unfenced, local restart, gave up, rejoin: {@link #agentEvent}) are kept
 * here too, as {@link HistoryEntry} lines, so `cluster event` on this node shows them even while it is cut off.
 */
public final class HistoryLog {

    private static final Logger log = LoggerFactory.getLogger(HistoryLog.class);
    public static final String FILE_NAME = "history";
    static final int KEEP = 1000;

    private final Path file;
    private final LinkedHashSet<String> lines = new LinkedHashSet<>();

    public HistoryLog(Path stateDir) {
        this.file = stateDir.resolve(FILE_NAME);
        try {
            lines.addAll(Files.readAllLines(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            // no history yet
        } catch (IOException e) {
            log.warn("cannot read the history copy {}: {} (starting a new one)", file, e.toString());
        }
    }

    /** Adds the lines not yet held; writes them (or, past twice the bound, the newest lines) to the file. */
    public synchronized void add(List<String> newLines) {
        List<String> added = new ArrayList<>();
        for (String l : newLines) {
            String line = l.replace('\n', ' ');
            if (lines.add(line)) {
                added.add(line);
            }
        }
        if (added.isEmpty()) {
            return;
        }
        try {
            if (lines.size() > 2 * KEEP) {
                List<String> keep = new ArrayList<>(lines).subList(lines.size() - KEEP, lines.size());
                lines.clear();
                lines.addAll(keep);
                StateFiles.writeDurably(file, (String.join("\n", keep) + "\n").getBytes(StandardCharsets.UTF_8));
            } else {
                if (!Files.exists(file)) {
                    Files.createDirectories(file.getParent());
                    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                }
                Files.writeString(file, String.join("\n", added) + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            log.warn("cannot write the history copy {}: {}", file, e.toString());
        }
    }

    /** Records one of this agent's own events ({@code ok} false: it failed). */
    public void agentEvent(Instant at, int nodeId, String kind, boolean ok, String text) {
        add(List.of(HistoryEntry.agent(at, nodeId, kind, ok, text).line()));
    }

    /** Oldest first. */
    public synchronized List<String> lines() {
        return List.copyOf(lines);
    }
}
