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
                              List<String> history, List<String> syncStandbys, long reservedEpoch) implements CborSerializable {

    public SupervisorState(long epoch, Optional<Integer> primaryId, boolean paused, Map<Integer, RegisteredMember> members,
                           List<String> history) {
        this(epoch, primaryId, paused, members, history, List.of(), epoch);
    }

    public SupervisorState(long epoch, Optional<Integer> primaryId, boolean paused, Map<Integer, RegisteredMember> members,
                           List<String> history, List<String> syncStandbys) {
        this(epoch, primaryId, paused, members, history, syncStandbys, epoch);
    }

    /** The epoch for the next promotion attempt: above every chosen and every reserved one (never reused). */
    public long nextEpoch() {
        return Math.max(epoch, reservedEpoch) + 1;
    }

    SupervisorState withSyncStandbys(List<String> names) {
        return new SupervisorState(epoch, primaryId, paused, members, history, List.copyOf(names), reservedEpoch);
    }

    SupervisorState withReserved(long e) {
        return new SupervisorState(epoch, primaryId, paused, members, history, syncStandbys, Math.max(reservedEpoch, e));
    }

    static final int HISTORY = 500;

    public static SupervisorState empty() {
        return new SupervisorState(0, Optional.empty(), false, new TreeMap<>(), List.of());
    }

    /** A new epoch keeps the synchronous set: its names may hold acknowledged commits until the set is recorded anew. */
    SupervisorState withEpoch(long newEpoch, Optional<Integer> primary) {
        return new SupervisorState(Math.max(epoch, newEpoch), newEpoch >= epoch ? primary : primaryId, paused, members, history,
                syncStandbys, Math.max(reservedEpoch, newEpoch));
    }

    SupervisorState withPaused(boolean p) {
        return new SupervisorState(epoch, primaryId, p, members, history, syncStandbys, reservedEpoch);
    }

    SupervisorState withMember(RegisteredMember m) {
        var copy = new TreeMap<>(members);
        copy.put(m.id(), m);
        return new SupervisorState(epoch, primaryId, paused, copy, history, syncStandbys, reservedEpoch);
    }

    /** The record a majority held: it replaces this journal's view of those facts (the epoch never goes back). */
    SupervisorState withRecord(org.pgsteward.protocol.cluster.ClusterRecord r) {
        var m = new TreeMap<Integer, RegisteredMember>();
        r.members().forEach(x -> m.put(x.id(), new RegisteredMember(x.id(), x.name(), x.priority(), x.witness(), false)));
        boolean newer = r.epoch() >= epoch;
        return new SupervisorState(Math.max(epoch, r.epoch()), newer && r.primaryId() > 0 ? Optional.of(r.primaryId())
                : primaryId, r.paused(), m, history, newer ? r.syncStandbys() : syncStandbys,
                Math.max(reservedEpoch, r.epoch()));
    }

    SupervisorState withHistory(String line) {
        var copy = new ArrayList<>(history);
        copy.add(line);
        while (copy.size() > HISTORY) {
            copy.remove(0);
        }
        return new SupervisorState(epoch, primaryId, paused, members, List.copyOf(copy), syncStandbys, reservedEpoch);
    }
}
