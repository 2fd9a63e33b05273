package org.pgsteward.agent.ops;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.pgsteward.agent.postgres.ReplicationSlots;
import org.pgsteward.protocol.ExitCode;
import org.pgsteward.protocol.api.NodeCheckView.Check;
import org.pgsteward.protocol.api.NodeRow;

/**
 * {@code node check}'s verdicts, one per concern, from what the agent knows of its node: pure (facts in, checks out),
 * so every rule is a line of NodeChecksTest. The agent gathers the facts (AgentServices); the console prints the
 * checks and exits with the first problem's code.
 */
public final class NodeChecks {

    private NodeChecks() {}

    /**
     * What the checks are made from.
     *
     * @param row            this node as {@code node status} shows it
     * @param streamingSlot  a streaming standby: the slot its WAL receiver uses (empty: none, or not streaming)
     * @param streaming      a standby's WAL receiver streams
     * @param epochPrimary   the primary of the epoch this agent accepted, when it names one
     * @param mayWrite       the cluster lets this node serve writes (the lease, as {@code /primary} reports it)
     * @param leaseRemaining on the primary of its epoch: how long its lease still runs
     * @param primarySlots   on a primary: its pgsteward slots, or why they could not be read
     * @param standbyIds     the registered standbys that stream from this node
     * @param supervisor     the supervisor's answer ("epoch 3, primary node 2"), or why there was none
     */
    public record Facts(int nodeId, boolean witness, NodeRow row, boolean streaming, Optional<String> streamingSlot,
                        boolean useSlots, boolean automatic, long epoch, Optional<Integer> epochPrimary,
                        boolean mayWrite, Optional<Duration> leaseRemaining,
                        Optional<Result<List<ReplicationSlots.Slot>>> primarySlots, Set<Integer> standbyIds,
                        Result<String> supervisor) {}

    /** A value, or why there is none. */
    public record Result<T>(Optional<T> value, String problem) {
        public static <T> Result<T> of(T value) {
            return new Result<>(Optional.of(value), "");
        }

        public static <T> Result<T> failed(String why) {
            return new Result<>(Optional.empty(), why);
        }
    }

    public static List<Check> evaluate(Facts f) {
        List<Check> out = new ArrayList<>();
        if (!f.witness()) {
            out.add(postgres(f.row()));
            boolean primary = f.row().role().equals("primary");
            boolean standby = f.row().role().equals("standby");
            if (standby) {
                out.add(f.streaming() ? Check.ok("replication", "streams from " + f.row().upstream().orElse("its upstream"))
                        : Check.problem("replication", ExitCode.ERR_TIMEOUT, "this standby is not streaming from its "
                        + "upstream" + f.row().upstream().map(u -> " " + u).orElse("")));
            }
            out.addAll(slots(f, primary, standby));
            out.add(lease(f, primary));
        }
        out.add(f.supervisor().value().map(v -> Check.ok("supervisor", "answers: " + v))
                .orElseGet(() -> Check.problem("supervisor", ExitCode.ERR_NO_SUPERVISOR, "did not answer: "
                        + f.supervisor().problem() + "; no failover or switchover can be decided until it does")));
        return out;
    }

    private static Check postgres(NodeRow row) {
        String st = row.status();
        String what = row.role() + ", " + st;
        if (st.startsWith("unreachable")) {
            return Check.problem("postgres", ExitCode.ERR_DB_CON, what);
        }
        if (st.contains("authentication failed")) {
            return Check.problem("postgres", ExitCode.ERR_BAD_PASSWORD, what);
        }
        if (st.startsWith("error")) {
            return Check.problem("postgres", ExitCode.ERR_DB_QUERY, what);
        }
        return Check.ok("postgres", what);
    }

    private static List<Check> slots(Facts f, boolean primary, boolean standby) {
        if (!f.useSlots()) {
            return List.of(Check.ok("slots", "not used (replication.use-slots = false)"));
        }
        String own = ReplicationSlots.nameFor(f.nodeId());
        List<Check> out = new ArrayList<>();
        if (standby && f.streaming()) {
            out.add(f.streamingSlot().equals(Optional.of(own)) ? Check.ok("slots", "streams through slot " + own)
                    : Check.problem("slots", ExitCode.ERR_SLOT, "streams " + f.streamingSlot().map(s -> "through slot " + s
                    + ", not " + own).orElse("without its slot " + own) + ": the upstream may recycle WAL this "
                    + "standby still needs (standby follow or node rejoin creates it)"));
        }
        if (primary && f.primarySlots().isPresent()) {
            var read = f.primarySlots().get();
            if (read.value().isEmpty()) {
                out.add(Check.warning("slots", "cannot read this primary's replication slots: " + read.problem()));
                return out;
            }
            var byName = read.value().get().stream().collect(Collectors.toMap(ReplicationSlots.Slot::name, s -> s,
                    (a, b) -> a));
            for (int id : f.standbyIds().stream().sorted().toList()) {
                String name = ReplicationSlots.nameFor(id);
                var slot = byName.get(name);
                if (slot == null) {
                    out.add(Check.problem("slots", ExitCode.ERR_SLOT, "no slot " + name + " for standby node " + id
                            + ": this primary may recycle WAL that standby still needs (its follow or rejoin creates it)"));
                } else if (slot.walStatus().equals("lost")) {
                    out.add(Check.problem("slots", ExitCode.ERR_SLOT, "slot " + name + " lost WAL its standby node " + id
                            + " needs (max_slot_wal_keep_size): that standby needs a new clone"));
                } else if (!slot.active()) {
                    out.add(Check.warning("slots", "slot " + name + " holds " + slot.retainedBytes().map(b -> b
                            + " bytes of WAL").orElse("no WAL") + " for standby node " + id + ", which does not stream"
                            + " through it (bounded by max_slot_wal_keep_size; `standby unregister` drops it)"));
                } else {
                    out.add(Check.ok("slots", "slot " + name + " in use by standby node " + id));
                }
            }
            for (var slot : read.value().get()) {
                var id = ReplicationSlots.nodeOf(slot.name());
                if (id.isPresent() && !f.standbyIds().contains(id.get()) && !slot.active()) {
                    out.add(Check.warning("slots", "slot " + slot.name() + " is for no registered standby of this node"
                            + " and holds " + slot.retainedBytes().map(b -> b + " bytes of WAL").orElse("no WAL")
                            + " (`standby unregister` on that node drops it)"));
                }
            }
        }
        if (out.isEmpty()) {
            out.add(Check.ok("slots", primary ? "no registered standby streams from this node" : "nothing to check"));
        }
        return out;
    }

    private static Check lease(Facts f, boolean primary) {
        if (!f.automatic()) {
            return Check.ok("lease", "not used in manual failover mode");
        }
        boolean ours = f.epochPrimary().equals(Optional.of(f.nodeId()));
        if (primary && f.epochPrimary().isPresent() && !ours) {
            return Check.problem("lease", ExitCode.ERR_NO_LEASE, "PostgreSQL runs as a primary, but node "
                    + f.epochPrimary().get() + " is the primary of epoch " + f.epoch() + ": this node is fenced");
        }
        if (ours && primary) {
            return f.mayWrite() ? Check.ok("lease", "held in epoch " + f.epoch() + f.leaseRemaining().map(d -> ", "
                    + Math.max(0, d.toMillis()) + " ms of it left").orElse(""))
                    : Check.problem("lease", ExitCode.ERR_NO_LEASE, "the primary of epoch " + f.epoch()
                    + " holds no lease (no majority promised one): it is fenced once the last one runs out");
        }
        if (ours) {
            return Check.ok("lease", "primary of epoch " + f.epoch() + "; its PostgreSQL is not serving as one");
        }
        return Check.ok("lease", f.epochPrimary().map(p -> "node " + p + " is the primary of epoch " + f.epoch())
                .orElse("no primary registered yet"));
    }
}
