package org.pgsteward.agent.downing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.AbstractActorWithTimers;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.Reachability;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.remote.artery.ThisActorSystemQuarantinedEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Drives {@link DowningRule} on one member, as Pekko's resolver drives its strategies: it follows the cluster's
 * membership and reachability, and once the unreachable members and the membership have not changed for
 * stable-after, the leader of this member's view downs whom the rule says (itself last). Several members can be the
 * leader of their own view while a link is broken; they decide the same from the same gossip.
 *
 * <p>The unreachability records and the "seen" set come from two events that are Pekko-internal API (public in the
 * bytecode, used by Pekko's own resolver; no public API carries who observes whom): {@code ReachabilityChanged} and
 * {@code SeenChanged}. Pekko's version is pinned in the parent pom; they are read here only.
 */
final class DowningActor extends AbstractActorWithTimers {

    private static final Logger log = LoggerFactory.getLogger(DowningActor.class);
    static final String ROLE_PREFIX = "pgsteward-node-";
    /**
     * A decision is due once the picture has been stable for stable-after and is taken at the next check: four times
     * a second (Pekko's resolver checks once a second, 0.75-1.75 s with 750 ms; here 0.75-1.0 s). A lost supervisor
     * host is downed, and the singleton moves, up to 0.75 s sooner (issue 7.7). The blip a member survives is set by
     * the failure detector and stable-after, not by this check; a member downed by mistake rejoins by itself.
     */
    private static final Duration TICK = Duration.ofMillis(250);

    private enum Tick { INSTANCE }

    private final Duration stableAfter;
    private final Cluster cluster = Cluster.get(getContext().getSystem());
    private final UniqueAddress self = cluster.selfUniqueAddress();
    private final PrimaryHint hint = PrimaryHint.get(getContext().getSystem());
    private final Map<UniqueAddress, Member> members = new HashMap<>();
    private final Set<UniqueAddress> unreachable = new HashSet<>();
    private List<Reachability.Record> records = List.of();
    private Set<org.apache.pekko.actor.Address> seenBy = Set.of();
    private boolean leader;
    private boolean selfAdded;
    private long stableDeadline;

    DowningActor(Duration stableAfter) {
        this.stableAfter = stableAfter;
        resetStable();
    }

    @Override
    public void preStart() {
        cluster.subscribe(getSelf(), ClusterEvent.initialStateAsEvents(), ClusterEvent.ClusterDomainEvent.class);
        getContext().getSystem().eventStream().subscribe(getSelf(), ThisActorSystemQuarantinedEvent.class);
        getTimers().startTimerWithFixedDelay(Tick.INSTANCE, Tick.INSTANCE, TICK);
        log.info("downing: keep-majority, except one end of a broken link (not the primary's while the rest keep a "
                + "majority), stable-after {} ms", stableAfter.toMillis());
    }

    @Override
    public void postStop() {
        cluster.unsubscribe(getSelf());
        getContext().getSystem().eventStream().unsubscribe(getSelf());
    }

    @Override
    public Receive createReceive() {
        return receiveBuilder()
                .match(ClusterEvent.MemberJoined.class, e -> add(e.member(), false))
                .match(ClusterEvent.MemberWeaklyUp.class, e -> {
                    selfAdded |= e.member().uniqueAddress().equals(self);
                    add(e.member(), false);
                })
                .match(ClusterEvent.MemberUp.class, e -> {
                    selfAdded |= e.member().uniqueAddress().equals(self);
                    add(e.member(), true);
                })
                .match(ClusterEvent.MemberLeft.class, e -> add(e.member(), false))
                .match(ClusterEvent.MemberExited.class, e -> add(e.member(), true))
                // as Pekko's resolver: a member being downed counts as unreachable until it is removed
                .match(ClusterEvent.MemberDowned.class, e -> reachability(e.member(), false))
                .match(ClusterEvent.UnreachableMember.class, e -> reachability(e.member(), false))
                .match(ClusterEvent.ReachableMember.class, e -> reachability(e.member(), true))
                .match(ClusterEvent.MemberRemoved.class, e -> removed(e.member()))
                .match(ClusterEvent.ReachabilityChanged.class, e -> records = unreachableRecords(e.reachability()))
                .match(ClusterEvent.SeenChanged.class, e -> seenBy = new HashSet<>(CollectionConverters.asJava(e.seenBy())))
                .match(ClusterEvent.LeaderChanged.class, e -> leader = e.getLeader() != null
                        && e.getLeader().equals(self.address()))
                .match(ThisActorSystemQuarantinedEvent.class, this::quarantined)
                .matchEquals(Tick.INSTANCE, t -> tick())
                .matchAny(m -> { })
                .build();
    }

    private void add(Member m, boolean resetsStable) {
        members.put(m.uniqueAddress(), m);
        if (resetsStable) {
            resetStable();
        }
    }

    private void reachability(Member m, boolean reachable) {
        if (m.uniqueAddress().equals(self)) {
            members.put(m.uniqueAddress(), m);
            return;
        }
        members.put(m.uniqueAddress(), m);
        if (reachable) {
            unreachable.remove(m.uniqueAddress());
        } else {
            unreachable.add(m.uniqueAddress());
        }
        resetStable();
    }

    private void removed(Member m) {
        if (m.uniqueAddress().equals(self)) {
            getContext().stop(getSelf());
            return;
        }
        members.remove(m.uniqueAddress());
        unreachable.remove(m.uniqueAddress());
    }

    private static List<Reachability.Record> unreachableRecords(Reachability r) {
        List<Reachability.Record> out = new ArrayList<>();
        for (Reachability.Record rec : CollectionConverters.asJava(r.records())) {
            if (rec.status() != Reachability.Reachable$.MODULE$) {
                out.add(rec);
            }
        }
        return out;
    }

    /** As Pekko's resolver: a member that another quarantined can never talk to it again, so it downs itself. */
    private void quarantined(ThisActorSystemQuarantinedEvent e) {
        UniqueAddress remote = new UniqueAddress(e.remoteAddress().address(), e.remoteAddress().uid());
        if (members.containsKey(remote)) {
            log.warn("downing this member: {} quarantined it (it cannot talk to it again)", remote.address());
            cluster.down(self.address());
        }
    }

    private void resetStable() {
        stableDeadline = System.nanoTime() + stableAfter.toNanos();
    }

    private void tick() {
        if (!leader || !selfAdded || unreachable.isEmpty() || System.nanoTime() - stableDeadline < 0) {
            return;
        }
        Map<UniqueAddress, String> names = new HashMap<>();
        DowningRule.Picture picture = picture(names);
        DowningRule.Decision d = DowningRule.decide(picture);
        if (d.down().isEmpty()) {
            return;
        }
        log.warn("downing {}{}: {} (this member's picture: unreachable {}, unreachability records {}, primary {} as "
                        + "this member knows it)", d.down(), d.down().contains(names.get(self)) ? " including myself" : "",
                d.reason(), picture.unreachable(), picture.observations(),
                picture.primary().map(p -> "node " + p).orElse("unknown"));
        UniqueAddress downSelf = null;
        for (Map.Entry<UniqueAddress, String> e : names.entrySet()) {
            if (d.down().contains(e.getValue())) {
                if (e.getKey().equals(self)) {
                    downSelf = e.getKey();
                } else {
                    cluster.down(e.getKey().address());
                }
            }
        }
        if (downSelf != null) {
            cluster.down(downSelf.address()); // last: it may shut this member down
        }
        resetStable();
    }

    private DowningRule.Picture picture(Map<UniqueAddress, String> names) {
        List<Member> byAddress = new ArrayList<>(members.values());
        byAddress.sort(Member.ordering());
        List<Member> byAge = new ArrayList<>(members.values());
        byAge.sort(Member.ageOrdering());
        Map<UniqueAddress, Integer> rank = new HashMap<>();
        for (int i = 0; i < byAge.size(); i++) {
            rank.put(byAge.get(i).uniqueAddress(), i);
        }
        List<DowningRule.Node> nodes = new ArrayList<>();
        for (Member m : byAddress) {
            Optional<Integer> id = nodeId(m);
            String hostPort = m.address().hostPort(); // system@host:port
            String name = id.map(i -> "node" + i + "@").orElse("") + hostPort.substring(hostPort.indexOf('@') + 1) + "#"
                    + m.uniqueAddress().longUid();
            names.put(m.uniqueAddress(), name);
            nodes.add(new DowningRule.Node(name, status(m.status()), rank.get(m.uniqueAddress()), id));
        }
        Set<String> unreachableNames = new LinkedHashSet<>();
        unreachable.forEach(u -> Optional.ofNullable(names.get(u)).ifPresent(unreachableNames::add));
        Set<DowningRule.Observation> observations = new LinkedHashSet<>();
        for (Reachability.Record r : records) {
            String o = names.get(r.observer());
            String s = names.get(r.subject());
            if (o != null && s != null) {
                observations.add(new DowningRule.Observation(o, s));
            }
        }
        Set<String> seen = new LinkedHashSet<>();
        for (Member m : byAddress) {
            if (seenBy.contains(m.address())) {
                seen.add(names.get(m.uniqueAddress()));
            }
        }
        return new DowningRule.Picture(nodes, unreachableNames, observations, seen, hint.primary());
    }

    static Optional<Integer> nodeId(Member m) {
        for (String role : m.getRoles()) {
            if (role.startsWith(ROLE_PREFIX)) {
                try {
                    return Optional.of(Integer.parseInt(role.substring(ROLE_PREFIX.length())));
                } catch (NumberFormatException e) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }

    private static DowningRule.Status status(MemberStatus s) {
        if (s == MemberStatus.joining()) {
            return DowningRule.Status.JOINING;
        }
        if (s == MemberStatus.weaklyUp()) {
            return DowningRule.Status.WEAKLY_UP;
        }
        if (s == MemberStatus.leaving()) {
            return DowningRule.Status.LEAVING;
        }
        if (s == MemberStatus.exiting()) {
            return DowningRule.Status.EXITING;
        }
        if (s == MemberStatus.down()) {
            return DowningRule.Status.DOWN;
        }
        return DowningRule.Status.UP; // Up; PreparingForShutdown and ReadyForShutdown count as Up, as in Pekko
    }
}
