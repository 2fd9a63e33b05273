package org.pgsteward.protocol.cluster;

import java.util.List;
import java.util.Optional;
import org.pgsteward.protocol.CborSerializable;

/**
 * The cluster's record (DESIGN, safety model 7): the facts a decision needs, held by a majority of agents rather
 * than by one host's journal. The supervisor changes it only through a majority of agents, each of which persists
 * it (atomic write, fsync) before it acknowledges; a new supervisor incarnation reads it from a majority and adopts
 * the newest version before it decides anything.
 *
 * @param epoch          the epoch whose primary is {@code primaryId} (votes and the agents' accepted epochs stay
 *                       the authority on epochs: this is what the supervisor last decided)
 * @param primaryId      0 when no primary is registered
 * @param paused         {@code cluster pause}: no automatic failover
 * @param members        the registered members
 * @param syncStandbys   synchronous mode: every standby that can have acknowledged a commit (all names the primary's
 *                       synchronous_standby_names may admit): a name enters here before the primary names it and
 *                       leaves only after the primary no longer names it
 * @param operation      the promotion or switchover in progress, for people and a new incarnation
 */
public record ClusterRecord(long epoch, int primaryId, boolean paused, List<Member> members, List<String> syncStandbys,
                            Optional<String> operation) implements CborSerializable {

    /** A registered member as the record holds it. */
    public record Member(int id, String name, int priority, boolean witness, String conninfo) implements CborSerializable {}

    public ClusterRecord {
        members = List.copyOf(members);
        syncStandbys = List.copyOf(syncStandbys);
    }

    public static ClusterRecord empty() {
        return new ClusterRecord(0, 0, false, List.of(), List.of(), Optional.empty());
    }

    public Optional<Member> member(int id) {
        return members.stream().filter(m -> m.id() == id).findFirst();
    }
}
