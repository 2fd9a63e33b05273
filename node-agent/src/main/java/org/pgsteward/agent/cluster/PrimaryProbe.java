package org.pgsteward.agent.cluster;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * A standby's view of the epoch's primary PostgreSQL, for the failover evidence rule: pinged on every monitor
 * cycle, streaming or not (a WAL receiver behind a cut network link still says "streaming" until
 * wal_receiver_timeout, 60 s by default). The monitor cycle calls {@link #refresh}; the cluster link reads
 * {@link #lastResult}, and falls back on "streaming" only while there is no answer yet.
 */
public final class PrimaryProbe {

    private final AtomicReference<Optional<String>> target = new AtomicReference<>(Optional.empty());
    private final AtomicReference<Optional<Boolean>> last = new AtomicReference<>(Optional.empty());

    /** The primary's conninfo (no password), or empty when this node is the primary. */
    public void target(Optional<String> conninfo) {
        if (!target.getAndSet(conninfo).equals(conninfo)) {
            last.set(Optional.empty());
        }
    }

    public Optional<String> target() {
        return target.get();
    }

    /** Probes the target with {@code reachable} (blocking) and keeps the answer. */
    public void refresh(Function<String, Boolean> reachable) {
        Optional<String> t = target.get();
        last.set(t.map(reachable));
    }

    public void clear() {
        last.set(Optional.empty());
    }

    public Optional<Boolean> lastResult() {
        return last.get();
    }
}
