package org.pgsteward.agent.downing;

import java.util.Optional;
import java.util.function.Supplier;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionId;
import org.apache.pekko.actor.ExtensionIdProvider;

/**
 * Who this member believes the primary is (the node id of its current epoch's primary), for the downing actor: Pekko
 * creates the downing provider by reflection, so the agent hands its knowledge over through this extension of the
 * actor system. Empty until the agent set it, and whenever reading it fails: the rule then keeps the older end.
 */
public final class PrimaryHint implements Extension {

    private volatile Supplier<Optional<Integer>> source = Optional::empty;

    public void set(Supplier<Optional<Integer>> primaryNodeId) {
        this.source = primaryNodeId;
    }

    public Optional<Integer> primary() {
        try {
            return source.get();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    public static PrimaryHint get(ActorSystem system) {
        return Id.INSTANCE.get(system);
    }

    static final class Id extends AbstractExtensionId<PrimaryHint> implements ExtensionIdProvider {
        static final Id INSTANCE = new Id();

        @Override
        public PrimaryHint createExtension(ExtendedActorSystem system) {
            return new PrimaryHint();
        }

        @Override
        public ExtensionId<? extends Extension> lookup() {
            return INSTANCE;
        }
    }
}
