package org.pgsteward.agent.downing;

import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.DowningProvider;
import scala.Option;
import scala.concurrent.duration.FiniteDuration;

/**
 * The agents' downing (issue 8.6), set as {@code pekko.cluster.downing-provider-class}: Pekko's keep-majority, except
 * that of a broken link between two members others still reach only one end is downed, not the primary's (see
 * {@link DowningRule}). Reads Pekko's resolver settings {@code pekko.cluster.split-brain-resolver.stable-after};
 * down-all-when-unstable and the other strategies are not offered (the agents run keep-majority without it).
 */
public final class PrimaryAwareDowningProvider extends DowningProvider {

    /** The role each agent's member carries: how every member tells which member is which node, from the gossip. */
    public static String roleOf(int nodeId) {
        return DowningActor.ROLE_PREFIX + nodeId;
    }

    static final String STABLE_AFTER = "pekko.cluster.split-brain-resolver.stable-after";

    private final ActorSystem system;
    private final FiniteDuration stableAfter;

    public PrimaryAwareDowningProvider(ActorSystem system) {
        this.system = system;
        this.stableAfter = FiniteDuration.create(system.settings().config().getDuration(STABLE_AFTER).toMillis(),
                TimeUnit.MILLISECONDS);
    }

    @Override
    public FiniteDuration downRemovalMargin() {
        // as Pekko's resolver: down-removal-margin where set, else stable-after
        FiniteDuration margin = Cluster.get(system).settings().DownRemovalMargin();
        return margin.toMillis() > 0 ? margin : stableAfter;
    }

    @Override
    public Option<Props> downingActorProps() {
        java.time.Duration stable = java.time.Duration.ofMillis(stableAfter.toMillis());
        return Option.apply(Props.create(DowningActor.class, () -> new DowningActor(stable)));
    }
}
