package org.pgsteward.supervisor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.pgsteward.protocol.CborSerializable;
import org.pgsteward.supervisor.policy.RegisteredMember;

/**
 * What the supervisor persists (by its events): the epoch and its primary, the members it has
 * seen, the paused flag and the history of decisions (newest last, bounded).
 */
public record SupervisorState(long epoch, Optional<Integer> primaryId, boolean paused, Map<Integer, RegisteredMember> members,
                              List<String> history, List<String> syncStandbys) implements CborSerializable {

    public SupervisorState(long epoch, Optional<Integer> primaryId, boolean paused, Map<Integer, RegisteredMember> members,
                           List<String> history) {
        this(epoch, primaryId, paused, members, history, List.of());
    }

    SupervisorState withSyncStandbys(List<String> names) {
        return new SupervisorState(epoch, primaryId, paused, members, history, List.copyOf(names));
    }

    static final int HISTORY = 500;

    public static SupervisorState empty() {
        return new SupervisorState(0, Optional.empty(), false, new TreeMap<>(), List.of());
    }

    SupervisorState withEpoch(long newEpoch, Optional<Integer> primary) {
        return new SupervisorState(Math.max(epoch, newEpoch), newEpoch >= epoch ? primary : primaryId, paused, members, history,
                newEpoch > epoch ? List.of() : syncStandbys);
    }

    SupervisorState withPaused(boolean p) {
        return new SupervisorState(epoch, primaryId, p, members, history, syncStandbys);
    }

    SupervisorState withMember(RegisteredMember m) {
        var copy = new TreeMap<>(members);
        copy.put(m.id(), m);
        return new SupervisorState(epoch, primaryId, paused, copy, history, syncStandbys);
    }

    SupervisorState withHistory(String line) {
        var copy = new ArrayList<>(history);
        copy.add(line);
        while (copy.size() > HISTORY) {
            copy.remove(0);
        }
        return new SupervisorState(epoch, primaryId, paused, members, List.copyOf(copy), syncStandbys);
    }
}
