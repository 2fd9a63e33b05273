package org.pgsteward.agent.downing;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which members to down, from one member's picture of the cluster (issue 8.6): Pekko's keep-majority, except for
 * broken links. Pekko's Split Brain Resolver downs both ends of a link that broke while a majority still reaches each
 * end (indirectly connected members); downing the primary's end costs a new incarnation of its agent and, while its
 * lease lapses, its writes. Here one end of each broken link is downed: not the primary's host while the others
 * left keep a majority, the fewest members, then not the oldest member (the supervisor singleton's host).
 *
 * <p>Every member that decides (each leader of its own view) computes the same from the same gossip; members that
 * disagree on who the primary is (a failover under way) down at worst both ends, which is what Pekko does. The
 * members downed here are always a subset of those Pekko's resolver would down in the same picture. Downing is not
 * fencing: the lease and the votes keep a single writable primary whatever is downed.
 */
public final class DowningRule {

    private DowningRule() {}

    /** Pekko's member states that matter here (Removed members are not in the picture). */
    public enum Status { JOINING, WEAKLY_UP, UP, LEAVING, EXITING, DOWN }

    /**
     * A member: its unique address, status, its rank by age (0 the oldest, as Pekko's age ordering) and the node id
     * its role carries.
     */
    public record Node(String address, Status status, int ageRank, Optional<Integer> nodeId) {
        boolean counted() {
            return status != Status.JOINING && status != Status.WEAKLY_UP && status != Status.DOWN
                    && status != Status.EXITING;
        }

        boolean downable() {
            return status != Status.DOWN && status != Status.EXITING;
        }
    }

    /** One member's failure detector cannot reach another (unreachable or terminated), as the gossip says. */
    public record Observation(String observer, String subject) {}

    /**
     * What the deciding member sees.
     *
     * @param members      every member, in Pekko's address ordering (the lowest address first)
     * @param unreachable  members observed unreachable by anyone (not the decider itself), and members being downed
     * @param observations the unreachability records between members
     * @param seenBy       members that have seen the current gossip
     * @param primary      the node id of the current epoch's primary, as this member knows it
     */
    public record Picture(List<Node> members, Set<String> unreachable, Set<Observation> observations, Set<String> seenBy,
                          Optional<Integer> primary) {}

    public enum Kind { DOWN_UNREACHABLE, DOWN_REACHABLE, DOWN_ALL, BROKEN_LINKS }

    /** The members to down (possibly none) and why. */
    public record Decision(Kind kind, Set<String> down, String reason) {}

    private record Link(String a, String b) {
        static Link of(String x, String y) {
            return x.compareTo(y) <= 0 ? new Link(x, y) : new Link(y, x);
        }

        boolean touches(Set<String> s) {
            return s.contains(a) || s.contains(b);
        }
    }

    /** Above this many ends of broken links the cheapest cover is not searched: all of them are downed, as Pekko does. */
    static final int MAX_SEARCHED_ENDS = 12;

    public static Decision decide(Picture p) {
        Set<String> downable = p.members().stream().filter(Node::downable).map(Node::address)
                .collect(Collectors.toCollection(LinkedHashSet::new));
        Set<String> indirect = indirectlyConnected(p.observations(), p.seenBy());
        if (indirect.isEmpty()) {
            return keepMajority(p.members(), p.unreachable(), downable, "");
        }
        // the broken links: observations between two indirectly connected members
        Set<Link> links = new LinkedHashSet<>();
        for (Observation o : p.observations()) {
            if (indirect.contains(o.observer()) && indirect.contains(o.subject()) && !o.observer().equals(o.subject())) {
                links.add(Link.of(o.observer(), o.subject()));
            }
        }
        Set<String> ends = new LinkedHashSet<>();
        links.forEach(l -> {
            ends.add(l.a());
            ends.add(l.b());
        });
        Set<String> gone = p.members().stream().filter(n -> !n.downable()).map(Node::address).collect(Collectors.toSet());
        Set<String> known = p.members().stream().map(Node::address).collect(Collectors.toSet());
        ends.forEach(e -> {
            if (!known.contains(e)) {
                gone.add(e); // not a member any more: nothing to down there
            }
        });
        Set<String> cover = cheapestCover(links, ends, gone, p);
        // indirectly connected without a broken link between two of them (e.g. one end of a one-way chain): downed,
        // as Pekko does
        Set<String> alone = new LinkedHashSet<>(indirect);
        alone.removeAll(ends);
        Decision rest = additional(p, downable, indirect);
        Set<String> down = new LinkedHashSet<>();
        for (String a : downable) {
            if (cover.contains(a) || alone.contains(a) || rest.down().contains(a)) {
                down.add(a);
            }
        }
        if (rest.kind() == Kind.DOWN_ALL) {
            return new Decision(Kind.DOWN_ALL, downable, rest.reason());
        }
        String kept = primaryHost(p).filter(ends::contains).filter(h -> !down.contains(h))
                .map(h -> "; the primary's end " + h + " kept").orElse("");
        return new Decision(Kind.BROKEN_LINKS, down, "broken links " + links.stream().map(l -> l.a() + "<->" + l.b())
                .collect(Collectors.joining(", ")) + " between members others still reach (indirectly connected "
                + indirect + "): downing the fewest ends that cover them" + kept
                + (alone.isEmpty() ? "" : "; indirectly connected without a broken link: " + alone)
                + (rest.down().isEmpty() ? "" : "; besides, " + rest.reason()));
    }

    /**
     * Pekko's two signs of members that cannot reach each other but still exchange gossip through others: a cycle in
     * the unreachability records (a member both observes and is observed), or a record about a member that has seen
     * the current gossip (it got it from someone).
     */
    static Set<String> indirectlyConnected(Set<Observation> observations, Set<String> seenBy) {
        Set<String> observers = observations.stream().map(Observation::observer).collect(Collectors.toSet());
        Set<String> out = new LinkedHashSet<>();
        for (Observation o : observations) {
            if (observers.contains(o.subject())) {
                out.add(o.subject());
            }
            if (seenBy.contains(o.subject())) {
                out.add(o.observer());
                out.add(o.subject());
            }
        }
        return out;
    }

    /**
     * The ends to down so that every broken link has a downed end. Without the primary's host if such a cover leaves
     * a majority of the counted members (the primary needs one for its lease anyway), the fewest of those; otherwise
     * the fewest of all, among equally few one without the primary's host. Then the one whose oldest member is
     * youngest (the supervisor runs on the oldest), rank by rank.
     */
    private static Set<String> cheapestCover(Set<Link> links, Set<String> ends, Set<String> gone, Picture p) {
        List<String> open = ends.stream().filter(e -> !gone.contains(e)).collect(Collectors.toCollection(ArrayList::new));
        if (open.size() > MAX_SEARCHED_ENDS) {
            return new LinkedHashSet<>(open);
        }
        Optional<String> primary = primaryHost(p);
        List<String> counted = p.members().stream().filter(Node::counted).map(Node::address).toList();
        Comparator<Set<String>> byAge = (x, y) -> compareAges(ranks(x, p), ranks(y, p));
        Comparator<Set<String>> cheaper = Comparator.<Set<String>>comparingInt(
                        s -> primary.filter(s::contains).isEmpty() && keepsMajority(s, counted) ? 0 : 1)
                .thenComparingInt(Set::size)
                .thenComparingInt(s -> primary.filter(s::contains).isPresent() ? 1 : 0)
                .thenComparing(byAge);
        Set<String> best = null;
        for (long mask = 0; mask < (1L << open.size()); mask++) {
            Set<String> s = new LinkedHashSet<>();
            for (int i = 0; i < open.size(); i++) {
                if ((mask & (1L << i)) != 0) {
                    s.add(open.get(i));
                }
            }
            Set<String> downed = new HashSet<>(s);
            downed.addAll(gone);
            if (links.stream().allMatch(l -> l.touches(downed)) && (best == null || cheaper.compare(s, best) < 0)) {
                best = s;
            }
        }
        return best == null ? new LinkedHashSet<>(open) : best;
    }

    private static boolean keepsMajority(Set<String> down, List<String> counted) {
        long left = counted.stream().filter(a -> !down.contains(a)).count();
        return left >= counted.size() / 2 + 1;
    }

    /** Age ranks of a set, oldest first. */
    private static List<Integer> ranks(Set<String> s, Picture p) {
        return p.members().stream().filter(n -> s.contains(n.address())).map(Node::ageRank).sorted().toList();
    }

    /** The set whose oldest member is younger is cheaper (compared rank by rank). */
    private static int compareAges(List<Integer> x, List<Integer> y) {
        for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
            int c = Integer.compare(y.get(i), x.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.size(), y.size());
    }

    /** The member hosting the primary's agent: the youngest that carries its node id and is not downed. */
    private static Optional<String> primaryHost(Picture p) {
        return p.primary().flatMap(id -> p.members().stream()
                .filter(n -> n.nodeId().equals(Optional.of(id)) && n.downable())
                .max(Comparator.comparingInt(Node::ageRank)).map(Node::address));
    }

    /**
     * As Pekko's resolver, besides the indirectly connected: the records between them set aside, the rest decided by
     * keep-majority (a clean partition or a crash at the same time); a picture still indirectly connected then
     * downs everyone.
     */
    private static Decision additional(Picture p, Set<String> downable, Set<String> indirect) {
        Set<String> cleanUnreachable = new HashSet<>(p.unreachable());
        cleanUnreachable.removeAll(indirect);
        if (cleanUnreachable.isEmpty()) {
            return new Decision(Kind.DOWN_UNREACHABLE, Set.of(), "");
        }
        Set<String> observers = p.observations().stream().map(Observation::observer).collect(Collectors.toSet());
        Set<String> subjects = p.observations().stream().map(Observation::subject).collect(Collectors.toSet());
        Set<String> cycle = new HashSet<>(observers);
        cycle.retainAll(subjects);
        Set<String> seen = new HashSet<>();
        p.observations().stream().filter(o -> p.seenBy().contains(o.subject())).forEach(o -> {
            seen.add(o.observer());
            seen.add(o.subject());
        });
        Set<Observation> filtered = p.observations().stream()
                .filter(o -> downable.contains(o.observer()) && downable.contains(o.subject()))
                .filter(o -> !(cycle.contains(o.observer()) && cycle.contains(o.subject()))
                        && !(seen.contains(o.observer()) && seen.contains(o.subject())))
                .collect(Collectors.toSet());
        if (!indirectlyConnected(filtered, p.seenBy()).isEmpty()) {
            return new Decision(Kind.DOWN_ALL, downable, "still indirectly connected once the broken links are set "
                    + "aside: downing all, as Pekko does");
        }
        Set<String> unreachable = filtered.stream().map(Observation::subject).collect(Collectors.toSet());
        return keepMajority(p.members(), unreachable, downable, "");
    }

    /**
     * Pekko's keep-majority: the side with more of the counted members (Up, Leaving) stays, on equal sides the one with
     * the lowest address; when joining or leaving members could tip it the other way, everyone is downed.
     */
    static Decision keepMajority(List<Node> members, Set<String> unreachable, Set<String> downable, String prefix) {
        List<Node> counted = members.stream().filter(Node::counted).toList();
        if (counted.isEmpty()) {
            return new Decision(Kind.DOWN_ALL, downable, prefix + "no counted member: downing all");
        }
        int reachable = (int) counted.stream().filter(n -> !unreachable.contains(n.address())).count();
        int other = counted.size() - reachable;
        Kind kind = majority(reachable, other, counted.get(0), unreachable);
        if (kind == Kind.DOWN_UNREACHABLE) {
            // the edge case of a membership change during the partition: count this side low, the other side high
            List<Node> low = counted.stream().filter(n -> n.status() != Status.LEAVING).toList();
            if (low.isEmpty()) {
                kind = Kind.DOWN_ALL;
            } else {
                int thisSide = (int) low.stream().filter(n -> !unreachable.contains(n.address())).count();
                int otherSide = (int) members.stream().filter(n -> n.status() != Status.DOWN && n.status() != Status.EXITING)
                        .filter(n -> unreachable.contains(n.address())).count();
                if (majority(thisSide, otherSide, low.get(0), unreachable) != Kind.DOWN_UNREACHABLE) {
                    kind = Kind.DOWN_ALL;
                }
            }
        }
        Set<String> down = new LinkedHashSet<>();
        for (String a : downable) {
            boolean isUnreachable = unreachable.contains(a);
            if (kind == Kind.DOWN_ALL || (kind == Kind.DOWN_UNREACHABLE) == isUnreachable) {
                down.add(a);
            }
        }
        String why = switch (kind) {
            case DOWN_UNREACHABLE -> "keep-majority: " + reachable + " of " + counted.size()
                    + " members reachable, downing the unreachable";
            case DOWN_REACHABLE -> "keep-majority: only " + reachable + " of " + counted.size()
                    + " members reachable, downing this side";
            default -> "keep-majority: joining or leaving members could make either side the majority: downing all";
        };
        return new Decision(kind, down, prefix + why);
    }

    private static Kind majority(int thisSide, int otherSide, Node lowest, Set<String> unreachable) {
        if (thisSide == otherSide) {
            return unreachable.contains(lowest.address()) ? Kind.DOWN_REACHABLE : Kind.DOWN_UNREACHABLE;
        }
        return thisSide > otherSide ? Kind.DOWN_UNREACHABLE : Kind.DOWN_REACHABLE;
    }
}
