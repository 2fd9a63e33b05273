package org.pgsteward.agent.downing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.pgsteward.agent.downing.DowningRule.Decision;
import org.pgsteward.agent.downing.DowningRule.Kind;
import org.pgsteward.agent.downing.DowningRule.Node;
import org.pgsteward.agent.downing.DowningRule.Observation;
import org.pgsteward.agent.downing.DowningRule.Picture;
import org.pgsteward.agent.downing.DowningRule.Status;

/**
 * Who is downed (issue 8.6), as a table: the members (named n1..n5 for node ids 1..5, in address order; age rank as
 * given, 0 the oldest), who observes whom unreachable ("1>3": n1 cannot reach n3), who has seen the current gossip,
 * which node is the primary, and the members to down.
 */
class DowningRuleTest {

    record Row(String name, List<Node> members, Set<String> unreachable, Set<Observation> observations,
               Set<String> seenBy, Optional<Integer> primary, Kind kind, Set<String> down) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** Members n1..nN, all Up, the lower id the older. */
    static List<Node> up(int n) {
        List<Node> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(new Node("n" + i, Status.UP, i - 1, Optional.of(i)));
        }
        return out;
    }

    static List<Node> with(List<Node> members, String address, Status status, int ageRank) {
        return members.stream().map(m -> m.address().equals(address)
                ? new Node(address, status, ageRank, m.nodeId()) : m).toList();
    }

    /** "1>3,3>1": n1 observes n3 unreachable and n3 observes n1. */
    static Set<Observation> obs(String spec) {
        if (spec.isEmpty()) {
            return Set.of();
        }
        return Arrays.stream(spec.split(",")).map(s -> s.split(">"))
                .map(a -> new Observation("n" + a[0], "n" + a[1])).collect(Collectors.toCollection(LinkedHashSet::new));
    }

    static Set<String> names(String spec) {
        if (spec.isEmpty()) {
            return Set.of();
        }
        return Arrays.stream(spec.split(",")).map(s -> "n" + s).collect(Collectors.toCollection(LinkedHashSet::new));
    }

    /** As node n2 sees it (the third member of a 3-node cluster): every subject of an observation is unreachable. */
    static Row row(String name, List<Node> members, String observations, String seenBy, Integer primary, Kind kind,
                   String down) {
        Set<Observation> o = obs(observations);
        Set<String> unreachable = o.stream().map(Observation::subject).collect(Collectors.toCollection(LinkedHashSet::new));
        return new Row(name, members, unreachable, o, names(seenBy), Optional.ofNullable(primary), kind, names(down));
    }

    static Stream<Row> table() {
        return Stream.of(
                // the broken link between the primary and a standby: only the standby's end
                row("primary n1 <-> standby n3 broken: n3 downed", up(3), "1>3,3>1", "1,2,3", 1, Kind.BROKEN_LINKS, "3"),
                row("the same, the primary n3: n1 downed although the oldest", up(3), "1>3,3>1", "1,2,3", 3,
                        Kind.BROKEN_LINKS, "1"),
                row("seen from one direction only, n1 has seen the gossip: still a broken link", up(3), "3>1", "1,2",
                        1, Kind.BROKEN_LINKS, "3"),
                row("seen from one direction only, n3 has seen the gossip", up(3), "1>3", "2,3", 1,
                        Kind.BROKEN_LINKS, "3"),
                // between two standbys: the younger end (the oldest runs the supervisor)
                row("standbys n2 <-> n3 broken, primary n1: the younger n3", up(3), "2>3,3>2", "1,2,3", 1,
                        Kind.BROKEN_LINKS, "3"),
                row("standbys n1 <-> n3 broken, primary n2: the younger n3", up(3), "1>3,3>1", "1,2,3", 2,
                        Kind.BROKEN_LINKS, "3"),
                row("primary unknown: the younger end", up(3), "1>2,2>1", "1,2,3", null, Kind.BROKEN_LINKS, "2"),
                row("the primary's node id on no member: the younger end", up(3), "1>2,2>1", "1,2,3", 7,
                        Kind.BROKEN_LINKS, "2"),
                // the age decides, not the address
                row("n3 older than n1 (n1 re-incarnated), primary n2: n1", with(up(3), "n1", Status.UP, 5),
                        "1>3,3>1", "1,2,3", 2, Kind.BROKEN_LINKS, "1"),
                // the other end already downed, not yet removed: nothing more, in particular not the primary
                row("n3 already down: the primary's end is not downed next", with(up(3), "n3", Status.DOWN, 2),
                        "1>3,3>1", "1,2", 1, Kind.BROKEN_LINKS, ""),
                row("a joining new incarnation of n3 behind the broken link: downed again",
                        with(up(3), "n3", Status.JOINING, Integer.MAX_VALUE), "1>3,3>1", "1,2,3", 1,
                        Kind.BROKEN_LINKS, "3"),
                // five members: not the primary while the rest keep a majority, else the fewest
                row("5 members, the primary n1 cut from n4 and n5: n4 and n5", up(5), "1>4,4>1,1>5,5>1", "1,2,3,4,5",
                        1, Kind.BROKEN_LINKS, "4,5"),
                row("5 members, the primary n1 cut from n2, n3, n4: keeping it would leave 2 of 5, so n1", up(5),
                        "1>2,2>1,1>3,3>1,1>4,4>1", "1,2,3,4,5", 1, Kind.BROKEN_LINKS, "1"),
                row("5 members, two broken links n1-n2 and n3-n4, primary n3: n2 and n4", up(5), "1>2,2>1,3>4,4>3",
                        "1,2,3,4,5", 3, Kind.BROKEN_LINKS, "2,4"),
                // a one-way chain: the middle is indirectly connected without a link between two of them, as Pekko
                row("chain 1>2>3: still indirectly connected without n2's records: all, as Pekko does", up(3), "1>2,2>3", "",
                        1, Kind.DOWN_ALL, "1,2,3"),
                // a broken link and a crash at once: both handled
                row("5 members, n4<->n1 broken (primary n1) and n5 crashed", up(5), "1>4,4>1,1>5,2>5,3>5,4>5",
                        "1,2,3,4", 1, Kind.BROKEN_LINKS, "4,5"),
                // clean pictures: keep-majority
                row("n3 crashed: downed", up(3), "1>3,2>3", "1,2", 1, Kind.DOWN_UNREACHABLE, "3"),
                row("the primary n1 crashed: downed", up(3), "2>1,3>1", "2,3", 1, Kind.DOWN_UNREACHABLE, "1"),
                row("nothing unreachable: nobody", up(3), "", "1,2,3", 1, Kind.DOWN_UNREACHABLE, ""),
                row("4 members split 2-2, n1 (lowest address) on the other side: this side", up(4), "2>1,3>1,2>4,3>4",
                        "2,3", 1, Kind.DOWN_REACHABLE, "2,3"),
                row("4 members split 2-2, n1 on this side: the other side", up(4), "1>3,2>3,1>4,2>4", "1,2", 1,
                        Kind.DOWN_UNREACHABLE, "3,4"),
                row("the minority side: itself", up(3), "3>1,3>2", "3", 1, Kind.DOWN_REACHABLE, "3"),
                row("joining members on the other side could tip it: all",
                        with(with(up(5), "n4", Status.JOINING, 9), "n5", Status.JOINING, 10),
                        "1>3,1>4,1>5,2>3,2>4,2>5", "1,2", 1, Kind.DOWN_ALL, "1,2,3,4,5"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void downs(Row r) {
        Decision d = DowningRule.decide(new Picture(r.members(), r.unreachable(), r.observations(), r.seenBy(),
                r.primary()));
        assertEquals(r.kind(), d.kind(), d.reason());
        assertEquals(r.down(), d.down(), d.reason());
        assertTrue(!d.reason().isBlank(), "a reason");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void neverDownsAMemberPekkosResolverWouldKeep(Row r) {
        // Pekko downs every indirectly connected member (plus keep-majority's choice among the rest)
        Set<String> indirect = DowningRule.indirectlyConnected(r.observations(), r.seenBy());
        Decision d = DowningRule.decide(new Picture(r.members(), r.unreachable(), r.observations(), r.seenBy(),
                r.primary()));
        if (d.kind() == Kind.BROKEN_LINKS) {
            Set<String> pekko = new LinkedHashSet<>(indirect);
            Set<String> unreachableRest = new LinkedHashSet<>(r.unreachable());
            unreachableRest.removeAll(indirect);
            pekko.addAll(unreachableRest);
            assertTrue(pekko.containsAll(d.down()), d.down() + " within " + pekko);
        }
    }
}
