package org.pgsteward.agent.cluster;

import org.pgsteward.protocol.cluster.LocalRecovery;

/**
 * The agent's state as far as its local PostgreSQL is concerned, in the terms of the safety model. Exactly one holds
 * at a time; every change goes through {@code ClusterLink.transition}, which logs it with its reason and records the
 * ones that stop, start or give up on the server as agent events ({@code cluster event}).
 *
 * <p>The serving states ({@link Joining}, {@link Standby}, {@link Primary}, {@link Witness}) follow from the accepted
 * epoch (durable in the {@link EpochStore}): the agent does nothing special to its server in them. The others are
 * what the agent does or did to it. The fenced ones carry the local recovery reported with them (a primary that gave up
 * on a crashed or hung server and was fenced still reports {@code GAVE_UP} until its server answers again).
 */
sealed interface LinkState {

    /** What the agent's report says of its local restarts in this state. */
    LocalRecovery recovery();

    /** Fenced (also while rejoining, or fenced again): it must not be restarted as a crashed primary. */
    default boolean fenced() {
        return this instanceof Fenced || this instanceof Rejoining
                || this instanceof Fencing f && f.before().fenced();
    }

    /**
     * This state with the local recovery {@code r} (a restart started, failed or gave up; the server answers again):
     * a serving state becomes {@link Restarting} or {@link GaveUp} and back; a fenced one keeps being fenced.
     */
    default LinkState withRecovery(LocalRecovery r, int attempt, long nowNanos, String why, LinkState serving) {
        if (this instanceof Fencing f) {
            return new Fencing(f.reason(), f.sinceNanos(), f.releaseLease(),
                    f.before().withRecovery(r, attempt, nowNanos, why, serving));
        }
        if (this instanceof Fenced f) {
            return new Fenced(f.reason(), f.epoch(), r);
        }
        if (this instanceof Rejoining j) {
            return new Rejoining(j.sinceNanos(), new Fenced(j.from().reason(), j.from().epoch(), r));
        }
        return switch (r) {
            case NONE -> serving;
            case RESTARTING -> this instanceof Restarting rs && rs.attempt() == attempt ? this
                    : new Restarting(attempt, nowNanos);
            case GAVE_UP -> this instanceof GaveUp ? this : new GaveUp(why);
        };
    }

    /** A (re)started agent the cluster has not told the current epoch yet: it starts nothing. */
    record Joining(long sinceNanos) implements LinkState {
        public LocalRecovery recovery() {
            return LocalRecovery.NONE;
        }
    }

    /** Not the primary of the accepted epoch ({@code primaryId} 0: none known). */
    record Standby(long epoch, int primaryId) implements LinkState {
        public LocalRecovery recovery() {
            return LocalRecovery.NONE;
        }
    }

    /** The primary of the accepted epoch, since {@code sinceNanos}: it serves while its lease holds. */
    record Primary(long epoch, long sinceNanos) implements LinkState {
        public LocalRecovery recovery() {
            return LocalRecovery.NONE;
        }
    }

    /** A witness agent: no PostgreSQL; it votes and promises only. */
    record Witness() implements LinkState {
        public LocalRecovery recovery() {
            return LocalRecovery.NONE;
        }
    }

    /** The local server was found down and restart {@code attempt} of the budget was started. */
    record Restarting(int attempt, long sinceNanos) implements LinkState {
        public LocalRecovery recovery() {
            return LocalRecovery.RESTARTING;
        }
    }

    /** The local restarts did not bring it back (or it hung for its budget): a failover may proceed. */
    record GaveUp(String reason) implements LinkState {
        public LocalRecovery recovery() {
            return LocalRecovery.GAVE_UP;
        }
    }

    /**
     * The fence runs (immediate stop, SIGKILL after the kill-after deadline) on its own thread.
     *
     * @param releaseLease let go of the lease once fenced (a hung primary the agent gave up on)
     * @param before       the state it interrupted: where a fence that failed returns to
     */
    record Fencing(String reason, long sinceNanos, boolean releaseLease, LinkState before) implements LinkState {
        public LocalRecovery recovery() {
            return before.recovery();
        }
    }

    /** Stopped here because it may not serve writes ({@code epoch}: the accepted epoch then). */
    record Fenced(String reason, long epoch, LocalRecovery recovery) implements LinkState {}

    /**
     * A fenced former primary rewinding or re-cloning to rejoin as a standby; fenced until that succeeded.
     *
     * @param from the fenced state it returns to when the rejoin fails
     */
    record Rejoining(long sinceNanos, Fenced from) implements LinkState {
        public LocalRecovery recovery() {
            return from.recovery();
        }
    }
}
